import Codecs
import Gateway
import Testing

/// The per-connection binding must decide exactly as the unbound evaluator does.
@Suite struct PolicyBindingTests {
    @Test(arguments: ["typical", "mid"])
    func boundAndUnboundPathsAgree(ruleSet: String) {
        let config = ruleSet == "typical"
            ? SyntheticPolicy.typical() : SyntheticPolicy.configuration(rules: 600, groups: 90, resources: 12)
        let snapshot = PolicySnapshot(compiling: config)
        let text = Array("public.orders schema3.table3 orders_8".utf8)
        let refs = [
            RelationReference(schema: ByteRange(start: 0, count: 6), schemaQuoted: false, name: ByteRange(start: 7, count: 6), nameQuoted: false, isModified: false),
            RelationReference(schema: ByteRange(start: 14, count: 7), schemaQuoted: false, name: ByteRange(start: 22, count: 6), nameQuoted: false, isModified: true),
            RelationReference(schema: nil, schemaQuoted: false, name: ByteRange(start: 29, count: 8), nameQuoted: false, isModified: false),
        ]
        let classSets: [StatementClass] = [[.read], [.write], [.read, .write], [.drop], [.alter], [.opaque], [], [.transaction, .set], [.truncate, .grant]]
        var compared = 0
        var byAction: [PolicyAction: Int] = [:]
        text.withUnsafeBytes { raw in
            refs.withUnsafeBufferPointer { all in
                for user in 0..<40 {
                    let subject = snapshot.subject(identity: "user\(user)", groups: user % 3 == 0 ? ["g\(user % 7)"] : [])
                    for resource in config.resources.map(\.name) + ["missing"] {
                        let id = snapshot.resource(named: resource)
                        let binding = snapshot.bind(subject, to: id)
                        for classes in classSets {
                            for count in 0...all.count {
                                let slice = UnsafeBufferPointer(rebasing: all[0..<count])
                                for length in [10, 2 << 20] {
                                    let unbound = snapshot.evaluate(identity: subject, resource: id, classes: classes, relations: slice, in: raw, statementLength: length)
                                    let bound = snapshot.evaluate(binding, classes: classes, relations: slice, in: raw, statementLength: length)
                                    #expect(bound == unbound, "user\(user) \(resource) \(classes.names) \(count) \(length)")
                                    byAction[bound.action, default: 0] += 1
                                    compared += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(compared > 1_000)
        #expect(byAction.count == 3)
    }
}
