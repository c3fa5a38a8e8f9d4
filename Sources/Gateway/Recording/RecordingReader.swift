/// Why a recording cannot be read (further).
public enum RecordingReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file does not start with the recording magic.
    case notARecording
    /// A version this build does not read.
    case unsupportedVersion(UInt16)
    /// The first record is not a readable header.
    case missingHeader
    /// The file ends inside the record at `offset`.
    case truncatedRecord(offset: Int, expected: Int, available: Int)
    /// The record at `offset` is not framed as the format says.
    case malformedRecord(offset: Int, reason: String)

    public var description: String {
        switch self {
        case .notARecording:
            "not a RingGate session recording (bad magic)"
        case .unsupportedVersion(let version):
            "unsupported recording format version \(version) (this build reads version \(RecordingFormat.version))"
        case .missingHeader:
            "the recording has no readable header record"
        case .truncatedRecord(let offset, let expected, let available):
            "truncated record at byte \(offset): \(expected) bytes expected, \(available) present"
        case .malformedRecord(let offset, let reason):
            "malformed record at byte \(offset): \(reason)"
        }
    }
}

/// One record of a recording, viewed in the file's bytes.
public struct RecordingRecord: Sendable, Hashable {
    /// nil for a kind this build does not know (skip it).
    public var kind: RecordKind?
    public var rawKind: UInt8
    public var direction: RecordDirection?
    public var flags: UInt8
    /// Microseconds since the recording started.
    public var time: UInt64
    /// Where the record starts in the file.
    public var offset: Int
    /// Where its payload lies in the file.
    public var payload: Range<Int>
}

/// Reads a recording's records in order over the file's bytes (``RecordingFormat``).
public struct RecordingReader {
    public let bytes: UnsafeRawBufferPointer
    public let header: RecordingHeader
    /// Where the next record starts.
    public private(set) var offset: Int

    /// Checks the preamble and reads the header record.
    public init(_ bytes: UnsafeRawBufferPointer) throws(RecordingReadError) {
        guard bytes.count >= RecordingFormat.magic.count, bytes.prefix(RecordingFormat.magic.count).elementsEqual(RecordingFormat.magic) else {
            throw .notARecording
        }
        guard bytes.count >= RecordingFormat.preambleSize else { throw .missingHeader }
        let version = BigEndian.uint16(bytes, at: 8)
        guard version == RecordingFormat.version else { throw .unsupportedVersion(version) }
        self.bytes = bytes
        offset = RecordingFormat.preambleSize
        var first = RecordingReader.Cursor(bytes: bytes, offset: offset)
        guard let record = try first.next(), record.kind == .header,
              let header = RecordingHeader(decoding: bytes[record.payload]) else { throw .missingHeader }
        self.header = header
        offset = first.offset
    }

    /// The next record after the header, nil at the end of the file.
    public mutating func next() throws(RecordingReadError) -> RecordingRecord? {
        var cursor = Cursor(bytes: bytes, offset: offset)
        let record = try cursor.next()
        offset = cursor.offset
        return record
    }

    /// The payload bytes of `record`.
    public func payload(of record: RecordingRecord) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[record.payload])
    }

    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var offset: Int

        mutating func next() throws(RecordingReadError) -> RecordingRecord? {
            let start = offset
            let left = bytes.count - start
            guard left > 0 else { return nil }
            guard left >= RecordingFormat.recordHeaderSize else {
                throw .truncatedRecord(offset: start, expected: RecordingFormat.recordHeaderSize, available: left)
            }
            let length = Int(BigEndian.uint32(bytes, at: start))
            guard length >= RecordingFormat.recordHeaderSize - 4 else {
                throw .malformedRecord(offset: start, reason: "length \(length) is shorter than a record header")
            }
            guard length + 4 <= left else { throw .truncatedRecord(offset: start, expected: length + 4, available: left) }
            let extensionBytes = Int(bytes[start + 7]) * 8
            let payloadStart = start + RecordingFormat.recordHeaderSize + extensionBytes
            guard payloadStart <= start + 4 + length else {
                throw .malformedRecord(offset: start, reason: "extension longer than the record")
            }
            offset = start + 4 + length
            return RecordingRecord(
                kind: RecordKind(rawValue: bytes[start + 4]), rawKind: bytes[start + 4],
                direction: RecordDirection(rawValue: bytes[start + 5]), flags: bytes[start + 6],
                time: BigEndian.uint64(bytes, at: start + 8), offset: start, payload: payloadStart..<offset)
        }
    }
}
