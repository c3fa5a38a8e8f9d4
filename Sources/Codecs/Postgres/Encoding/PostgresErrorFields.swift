/// Severity of an ErrorResponse or NoticeResponse the gateway originates.
public enum PostgresSeverity: Sendable, Hashable {
    case error, fatal, panic, warning, notice, debug, info, log

    @usableFromInline var text: StaticString {
        switch self {
        case .error: "ERROR"
        case .fatal: "FATAL"
        case .panic: "PANIC"
        case .warning: "WARNING"
        case .notice: "NOTICE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .log: "LOG"
        }
    }
}

/// The fields of an ErrorResponse or NoticeResponse the gateway originates.
///
/// Text fields are raw UTF-8 bytes (the caller owns them for the duration of the encode
/// call); an empty `detail` or `hint` is left out. Never put secrets in them.
public struct PostgresErrorFields {
    public var severity: PostgresSeverity
    /// Five-character SQLSTATE, for example `42501` (insufficient_privilege).
    public var sqlState: StaticString
    public var message: UnsafeRawBufferPointer
    public var detail: UnsafeRawBufferPointer
    public var hint: UnsafeRawBufferPointer

    public init(severity: PostgresSeverity, sqlState: StaticString, message: UnsafeRawBufferPointer,
                detail: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
                hint: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        self.severity = severity
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    public init(severity: PostgresSeverity, sqlState: StaticString, message: StaticString) {
        self.init(severity: severity, sqlState: sqlState,
                  message: UnsafeRawBufferPointer(start: message.utf8Start, count: message.utf8CodeUnitCount))
    }
}
