import Codecs
import Foundation
import Testing

@testable import Gateway

/// `ringgate replay`'s transcript of a recording made by the recorder: statements, decisions,
/// masked results as aligned tables, errors, notices, end; masked values never unmasked.
@Suite struct RecordingTranscriptTests {
    static let secretEmail = "bob.secret@example.com"
    static let secretCard = "4111111111111111"

    /// Masks a row the way the session does before the client gets it.
    static func masked(_ row: [UInt8]) -> [UInt8] {
        let scanner = SensitiveDataScanner(configuration: .init(kinds: [.creditCard, .email]))
        var copy = row
        copy.withUnsafeMutableBytes { bytes in
            let body = UnsafeMutableRawBufferPointer(rebasing: bytes[5...])
            guard let view = try? DataRowView(body: UnsafeRawBufferPointer(body)) else { return }
            for cell in view where !cell.isNull {
                scanner.maskInPlace(UnsafeMutableRawBufferPointer(rebasing: body[cell.offset..<(cell.offset + Int(cell.length))]))
            }
        }
        return copy
    }

    static func makeRecording() throws -> (path: String, audit: CollectingAuditSink) {
        let directory = RecordingTests.directoryPath()
        let audit = CollectingAuditSink()
        let writer = RecordingWriter(
            settings: RecordingSettings(directory: directory), storage: try RecordingDirectory(path: directory), audit: audit)
        var recorder = SessionRecorder()
        let ms: UInt64 = 1_000_000
        recorder.start(writer: writer, header: RecordingTests.header(), reply: nil, now: 10 * ms)
        _ = recorder.recordStartup([("user", "alice"), ("database", "appdb"), ("application_name", "psql")], at: 10 * ms)
        let sql = Array("SELECT id, email,\n       card FROM customers".utf8)
        _ = sql.withUnsafeBytes { recorder.recordStatement(type: UInt8(ascii: "Q"), name: PostgresSession.noBytes, text: $0, at: 1_010 * ms) }
        _ = recorder.recordDecision(Decision(action: .allow, reason: .rule, rule: 1, statementClass: .read), classes: .read,
                                    rule: "analysts-read", policyVersion: "0123456789abcdef", at: 1_010 * ms)
        func record(_ bytes: [UInt8], _ call: (inout SessionRecorder, UnsafeRawBufferPointer) -> Bool) {
            _ = bytes.withUnsafeBytes { call(&recorder, $0) }
        }
        record(RecordingTests.rowDescription(["id", "email", "card"])) { $0.recordRowDescription($1, at: 1_012 * ms) }
        record(masked(RecordingTests.dataRow(["1", secretEmail, secretCard]))) { $0.recordDataRow($1, at: 1_013 * ms) }
        record(masked(RecordingTests.dataRow(["22", nil, "none\u{1B}[31m"]))) { $0.recordDataRow($1, at: 1_013 * ms) }
        record(RecordingTests.commandComplete("SELECT 2")) { $0.recordCommandComplete($1, at: 1_014 * ms) }
        record(RecordingTests.ready()) { $0.recordReadyForQuery($1, at: 1_014 * ms) }
        _ = Array("DROP TABLE customers".utf8).withUnsafeBytes {
            recorder.recordStatement(type: UInt8(ascii: "P"), name: UnsafeRawBufferPointer(start: nil, count: 0), text: $0, at: 61_500 * ms)
        }
        _ = recorder.recordDecision(Decision(action: .deny, reason: .rule, rule: 0, statementClass: .drop), classes: .drop,
                                    rule: "no-destroy", policyVersion: "0123456789abcdef", at: 61_500 * ms)
        record(RecordingTests.error("ERROR", "42501", "permission denied by gateway policy")) { $0.recordError($1, at: 61_501 * ms) }
        record(RecordingTests.error("NOTICE", "00000", "table is big", type: "N")) { $0.recordNotice($1, at: 61_502 * ms) }
        record(RecordingTests.ready("E")) { $0.recordReadyForQuery($1, at: 61_502 * ms) }
        recorder.end(reason: "client-terminate", at: 3_723_010 * ms)
        #expect(writer.flush())
        return (RecordingTests.files(in: directory)[0], audit)
    }

    @Test func transcriptShowsStatementsDecisionsAndMaskedTables() throws {
        let (path, _) = try Self.makeRecording()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var lines: [String] = []
        let failure = bytes.withUnsafeBytes { RecordingTranscript.write($0) { lines.append($0) } }
        #expect(failure == nil)
        let expected = """
            RingGate session recording (format 1)
              session       7
              identity      alice
              groups        devs
              resource      pg
              database      appdb
              client        127.0.0.1:40000
              upstream user app
              started       2023-11-14 22:13:20.123456 UTC
              policy        0123456789abcdef
              gateway       test

            [00:00:00.000] startup  user=alice database=appdb application_name=psql
            [00:00:01.000] query
                SELECT id, email,
                       card FROM customers
            [00:00:01.000] decision allow (rule analysts-read; classes read; policy 0123456789abcdef)
              id | email                  | card
              ---+------------------------+-----------------
              1  | ********************** | ****************
              22 | NULL                   | none\\u{1b}[31m
              (2 rows)
            [00:00:01.004] complete SELECT 2
            [00:00:01.004] ready    idle
            [00:01:01.490] parse    DROP TABLE customers
            [00:01:01.490] decision deny (rule no-destroy; classes drop; policy 0123456789abcdef)
            [00:01:01.491] error    ERROR 42501: permission denied by gateway policy
            [00:01:01.492] notice   NOTICE 00000: table is big
            [00:01:01.492] ready    in failed transaction
            [01:02:03.000] end      client-terminate
            """
        #expect(lines.joined(separator: "\n") == expected)
    }

    /// No masked value appears unmasked in the recording file, nor in any audit line.
    @Test func maskedValuesNeverAppearInTheRecordingOrTheAudit() throws {
        let (path, audit) = try Self.makeRecording()
        let file = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(!file.contains(Self.secretEmail) && !file.contains("secret") && !file.contains(Self.secretCard))
        #expect(file.contains(String(repeating: "*", count: Self.secretEmail.count)))
        var lines: [UInt8] = []
        for event in audit.recorded { event.appendJSONLine(to: &lines) }
        let text = String(decoding: lines, as: UTF8.self)
        #expect(!text.contains(Self.secretEmail) && !text.contains(Self.secretCard))
    }
}
