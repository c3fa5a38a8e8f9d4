import Foundation
import Glibc
import IOCore
import Testing

@testable import Gateway

/// A PostgreSQL session with recording on (``EmbeddedSession``): what it records itself
/// (startup, statements, decisions, its refusals, end), and the configured behaviour when
/// the recording cannot be written.
@Suite struct RecordedSessionTests {
    typealias Session = PostgresSessionTests

    static func fixture(writer: RecordingWriter, audit: any AuditSink, policy: String = PostgresSessionTests.policy) async throws
        -> PostgresSessionTests.Fixture {
        let base = try await Session.fixture(policy: policy)
        var resource = base.shared.postgres[0]!
        resource.recorded = true
        let shared = GatewaySessionShared(
            postgres: [resource], policies: base.shared.policies, authentication: base.shared.authentication,
            cancelKeys: base.cancelKeys, audit: audit, recordings: writer)
        return PostgresSessionTests.Fixture(shared: shared, token: base.token, cancelKeys: base.cancelKeys)
    }

    static func writer(_ storage: any RecordingStorage, _ directory: String, _ mode: RecordingFailureMode,
                       audit: any AuditSink) -> RecordingWriter {
        RecordingWriter(settings: RecordingSettings(directory: directory, onFailure: mode, bufferSize: 4096), storage: storage, audit: audit)
    }

    @Test func theSessionRecordsStatementsDecisionsAndRefusals() async throws {
        let directory = RecordingTests.directoryPath()
        let audit = CollectingAuditSink()
        let writer = Self.writer(try RecordingDirectory(path: directory), directory, .close, audit: audit)
        let fixture = try await Self.fixture(writer: writer, audit: audit)
        var harness = try await Session.loggedIn(fixture)
        harness.receive(Session.query("SELECT 1"), from: .client)
        let forwarded = harness.takeSent(to: .upstream)
        #expect(forwarded == Session.query("SELECT 1"))
        harness.receive(Session.query("DROP TABLE t"), from: .client)
        let standIn = harness.takeSent(to: .upstream)
        #expect(standIn == Session.standInQuery)
        harness.receive(Session.standInError + Session.ready(), from: .upstream)
        let refusal = harness.takeSent(to: .client)
        #expect(Session.errorStates(refusal) == ["42501"])
        harness.receiveEOF(from: .client)
        harness.receiveEOF(from: .upstream)
        #expect(writer.flush())

        let files = RecordingTests.files(in: directory)
        #expect(files.count == 1)
        let (records, error) = try RecordingTests.records(at: files[0])
        #expect(error == nil)
        #expect(records.map(\.0) == [.header, .startup, .statement, .decision, .statement, .decision, .error, .readyForQuery, .end])
        #expect(records[2].1 == [UInt8(ascii: "Q"), 0] + Array("SELECT 1".utf8))
        #expect(RecordedDecision(decoding: records[3].1)?.action == .allow)
        #expect(records[4].1 == [UInt8(ascii: "Q"), 0] + Array("DROP TABLE t".utf8))
        let denied = RecordedDecision(decoding: records[5].1)
        #expect(denied?.action == .deny && denied?.rule == "no-destroy" && denied?.decidingClass == .drop)
        #expect(Array(refusal.prefix(records[6].1.count)) == records[6].1, "the refusal as the client got it")
        let header = RecordingHeader(decoding: records[0].1)
        #expect(header?.identity == "alice" && header?.resource == "pg" && header?.database == "appdb")
        #expect(records[1].1 == Array("user\0alice\0database\0appdb\0".utf8))
        let file = String(decoding: try Data(contentsOf: URL(fileURLWithPath: files[0])), as: UTF8.self)
        #expect(!file.contains(fixture.token), "never the token")
        #expect(audit.recorded.filter { $0.kind == .recordingFailed }.isEmpty)
    }

    @Test func pauseModeStopsReadingBothSidesUntilTheRecordingIsWritten() async throws {
        let directory = RecordingTests.directoryPath()
        let audit = CollectingAuditSink()
        let disk = SimulatedDisk(directory: try RecordingDirectory(path: directory), capacity: 0)
        let writer = Self.writer(disk, directory, .pause, audit: audit)
        let fixture = try await Self.fixture(writer: writer, audit: audit)
        var harness = try await Session.loggedIn(fixture)
        harness.receive(Session.query("SELECT '\(String(repeating: "x", count: 5000))'"), from: .client)
        var waited = 0
        while harness.isReading(.client) && waited < 20_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            harness.runMailbox()
        }
        let paused = (harness.isReading(.client), harness.isReading(.upstream), harness.isOpen)
        #expect(paused == (false, false, true), "stalled: both sides paused, the session stays")
        disk.free(1 << 20)
        waited = 0
        while !harness.isReading(.client) && waited < 20_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            harness.runMailbox()
        }
        let resumed = (harness.isReading(.client), harness.isReading(.upstream))
        #expect(resumed == (true, true))
        harness.receiveEOF(from: .client)
        harness.receiveEOF(from: .upstream)
        #expect(writer.flush())
        #expect(audit.recorded.filter { $0.kind == .recordingFailed }.isEmpty)
        let (records, error) = try RecordingTests.records(at: RecordingTests.files(in: directory)[0])
        #expect(error == nil && records.map(\.0) == [.header, .startup, .statement, .decision, .end])
    }

    @Test func closeModeEndsTheSessionWithAFatalAndAnAuditLine() async throws {
        let directory = RecordingTests.directoryPath()
        let audit = CollectingAuditSink()
        let disk = SimulatedDisk(directory: try RecordingDirectory(path: directory), capacity: 0)
        let writer = Self.writer(disk, directory, .close, audit: audit)
        let fixture = try await Self.fixture(writer: writer, audit: audit)
        var harness = try await Session.loggedIn(fixture)
        // A statement larger than a block: the full block goes to the writer at once, its
        // write fails, and the session learns it through its mailbox.
        harness.receive(Session.query("SELECT '\(String(repeating: "x", count: 5000))'"), from: .client)
        var waited = 0
        while harness.isOpen && waited < 20_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            harness.runMailbox()
        }
        let open = harness.isOpen
        #expect(!open)
        let answer = harness.takeSent(to: .client)
        #expect(Session.errorStates(answer).last == "58030")
        #expect(String(decoding: answer, as: UTF8.self).contains("session recording failed"))
        #expect(writer.flush())
        let failures = audit.recorded.filter { $0.kind == .recordingFailed }
        #expect(failures.count == 1)
        #expect((failures.first?.records ?? 0) > 0 && failures.first?.reason?.contains("No space left on device") == true)
    }
}
