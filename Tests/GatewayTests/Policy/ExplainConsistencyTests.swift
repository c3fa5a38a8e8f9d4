import Codecs
import Foundation
import Gateway
import Testing

/// `ringgate explain` must report the decision the data path makes: one table of cases goes
/// through `PolicyExplanation.explain` (explain's code path), the `ringgate explain` binary,
/// the unbound and bound evaluators and a `PolicySession`.
@Suite struct ExplainConsistencyTests {
    struct Case: CustomStringConvertible {
        var identity: String
        var resource: String
        var classes: [String]
        var relations: [String] = []
        var action: PolicyAction
        /// The deciding rule's id, or the reason code when no rule decided.
        var why: String

        var description: String { "\(identity) on \(resource): \(classes) \(relations)" }
    }

    static let yaml = resourcesYAML + """

        policies:
          - id: staff-all
            resources: [pg-dev, pg-prod]
            groups: [staff]
            allow: [all]
            deny: [drop]
          - id: no-salaries
            resources: ["*"]
            groups: [analysts]
            relations: [hr.salaries]
            deny: [read]
          - id: glob-review-write
            resources: ["pg-prod*"]
            identities: [bob]
            review: [write]
          - id: erin-opaque
            resources: [pg-review]
            identities: [erin]
            allow: [opaque, read]
          - id: erin-scoped
            resources: [pg-review]
            identities: [erin]
            relations: ["scratch.*"]
            allow: [write]

        """

    static let cases: [Case] = [
        Case(identity: "carol", resource: "pg-dev", classes: ["read"], action: .allow, why: "staff-all"),
        Case(identity: "carol", resource: "pg-dev", classes: ["drop"], action: .deny, why: "staff-all"),
        // allow: [all] no longer covers opaque; drop is denied, so opaque is too.
        Case(identity: "carol", resource: "pg-dev", classes: ["opaque"], action: .deny, why: "staff-all"),
        Case(identity: "carol", resource: "pg-dev", classes: [], action: .deny, why: "staff-all"),
        // A relation-scoped deny on "*" beats the exact-name allow.
        Case(identity: "alice", resource: "pg-prod", classes: ["read"], relations: ["hr.salaries"], action: .deny, why: "no-salaries"),
        Case(identity: "alice", resource: "pg-prod", classes: ["read"], relations: ["public.orders"], action: .allow, why: "staff-all"),
        Case(identity: "alice", resource: "pg-prod", classes: ["opaque"], action: .deny, why: "staff-all"),
        // A review on a glob beats the exact-name allow.
        Case(identity: "bob", resource: "pg-prod", classes: ["read", "write"], action: .review, why: "glob-review-write"),
        Case(identity: "bob", resource: "pg-prod-eu", classes: ["write"], action: .review, why: "glob-review-write"),
        Case(identity: "bob", resource: "pg-prod-eu", classes: ["read"], action: .deny, why: "resource-default"),
        Case(identity: "erin", resource: "pg-review", classes: ["opaque"], action: .allow, why: "erin-opaque"),
        Case(identity: "erin", resource: "pg-review", classes: ["write"], relations: ["scratch.t"], action: .allow, why: "erin-scoped"),
        Case(identity: "erin", resource: "pg-review", classes: ["write"], relations: ["public.t"], action: .review, why: "resource-default"),
        Case(identity: "mallory", resource: "pg-dev", classes: ["opaque"], action: .deny, why: "opaque-unmatched"),
        Case(identity: "mallory", resource: "pg-dev", classes: ["truncate"], action: .allow, why: "resource-default"),
        Case(identity: "mallory", resource: "nowhere", classes: ["read"], action: .deny, why: "unknown-resource"),
    ]

    @Test func explainAndEvaluateAgreeOnEveryCase() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("policy.yaml", Array(Self.yaml.utf8))
        let configuration = try ConfigLoader.load(path: directory.file("policy.yaml"))
        let snapshot = PolicySnapshot(compiling: configuration)
        let store = PolicyStore(snapshot)
        for item in Self.cases {
            let statement = try StatementInput(classNames: item.classes, relationNames: item.relations, length: 10)
            let explained = PolicyExplanation.explain(
                snapshot: snapshot, identity: item.identity, groups: [], resource: item.resource, statement: statement)
            let subject = snapshot.subject(identity: item.identity)
            let resource = snapshot.resource(named: item.resource)
            let binding = snapshot.bind(subject, to: resource)
            var session = PolicySession(store: store, identity: item.identity, resource: item.resource)
            let (unbound, bound, viaSession) = statement.relations.withUnsafeBufferPointer { refs in
                statement.text.withUnsafeBytes { text in
                    (
                        snapshot.evaluate(
                            identity: subject, resource: resource, classes: statement.classes, relations: refs, in: text,
                            statementLength: statement.length),
                        snapshot.evaluate(binding, classes: statement.classes, relations: refs, in: text, statementLength: statement.length),
                        session.evaluate(classes: statement.classes, relations: refs, in: text, statementLength: statement.length)
                    )
                }
            }
            #expect(explained.decision == unbound, "\(item)")
            #expect(explained.decision == bound, "\(item)")
            #expect(explained.decision == viaSession, "\(item)")
            #expect(explained.decision.action == item.action, "\(item)")
            #expect(snapshot.why(explained.decision) == item.why, "\(item)")
            #expect(explained.report.contains("decision:       \(item.action)\n"), "\(item)")
        }
    }

    @Test func theExplainBinaryReportsTheSameDecisions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("policy.yaml", Array(Self.yaml.utf8))
        for item in Self.cases where !item.classes.isEmpty {
            var arguments = [
                "explain", "--config", directory.file("policy.yaml"), "--identity", item.identity, "--resource", item.resource,
                "--class", item.classes.joined(separator: ","), "--length", "10",
            ]
            for relation in item.relations { arguments += ["--relation", relation] }
            let run = try TokenCommandTests.run(arguments)
            #expect(run.status == 0, "\(item): \(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("decision:       \(item.action)"), "\(item): \(run.stdout)")
            let named = lines.contains { $0.hasPrefix("rule:           \(item.why) (line ") }
            let reason = lines.contains("reason:         \(item.why)") && lines.contains("rule:           (none)")
            #expect(named || reason, "\(item): \(run.stdout)")
        }
    }
}
