import Codecs
import Foundation
import Gateway
import Testing

@Suite struct PolicyExplanationTests {
    func exampleSnapshot() throws -> PolicySnapshot {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        // Parsed from its text: a checkout made with umask 002 leaves the file group-writable,
        // which `load(path:)` refuses as a trust file (the content is what is tested here).
        let path = root.appendingPathComponent("config/example.yaml").path
        return PolicySnapshot(compiling: try ConfigLoader.parse(yaml: String(contentsOfFile: path, encoding: .utf8), file: path))
    }

    @Test func explainNamesTheDecidingRuleAndTheVersion() throws {
        let snapshot = try exampleSnapshot()
        let statement = try StatementInput(classNames: ["read"], relationNames: ["HR.Salaries"])
        let result = PolicyExplanation.explain(
            snapshot: snapshot, identity: "carol@example.com", groups: [], resource: "pg-prod", statement: statement)
        #expect(result.decision.action == .deny)
        #expect(snapshot.ruleID(of: result.decision) == "no-salaries")
        #expect(result.report.contains("decision:       deny"))
        #expect(result.report.contains("rule:           no-salaries (line "))
        #expect(result.report.contains("policy version: \(snapshot.version)"))
        #expect(result.report.contains("groups: analysts"))

        let orders = try StatementInput(classNames: ["read"], relationNames: ["public.orders"])
        let allowed = PolicyExplanation.explain(
            snapshot: snapshot, identity: "carol@example.com", groups: [], resource: "pg-prod", statement: orders)
        #expect(allowed.decision.action == .allow)
        #expect(snapshot.ruleID(of: allowed.decision) == "analysts-read-prod")
    }

    @Test func effectivePolicyListsEveryClassMasksAndLimits() throws {
        let snapshot = try exampleSnapshot()
        let text = PolicyExplanation.effectivePolicy(
            snapshot: snapshot, identity: "bob@example.com", groups: [], resource: "pg-prod")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  read ") && $0.contains("allow") && $0.hasSuffix("rule oncall-write-prod") })
        #expect(lines.contains { $0.hasPrefix("  drop ") && $0.contains("review") })
        #expect(lines.contains { $0.hasPrefix("  copy-program ") && $0.contains("deny") })
        // opaque: the most severe class (grant is denied by oncall-write-prod).
        #expect(lines.contains { $0.hasPrefix("  opaque ") && $0.contains("deny") && $0.hasSuffix("rule oncall-write-prod") })
        #expect(lines.contains("identity: bob@example.com (groups: oncall)"))

        let replica = PolicyExplanation.effectivePolicy(
            snapshot: snapshot, identity: "anyone", groups: [], resource: "pg-analytics-replica")
        #expect(replica.contains("columns *.ssn, customers.email -> redact (rule replica-read)"))
        #expect(replica.contains("detector credit_card -> partial (rule replica-read)"))
        #expect(replica.contains("limits: max_rows=10000 max_bytes=67108864 max_statement_length=none"))
    }

    @Test func statementInputParsesRelationsLikeTheClassifierReportsThem() throws {
        let input = try StatementInput(classNames: ["read", "write"], relationNames: ["public.users", "\"Audit\".\"Log\"", "\"a\"\"b\""])
        #expect(input.classes == [.read, .write])
        #expect(input.relations.count == 3)
        func text(_ range: ByteRange?) -> String? {
            guard let range else { return nil }
            return String(decoding: input.text[Int(range.start)..<Int(range.end)], as: UTF8.self)
        }
        #expect(text(input.relations[0].schema) == "public")
        #expect(text(input.relations[0].name) == "users")
        #expect(input.relations[1].schemaQuoted && input.relations[1].nameQuoted)
        #expect(text(input.relations[1].name) == "Log")
        #expect(text(input.relations[2].name) == "a\"\"b")
        #expect(input.relations[2].schema == nil)
        #expect(throws: StatementInput.InputError.unknownClass("reed")) { try StatementInput(classNames: ["reed"], relationNames: []) }
        #expect(throws: StatementInput.InputError.self) { try StatementInput(classNames: [], relationNames: ["a.b.c"]) }
    }

    @Test func sqlIsClassifiedByTheCodecClassifier() {
        let input = StatementInput.classify(sql: #"DELETE FROM public.orders; SELECT * FROM "Audit".log"#)
        #expect(input.classes.contains([.write, .deleteWithoutWhere, .read]))
        #expect(!input.classes.contains(.opaque))
        let names = input.relations.map { relation in
            String(decoding: input.text[Int(relation.name.start)..<Int(relation.name.end)], as: UTF8.self)
        }
        #expect(names == ["orders", "log"])
        #expect(input.relations[0].isModified && !input.relations[1].isModified)
        #expect(input.relations[1].schemaQuoted)
        #expect(input.length == input.text.count)
        // What the classifier cannot see into is never reported as a plain read.
        #expect(StatementInput.classify(sql: "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$").classes.contains(.opaque))
    }

    @Test func sessionOnAnUnknownResourceDeniesEverything() throws {
        let store = PolicyStore(try exampleSnapshot())
        var session = PolicySession(store: store, identity: "alice@example.com", resource: "no-such-resource")
        let decision = session.evaluate(classes: .read, statementLength: 8)
        #expect(decision.action == .deny)
        #expect(decision.reason == .unknownResource)
    }
}
