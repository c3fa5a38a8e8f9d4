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

@Suite struct AuditJSONLineTests {
    /// The direct writer produces exactly what JSONEncoder (sorted keys, unescaped slashes) does.
    @Test func matchesJSONEncoder() throws {
        var full = AuditEvent(
            kind: .statement, policyVersion: "abc123", identity: "ci/runner \"7\"", resource: "pg",
            action: "deny", reason: "rule", rule: "no-destroy", classes: ["drop", "write"],
            message: "line\nbreak\ttab \\ back \u{01} ctl é ü", timeMilliseconds: 1_796_603_471_591)
        full.sessionID = 42
        full.groups = ["devs", "ops"]
        full.clientAddress = "127.0.0.1:40000"
        full.database = "appdb"
        full.upstreamUser = "app"
        full.bytesIn = 0
        full.bytesOut = 123_456_789
        full.durationMilliseconds = 3010.531187057495
        full.closeReason = "completed"
        full.relations = ["public.t", "\"Mixed\".x"]
        full.rows = 7
        full.bytes = 4096
        full.records = 3
        var integral = AuditEvent(kind: .sessionEnd, policyVersion: "v", timeMilliseconds: -5)
        integral.durationMilliseconds = 12
        let minimal = AuditEvent(kind: .policyReloaded, policyVersion: "v2", timeMilliseconds: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for event in [full, integral, minimal] {
            var line: [UInt8] = []
            event.appendJSONLine(to: &line)
            let expected = Array(try encoder.encode(event)) + [0x0A]
            #expect(String(decoding: line, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            let decoded = try JSONDecoder().decode(AuditEvent.self, from: Data(line.dropLast()))
            #expect(decoded == event)
        }
    }
}
