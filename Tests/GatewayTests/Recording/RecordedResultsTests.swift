import CAllocCounter
import Foundation
import IOCore
import Testing

@testable import Gateway

/// The acceptance test of recording v1 through the results loop: a session's file replays
/// to the statements and masked results the client saw (byte for byte, however the server's
/// stream is cut), no masked value appears in the recording or the audit, and the statement's
/// audit event carries the result's rows and bytes; and recording masked rows allocates nothing.
@Suite
struct RecordedResultsTests {
    typealias T = PostgresSessionTests
    typealias M = PostgresMaskingSessionTests

    @Test func theRecordingHoldsWhatTheClientSawMasked() async throws {
        let directory = RecordingTests.directoryPath()
        let audit = CollectingAuditSink()
        let writer = RecordedSessionTests.writer(try RecordingDirectory(path: directory), directory, .close, audit: audit)
        let fixture = try await RecordedSessionTests.fixture(writer: writer, audit: audit, policy: M.policy())
        var harness = try await T.loggedIn(fixture)
        _ = harness.takeSent(to: .upstream)
        harness.receive(M.catalogAnswer, from: .upstream)
        #expect(harness.takeSent(to: .client).isEmpty)
        var seen: [UInt8] = []
        let cuts = [0, 7, M.result.count / 2, M.result.count - 3]
        for cut in cuts {
            harness.receive(T.query("SELECT id, secret AS s, note, num::int8 FROM t"), from: .client)
            _ = harness.takeSent(to: .upstream)
            harness.receive(M.result, from: .upstream, cuts: [cut])
            let sent = harness.takeSent(to: .client)
            #expect(sent == M.masked)
            seen += sent
        }
        harness.receiveEOF(from: .client)
        harness.receiveEOF(from: .upstream)
        #expect(writer.flush())

        let path = RecordingTests.files(in: directory)[0]
        let (records, error) = try RecordingTests.records(at: path)
        #expect(error == nil)
        let received = records.filter { [.rowDescription, .dataRow, .commandComplete, .error, .notice, .readyForQuery].contains($0.0) }
        #expect(received.flatMap(\.1) == seen, "the recording holds exactly what the client received")
        #expect(records.filter { $0.0 == .statement }.count == cuts.count)
        let file = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(!file.contains(M.card) && !file.contains("hunter2") && !file.contains("swordfish"))

        var lines: [String] = []
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.withUnsafeBytes { RecordingTranscript.write($0) { lines.append($0) } } == nil)
        #expect(lines.contains("  1  | *******   | card **************** on file | NULL"))
        #expect(lines.filter { $0 == "  (3 rows)" }.count == cuts.count)

        var json: [UInt8] = []
        for event in audit.recorded { event.appendJSONLine(to: &json) }
        let text = String(decoding: json, as: UTF8.self)
        #expect(!text.contains(M.card) && !text.contains("hunter2"))
        let statements = audit.recorded.filter { $0.kind == .statement }
        let rowBytes = UInt64(M.masked.count - M.rowDescription([
            ("id", M.tableOID, 1, 23, 0), ("s", M.tableOID, 2, 25, 0), ("note", M.tableOID, 3, 25, 0), ("num", 0, 0, 20, 0),
        ]).count - M.commandComplete("SELECT 3").count - T.ready().count)
        #expect(statements.count == cuts.count && statements.allSatisfy { $0.rows == 3 && $0.bytes == rowBytes })
    }

    /// Recording masked rows on the loop thread allocates nothing once the pool is warm.
    /// (ReadyForQuery is left out: the results path itself allocates there today.)
    @Test func recordingMaskedRowsAllocatesNothing() async throws {
        let directory = RecordingTests.directoryPath()
        let audit = CollectingAuditSink()
        let writer = RecordingWriter(
            settings: RecordingSettings(directory: directory, bufferSize: 64 << 10), storage: try RecordingDirectory(path: directory),
            audit: audit)
        let fixture = try await RecordedSessionTests.fixture(writer: writer, audit: audit, policy: M.policy())
        var harness = try await T.loggedIn(fixture)
        _ = harness.takeSent(to: .upstream)
        harness.receive(M.catalogAnswer, from: .upstream)
        let rows = (0..<200).flatMap { _ in M.dataRow(["7", "secret-value", "card \(M.card) here", M.card]) }
        let header = Array(M.result.prefix(M.rowDescription([
            ("id", M.tableOID, 1, 23, 0), ("s", M.tableOID, 2, 25, 0), ("note", M.tableOID, 3, 25, 0), ("num", 0, 0, 20, 0),
        ]).count))
        harness.receive(T.query("SELECT id, secret AS s, note, num FROM t"), from: .client)
        _ = harness.takeSent(to: .upstream)
        harness.receive(header + rows + T.ready(), from: .upstream)  // warm-up
        _ = harness.takeSent(to: .client)
        #expect(writer.flush())
        for _ in 0..<3 {
            let before = rg_thread_allocation_count()
            harness.receive(rows, from: .upstream)
            let allocations = rg_thread_allocation_count() - before
            let sent = harness.takeSent(to: .client)
            #expect(T.types(sent) == String(repeating: "D", count: 200))
            #expect(allocations == 0, "\(allocations) allocations for 200 masked and recorded rows")
            #expect(writer.flush())
        }
    }
}
