import Codecs
import Foundation
import Gateway
import Testing

@Suite struct AuditSinkTests {
    @Test func decisionEventsCarryThePolicyVersionAsJSONLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let snapshot = try compile(resourcesYAML + """

            policies:
              - id: analysts-read
                resources: [pg-prod]
                groups: [analysts]
                allow: [read]
            """)
        var session = PolicySession(store: PolicyStore(snapshot), identity: "alice", resource: "pg-prod")
        let sink = try JSONLinesAuditSink(path: path)
        for classes in [StatementClass.read, [.read, .write]] {
            let decision = session.evaluate(classes: classes, statementLength: 10)
            sink.record(AuditEvent(decision: decision, session: session, classes: classes))
        }
        #expect(sink.failedWrites == 0)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let events = try lines.map { try JSONDecoder().decode(AuditEvent.self, from: Data($0.utf8)) }
        #expect(events.map(\.policyVersion) == [snapshot.version, snapshot.version])
        #expect(events.map(\.action) == ["allow", "deny"])
        #expect(events.map(\.rule) == ["analysts-read", nil])
        #expect(events.map(\.reason) == ["rule", "resource-default"])
        #expect(events[1].classes == ["read", "write"])
        #expect(events.allSatisfy { $0.kind == .decision && $0.identity == "alice" && $0.resource == "pg-prod" })
        #expect(lines[0].contains("\"policy_version\":\"\(snapshot.version)\""))
    }

    @Test func unopenableLogIsAnError() {
        #expect(throws: JSONLinesAuditSink.OpenError.self) { try JSONLinesAuditSink(path: "/nonexistent-dir/audit.jsonl") }
    }
}
