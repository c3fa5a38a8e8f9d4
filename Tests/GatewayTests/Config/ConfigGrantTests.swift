import CAllocCounter
import Codecs
import Foundation
@testable import Gateway
import Testing

/// `grants:` and `policies[].grant`: what a time-boxed grant gives, who may ask, and how a
/// session picks it up and loses it.
@Suite struct ConfigGrantTests {
    static func yaml(control: Bool = true, rules: String? = nil, grants: String? = nil) -> String {
        """
        gateway:
          loops: 1
        \(control ? "  control:\n    listen: 127.0.0.1:9180\n    approver_groups: [oncall]" : "")
        resources:
          - name: pg-prod
            protocol: postgres
            listen: 127.0.0.1:6432
            upstream: db.internal:5432
            default: deny
        groups:
          - name: agents
            members: [bot]
          - name: dba
            members: [alice]
        policies:
          - id: agents-read
            resources: [pg-prod]
            groups: [agents]
            allow: [read]
        \(rules ?? """
          - id: prod-write
            resources: [pg-prod]
            grant: prod-write
            allow: [write]
        """)
        grants:
        \(grants ?? """
          - name: prod-write
            resources: ["pg-*"]
            max_duration: 4h
            requesters:
              groups: [agents]
            approval:
              approver_groups: [dba]
              min_approvals: 2
        """)
        """
    }

