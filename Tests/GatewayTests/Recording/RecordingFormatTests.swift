import Codecs
import Foundation
import Testing

@testable import Gateway

/// Format v1: header and decision round trips, refusal of other versions and damaged files,
/// and what later additions (unknown kinds, flags, extension words, header fields) must not break.
@Suite struct RecordingFormatTests {
    /// A file built by hand: preamble, then records `(kind, flags, extension words, payload)`.
    static func file(version: UInt16 = 1, records: [(UInt8, UInt8, Int, [UInt8])]) -> [UInt8] {
        var bytes = RecordingFormat.magic + BigEndian.bytes(version) + [0, 0]
        for (index, (kind, flags, words, payload)) in records.enumerated() {
            bytes += BigEndian.bytes(UInt32(12 + 8 * words + payload.count)) + [kind, 0, flags, UInt8(words)]
            bytes += BigEndian.bytes(UInt64(index * 1000)) + [UInt8](repeating: 0xEE, count: 8 * words) + payload
        }
        return bytes
    }

    static let header = RecordingTests.header().encoded()

    static func read(_ bytes: [UInt8]) -> (kinds: [UInt8], error: RecordingReadError?) {
        bytes.withUnsafeBytes { raw in
            var kinds: [UInt8] = []
            do throws(RecordingReadError) {
                var reader = try RecordingReader(raw)
                while let record = try reader.next() { kinds.append(record.rawKind) }
                return (kinds, nil)
            } catch {
                return (kinds, error)
            }
        }
    }

    @Test func headerRoundTripsAndSkipsUnknownFields() {
        let header = RecordingTests.header()
        #expect(RecordingHeader(decoding: header.encoded()) == header)
        // A field a later writer adds (tag 200) is skipped.
        let extended = header.encoded() + [200] + BigEndian.bytes(UInt32(3)) + [1, 2, 3]
        #expect(RecordingHeader(decoding: extended) == header)
        #expect(RecordingHeader(decoding: header.encoded().dropLast()) == nil, "a cut field is refused")
        let text = String(decoding: header.encoded(), as: UTF8.self)
        #expect(text.contains("alice") && text.contains("0123456789abcdef"))
    }

    @Test func decisionRoundTrips() {
        let decision = RecordedDecision(action: .deny, reason: .rule, classes: [.read, .drop], decidingClass: .drop,
                                        rule: "no-destroy", policyVersion: "v1")
        var payload: [UInt8] = [2, ReasonCode.rule.rawValue]
        payload += BigEndian.bytes(StatementClass([.read, .drop]).rawValue) + BigEndian.bytes(StatementClass.drop.rawValue)
        payload += Array("no-destroy\0v1\0".utf8)
        #expect(RecordedDecision(decoding: payload) == decision)
        #expect(RecordedDecision(decoding: payload.prefix(9)) == nil)
    }

    @Test func laterAdditionsAreSkippedByThisReader() {
        let bytes = Self.file(records: [
            (RecordKind.header.rawValue, 0, 0, Self.header),
            (RecordKind.statement.rawValue, 0x80, 4, [UInt8(ascii: "Q"), 0] + Array("SELECT 1".utf8)),
            (250, 0, 0, [9, 9, 9]),
            (RecordKind.end.rawValue, 0, 0, Array("completed".utf8)),
        ])
        let (kinds, error) = Self.read(bytes)
        #expect(error == nil)
        #expect(kinds == [RecordKind.statement.rawValue, 250, RecordKind.end.rawValue])
        var lines: [String] = []
        let failure = bytes.withUnsafeBytes { RecordingTranscript.write($0) { lines.append($0) } }
        #expect(failure == nil)
        #expect(lines.contains("[00:00:00.001] query    SELECT 1"), "the extension words are not part of the payload")
        #expect(lines.last == "(1 records of kinds this build does not know were skipped)")
    }

    @Test func otherVersionsAndForeignFilesAreRefused() {
        let version2 = Self.file(version: 2, records: [(RecordKind.header.rawValue, 0, 0, Self.header)])
        #expect(Self.read(version2).error == .unsupportedVersion(2))
        #expect(Self.read(Array("PGDMP custom dump".utf8)).error == .notARecording)
        let noHeader = Self.file(records: [(RecordKind.end.rawValue, 0, 0, [])])
        #expect(Self.read(noHeader).error == .missingHeader)
        #expect(RecordingReadError.unsupportedVersion(2).description
            == "unsupported recording format version 2 (this build reads version 1)")
    }

    @Test func aTruncatedFileIsReadUpToTheDamage() {
        let whole = Self.file(records: [
            (RecordKind.header.rawValue, 0, 0, Self.header),
            (RecordKind.statement.rawValue, 0, 0, [UInt8(ascii: "Q"), 0] + Array("SELECT 1".utf8)),
            (RecordKind.end.rawValue, 0, 0, Array("completed".utf8)),
        ])
        let cut = Array(whole.dropLast(4))
        let (kinds, error) = Self.read(cut)
        #expect(kinds == [RecordKind.statement.rawValue])
        #expect(error == .truncatedRecord(offset: whole.count - 16 - 9, expected: 25, available: 21))
        var lines: [String] = []
        let failure = cut.withUnsafeBytes { RecordingTranscript.write($0) { lines.append($0) } }
        #expect(failure == error)
        #expect(lines.last == "[00:00:00.001] query    SELECT 1", "what was readable is printed")
        let broken = Self.file(records: [(RecordKind.header.rawValue, 0, 0, Self.header)])
            + BigEndian.bytes(UInt32(3)) + [UInt8](repeating: 0, count: 12)
        #expect(Self.read(broken).error == .malformedRecord(offset: broken.count - 16, reason: "length 3 is shorter than a record header"))
    }
}
