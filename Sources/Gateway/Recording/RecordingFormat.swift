/// The constants of the session recording file format, version 1 (docs/RECORDING.md).
///
/// A file is a 12-byte preamble (magic, version, reserved) followed by records; the first
/// record is the ``RecordKind/header``. Every record is framed as
///
///     u32 length   bytes after this field: 12 + 8 × ext + payload
///     u8  kind     ``RecordKind``
///     u8  direction ``RecordDirection``
///     u8  flags    0 in v1; readers ignore bits they do not know
///     u8  ext      8-byte extension words before the payload; 0 in v1, readers skip them
///     u64 time     microseconds since the session's recording started
///     ext × 8 bytes, then the payload
///
/// All integers are big-endian. Additions that keep v1 readers working (new record kinds,
/// flag bits, extension words, header fields) do not change the version; readers skip what
/// they do not know. Hash chaining and signatures are planned as such additions.
public enum RecordingFormat {
    /// `\x89RGREC\r\n`: the high byte catches 7-bit transfers, CR LF catches newline conversion.
    public static let magic: [UInt8] = [0x89, 0x52, 0x47, 0x52, 0x45, 0x43, 0x0D, 0x0A]
    public static let version: UInt16 = 1
    /// Magic, version (u16), reserved (u16).
    public static let preambleSize = 12
    /// Length, kind, direction, flags, ext, time.
    public static let recordHeaderSize = 16
    /// The file name suffix of recordings.
    public static let fileExtension = "rgrec"

    /// The preamble of a version 1 file.
    public static var preamble: [UInt8] { magic + [0, UInt8(version), 0, 0] }
}

/// What a record holds. Unknown kinds are skipped by readers.
public enum RecordKind: UInt8, Sendable, Hashable, CaseIterable {
    /// First record: who, what, when (``RecordingHeader``).
    case header = 1
    /// The client's startup parameters: `name\0value\0` pairs.
    case startup = 2
    /// A statement as the client sent it: message type byte, statement name `\0`, text.
    case statement = 3
    /// The policy's decision on the statement before it (``RecordedDecision``).
    case decision = 4
    /// The following payloads are whole backend messages as the client received them
    /// (type byte, length, body), after masking.
    case rowDescription = 5
    case dataRow = 6
    case commandComplete = 7
    case error = 8
    case notice = 9
    case readyForQuery = 10
    /// Last record: why the session ended (UTF-8 text).
    case end = 11

    /// The kind a backend message with `type` is recorded as, if it is recorded.
    public init?(backendMessageType type: UInt8) {
        switch type {
        case UInt8(ascii: "T"): self = .rowDescription
        case UInt8(ascii: "D"): self = .dataRow
        case UInt8(ascii: "C"): self = .commandComplete
        case UInt8(ascii: "E"): self = .error
        case UInt8(ascii: "N"): self = .notice
        case UInt8(ascii: "Z"): self = .readyForQuery
        default: return nil
        }
    }
}

/// Which way a recorded message went.
public enum RecordDirection: UInt8, Sendable, Hashable {
    /// The gateway's own facts (header, decisions, end).
    case gateway = 0
    /// Sent by the client.
    case fromClient = 1
    /// Received by the client.
    case toClient = 2
}
