import CAllocCounter
import Codecs
import Gateway
import Testing

/// Proves that deciding a statement allocates nothing, for the typical (50 rules, 20 groups)
/// and large (5,000 rules, 500 groups) synthetic rule sets.
@Suite struct PolicyAllocationTests {
    static let iterations = 20_000

    func allocations(of workload: SyntheticPolicy.Workload) -> (allocations: UInt64, decisions: [PolicyAction: Int]) {
        // Warm up (lazy metadata, first-touch paths), then count.
        var sink = 0
        for i in 0..<workload.statements.count { sink &+= Int(workload.evaluate(i).rule) }
        var counts: [PolicyAction: Int] = [.allow: 0, .review: 0, .deny: 0]
        var tally = (0, 0, 0)
        let before = rg_thread_allocation_count()
        for i in 0..<Self.iterations {
            let decision = workload.evaluate(i)
            switch decision.action {
            case .allow: tally.0 &+= 1
            case .review: tally.1 &+= 1
            case .deny: tally.2 &+= 1
            }
            sink &+= Int(decision.rule)
        }
        let after = rg_thread_allocation_count()
        counts[.allow] = tally.0
        counts[.review] = tally.1
        counts[.deny] = tally.2
        #expect(sink != Int.min)
        return (after - before, counts)
    }

    @Test func typicalRuleSetDecidesWithoutAllocating() {
        let config = SyntheticPolicy.typical()
        #expect(config.policies.count == 51)
        #expect(config.groups.count == 20)
        let workload = SyntheticPolicy.Workload(configuration: config)
        let result = allocations(of: workload)
        #expect(result.allocations == 0)
        // The workload exercises every outcome, so the loop is not a trivial default path.
        #expect(result.decisions[.allow, default: 0] > 0)
        #expect(result.decisions[.review, default: 0] > 0)
        #expect(result.decisions[.deny, default: 0] > 0)
    }

    @Test func largeRuleSetDecidesWithoutAllocating() {
        let config = SyntheticPolicy.large()
        #expect(config.policies.count == 5_001)
        #expect(config.groups.count == 500)
        let workload = SyntheticPolicy.Workload(configuration: config)
        let result = allocations(of: workload)
        #expect(result.allocations == 0)
        #expect(result.decisions[.allow, default: 0] > 0)
        #expect(result.decisions[.review, default: 0] > 0)
        #expect(result.decisions[.deny, default: 0] > 0)
    }

    @Test func unboundPathIncludingOpaqueDecidesWithoutAllocating() throws {
        let workload = SyntheticPolicy.Workload(configuration: SyntheticPolicy.typical())
        // The workload has an opaque statement no rule names: it takes the fallback scan.
        let opaque = try #require(workload.statements.firstIndex { $0.classes == .opaque })
        #expect(workload.evaluateUnbound(opaque) == workload.evaluate(opaque))
        var sink = 0
        for i in 0..<workload.statements.count { sink &+= Int(workload.evaluateUnbound(i).rule) }
        let before = rg_thread_allocation_count()
        for i in 0..<Self.iterations { sink &+= Int(workload.evaluateUnbound(i).rule) }
        let after = rg_thread_allocation_count()
        #expect(sink != Int.min)
        #expect(after - before == 0)
    }

    @Test func sessionEvaluationDoesNotAllocateBetweenReloads() throws {
        let store = PolicyStore(PolicySnapshot(compiling: SyntheticPolicy.typical()))
        var session = PolicySession(store: store, identity: "user7", groups: ["g3"], resource: "pg-3")
        let text = Array("public.orders".utf8)
        let refs = [RelationReference(schema: ByteRange(start: 0, count: 6), schemaQuoted: false, name: ByteRange(start: 7, count: 6), nameQuoted: false, isModified: false)]
        let allocated = refs.withUnsafeBufferPointer { refs in
            text.withUnsafeBytes { raw in
                let writeDrop: StatementClass = [.write, .drop]
                let snapshot = store.snapshot
                let subject = snapshot.subject(identity: "user7", groups: ["g3"])
                let resource = snapshot.resource(named: "pg-3")
                let expectedRead = snapshot.evaluate(identity: subject, resource: resource, classes: .read, relations: refs, in: raw, statementLength: 20)
                let expectedWrite = snapshot.evaluate(identity: subject, resource: resource, classes: writeDrop, relations: refs, in: raw, statementLength: 20)
                _ = session.evaluate(classes: .read, relations: refs, in: raw, statementLength: 20)
                var mismatches = 0
                let before = rg_thread_allocation_count()
                for i in 0..<10_000 {
                    let classes = i % 2 == 0 ? StatementClass.read : writeDrop
                    let decision = session.evaluate(classes: classes, relations: refs, in: raw, statementLength: 20)
                    if decision != (i % 2 == 0 ? expectedRead : expectedWrite) { mismatches += 1 }
                }
                let after = rg_thread_allocation_count()
                #expect(mismatches == 0)
                #expect(expectedRead != expectedWrite)
                return after - before
            }
        }
        #expect(allocated == 0)
    }
}
