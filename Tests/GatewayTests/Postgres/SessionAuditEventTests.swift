import Codecs
import Foundation
import Gateway
import Testing

private func line(_ event: AuditEvent) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(event), as: UTF8.self)
}

private func keys(_ json: String) throws -> Set<String> {
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    return Set(object?.keys.map { $0 } ?? [])
}

@Suite struct SessionAuditEventTests {
    static let token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlLXNlY3JldA"
    static let password = "hunter2-S3cret"
    let session = SessionAuditContext(
        sessionID: 42, identity: "alice", groups: ["analysts", "oncall"], resource: "pg-prod",
        clientAddress: "192.0.2.10:51234", database: "orders", upstreamUser: "app_ro")

    @Test func sessionStartAndEnd() throws {
        let start = AuditEvent.sessionStart(session, policyVersion: "v1", timeMilliseconds: 1000)
        let startLine = try line(start)
        #expect(startLine == #"{"client_address":"192.0.2.10:51234","database":"orders","groups":["analysts","oncall"],"identity":"alice","kind":"session_start","policy_version":"v1","resource":"pg-prod","session_id":42,"time_ms":1000,"upstream_user":"app_ro"}"#)

        let end = AuditEvent.sessionEnd(session, policyVersion: "v2", bytesIn: 1234, bytesOut: 987_654,
                                        durationMilliseconds: 60_012.5, closeReason: "client-terminate", timeMilliseconds: 2000)
        let endLine = try line(end)
        #expect(try keys(endLine) == ["bytes_in", "bytes_out", "client_address", "close_reason", "database", "duration_ms",
                                      "groups", "identity", "kind", "policy_version", "resource", "session_id", "time_ms",
                                      "upstream_user"])
        let decoded = try JSONDecoder().decode(AuditEvent.self, from: Data(endLine.utf8))
        #expect(decoded == end)
        #expect(decoded.kind == .sessionEnd && decoded.bytesIn == 1234 && decoded.bytesOut == 987_654)
        #expect(decoded.durationMilliseconds == 60_012.5 && decoded.closeReason == "client-terminate")
    }

    @Test func statementEventsCarryClassesAndRelationsNeverTheText() throws {
        let text = "UPDATE public.users SET password_hash = '\(Self.password)' WHERE id = 1; ALTER ROLE app PASSWORD '\(Self.password)'"
        let summary = SQLClassifier().classify(text)
        let relations = summary.relations.map { reference -> String in
            let (schema, name) = SQLClassifier.names(of: reference, in: text)
            return schema.map { "\($0).\(name)" } ?? name
        }
        let event = AuditEvent.statement(session, policyVersion: "v1", classes: summary.classes, relations: relations,
                                         action: "deny", reason: "rule", rule: "no-role-changes", durationMilliseconds: 0.25,
                                         timeMilliseconds: 3000)
        let json = try line(event)
        #expect(!json.contains(Self.password))
        #expect(!json.contains("password_hash"))
        #expect(!json.contains("PASSWORD"))
        #expect(event.relations == ["public.users"])
        #expect(event.classes?.contains("write") == true && event.classes?.contains("grant") == true)
        #expect(try keys(json) == ["action", "classes", "duration_ms", "identity", "kind", "policy_version", "reason",
                                   "relations", "resource", "rule", "session_id", "time_ms"])
        #expect(json.contains(#""kind":"statement""#) && json.contains(#""rule":"no-role-changes""#))
    }

    @Test func authenticationFailureCarriesTheReasonNotTheToken() throws {
        let failure = AuthenticationFailure(.badSignature, "signature does not verify", provider: "gateway-token")
        let event = AuditEvent.authenticationFailure(failure, resource: "pg-prod", clientAddress: "198.51.100.7:4000",
                                                     policyVersion: "v1", timeMilliseconds: 4000)
        let json = try line(event)
        #expect(!json.contains(Self.token) && !json.contains("c2lnbmF0dXJl"))
        #expect(event.kind == .authenticationRejected && event.reason == "badSignature" && event.identity == nil)
        #expect(try keys(json) == ["client_address", "kind", "message", "policy_version", "reason", "resource", "time_ms"])
    }

    @Test func noSessionFieldCanCarryASecretFromTheLoginInputs() throws {
        // Every string a session event can hold, filled from what a session knows at login:
        // only the verified name, groups, configuration and startup values reach the event.
        let events = [
            AuditEvent.sessionStart(session, policyVersion: "v1"),
            AuditEvent.sessionEnd(session, policyVersion: "v1", bytesIn: 0, bytesOut: 0, durationMilliseconds: 0,
                                  closeReason: "upstream-login-failed"),
            AuditEvent.statement(session, policyVersion: "v1", classes: .read, relations: ["t"], action: "allow",
                                 reason: "rule", rule: "r"),
            AuditEvent.authenticationFailure(AuthenticationFailure(.malformed, "not a JWS"), resource: "pg-prod",
                                             clientAddress: nil, policyVersion: "v1"),
        ]
        for event in events {
            let json = try line(event)
            #expect(!json.contains(Self.token) && !json.contains(Self.password))
            // Each kind decodes back to the same event.
            #expect(try JSONDecoder().decode(AuditEvent.self, from: Data(json.utf8)) == event)
        }
    }

    @Test func existingEventLinesAreUnchanged() throws {
        let event = AuditEvent(kind: .policyReloaded, policyVersion: "abc", message: "trigger=sighup", timeMilliseconds: 5)
        #expect(try line(event) == #"{"kind":"policy_reloaded","message":"trigger=sighup","policy_version":"abc","time_ms":5}"#)
        let old = #"{"action":"deny","classes":["write"],"identity":"bob","kind":"decision","policy_version":"v9","reason":"rule","resource":"pg","rule":"x","time_ms":7}"#
        let decoded = try JSONDecoder().decode(AuditEvent.self, from: Data(old.utf8))
        #expect(decoded.kind == .decision && decoded.sessionID == nil && decoded.relations == nil)
        #expect(try line(decoded) == old)
    }
}
