/// An ErrorResponse ('E') or NoticeResponse ('N') body: typed fields, each a code byte
/// and a NUL-terminated string, ended by a zero byte.
public struct ErrorNoticeView {
    @usableFromInline let fields: UnsafeRawBufferPointer

    /// Field codes (PostgreSQL "Error and Notice Message Fields").
    public enum FieldCode {
        public static let severity: UInt8 = UInt8(ascii: "S")
        /// Non-localized severity (PostgreSQL 9.6+).
        public static let severityNonLocalized: UInt8 = UInt8(ascii: "V")
        public static let sqlState: UInt8 = UInt8(ascii: "C")
        public static let message: UInt8 = UInt8(ascii: "M")
        public static let detail: UInt8 = UInt8(ascii: "D")
        public static let hint: UInt8 = UInt8(ascii: "H")
        public static let position: UInt8 = UInt8(ascii: "P")
    }

    public init(type: UInt8, body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        var reader = WireReader(body)
        while true {
            guard let code = reader.readUInt8() else { throw .truncated(type: type) }
            if code == 0 { break }
            guard reader.readCString() != nil else { throw .truncated(type: type) }
        }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        fields = body
    }

    /// The value of field `code`, if present.
    public func field(_ code: UInt8) -> UnsafeRawBufferPointer? {
        var reader = WireReader(fields)
        while let c = reader.readUInt8(), c != 0, let value = reader.readCString() {
            if c == code { return value }
        }
        return nil
    }
}