    @Test func grantsAndGrantRulesParse() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(), file: "test.yaml")
        let grant = try #require(config.grants.first)
        #expect(grant.name == "prod-write" && grant.resources == ["pg-*"] && grant.maxDurationMilliseconds == 4 * 3_600_000)
        #expect(grant.requesterGroups == ["agents"] && grant.requesterIdentities.isEmpty)
        #expect(grant.approval?.approverGroups == ["dba"] && grant.approval?.minApprovals == 2)
        #expect(config.policies.first { $0.id == "prod-write" }?.grant == "prod-write")
        #expect(grant.covers(resource: "pg-prod") && !grant.covers(resource: "redis"))
        #expect(grant.mayBeRequested(by: "bot", groups: ["agents"]) && !grant.mayBeRequested(by: "eve", groups: ["dba"]))
        #expect(grant.approvalSettings(resource: "pg-prod", in: config).approverGroups == ["dba"])
        // The grant is part of the policy version.
        var other = config
        other.grants[0].maxDurationMilliseconds = 3_600_000
        #expect(PolicySnapshot(compiling: config).version != PolicySnapshot(compiling: other).version)
    }

    @Test func mistakesAreReported() {
        func diagnostics(_ yaml: String) -> [String] { ConfigRecordingTests.diagnostics(yaml) }
        #expect(diagnostics(Self.yaml(rules: """
              - id: prod-write
                resources: [pg-prod]
                grant: prod-writes
                allow: [write]
            """)).contains { $0.contains("unknown grant 'prod-writes'") })
        #expect(diagnostics(Self.yaml(rules: """
              - id: prod-write
                resources: [pg-prod]
                grant: prod-write
                groups: [agents]
                allow: [write]
            """)).contains { $0.contains("applies to the grant's holders only") })
        #expect(diagnostics(Self.yaml(rules: "")).contains { $0.contains("gives nothing: no rule names it") })
        #expect(diagnostics(Self.yaml(control: false)).contains { $0.contains("grants need gateway.control") })
        #expect(diagnostics(Self.yaml(grants: """
              - name: prod-write
                resources: [pg-prod]
                approval:
                  approver_groups: [dba]
                  timeout: 5m
            """)).contains { $0.contains("'timeout' applies to held statements only") })
        #expect(diagnostics(Self.yaml(grants: """
              - name: prod-write
                resources: [mysql-*]
                max_duration: 90d
            """)).count == 2, "a pattern matching no resource, and a duration over 30 days")
        #expect(diagnostics(Self.yaml(grants: """
              - name: prod-write
                resources: [pg-prod]
                requesters:
                  groups: [nobody]
            """)).contains { $0.contains("unknown group 'nobody'") })
    }

    /// A grant's rules apply while the session holds it: given and taken away through
    /// ``ActiveGrants``, effective at the next statement of a live session, ended by its
    /// expiry even when nobody replaces the table.
    @Test func aLiveSessionGainsAndLosesTheGrantAtItsNextStatement() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(), file: "test.yaml")
        let store = PolicyStore(PolicySnapshot(compiling: config))
        let grants = ActiveGrants()
        var session = PolicySession(store: store, grants: grants, identity: "bot", groups: [], resource: "pg-prod")
        func write() -> PolicyAction { session.evaluate(classes: .write, statementLength: 10).action }
        #expect(write() == .deny)
        #expect(session.evaluate(classes: .read, statementLength: 10).action == .allow)

        let now = Date()
        var grant = AccessGrant(id: "g-1", identity: "bot", resource: "pg-prod", ruleSet: "prod-write", reason: "r",
                                duration: .seconds(3600), requestedAt: now, approvedAt: now, approvedBy: "alice",
                                expiresAt: now.addingTimeInterval(3600))
        grants.replace(with: [grant])
        #expect(write() == .allow)
        #expect(session.heldGrants == ["prod-write"])
        // Holding a grant costs no allocation per statement (a clock read, an atomic load).
        var allowed = 0
        let before = rg_thread_allocation_count()
        for _ in 0..<10_000 where write() == .allow { allowed += 1 }
        #expect(rg_thread_allocation_count() - before == 0)
        #expect(allowed == 10_000)
        #expect(session.snapshot.ruleID(of: session.evaluate(classes: .write, statementLength: 10)) == "prod-write")
        // Another identity, or the same one on another resource, holds nothing.
        var other = PolicySession(store: store, grants: grants, identity: "eve", groups: ["agents"], resource: "pg-prod")
        #expect(other.evaluate(classes: .write, statementLength: 10).action == .deny)

        grants.replace(with: [])
        #expect(write() == .deny, "revoked: gone at the next statement")

        // Expiry is checked by the session itself: nothing replaces the table at the deadline.
        let expiry = Date().addingTimeInterval(2)
        grant.expiresAt = expiry
        grants.replace(with: [grant])
        #expect(write() == .allow)
        while Date() <= expiry { Thread.sleep(forTimeInterval: 0.05) }
        #expect(write() == .deny, "expired: gone at the next statement")
    }

    /// The grant's group cannot be claimed: a token group spelled like it binds nothing.
    @Test func aTokenGroupCannotPoseAsAGrant() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(), file: "test.yaml")
        let snapshot = PolicySnapshot(compiling: config)
        let resource = snapshot.resource(named: "pg-prod")
        for claimed in ["grant:prod-write", "prod-write", "grant:prod-write\u{0}", "GRANT:prod-write"] {
            let subject = snapshot.subject(identity: "bot", groups: [claimed])
            let decision = snapshot.evaluate(
                identity: subject, resource: resource, classes: .write, relations: UnsafeBufferPointer(start: nil, count: 0),
                in: UnsafeRawBufferPointer(start: nil, count: 0), statementLength: 10)
            #expect(decision.action == .deny, "\(claimed)")
        }
        let granted = snapshot.subject(identity: "bot", grants: ["prod-write"])
        let decision = snapshot.evaluate(
            identity: granted, resource: resource, classes: .write, relations: UnsafeBufferPointer(start: nil, count: 0),
            in: UnsafeRawBufferPointer(start: nil, count: 0), statementLength: 10)
        #expect(decision.action == .allow)
        // `ringgate explain --grant` decides as if the grant were held.
        let input = StatementInput.classify(sql: "UPDATE orders SET paid = true WHERE id = 1")
        let without = PolicyExplanation.explain(snapshot: snapshot, identity: "bot", groups: [], resource: "pg-prod", statement: input)
        let with = PolicyExplanation.explain(
            snapshot: snapshot, identity: "bot", groups: [], grants: ["prod-write"], resource: "pg-prod", statement: input)
        #expect(without.decision.action == .deny && with.decision.action == .allow)
        #expect(with.report.contains("prod-write") && with.report.contains("while grant prod-write is held"), "\(with.report)")
    }
}
