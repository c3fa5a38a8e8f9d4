/// A Query ('Q') body: one string holding one or more SQL statements.
public struct QueryMessageView {
    /// The SQL text, without the NUL terminator.
    public let query: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        var reader = WireReader(body)
        guard let text = reader.readCString() else { throw .truncated(type: PostgresMessageType.Frontend.query) }
        guard reader.isAtEnd else { throw .trailingBytes(type: PostgresMessageType.Frontend.query) }
        query = text
    }
}

/// A CopyFail ('f') body: the client's error message.
public struct CopyFailMessageView {
    public let message: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        var reader = WireReader(body)
        guard let text = reader.readCString() else { throw .truncated(type: PostgresMessageType.Frontend.copyFail) }
        guard reader.isAtEnd else { throw .trailingBytes(type: PostgresMessageType.Frontend.copyFail) }
        message = text
    }
}

/// Checks that a message with no body (Sync, Flush, Terminate, CopyDone, and the
/// backend's ParseComplete, BindComplete, CloseComplete, NoData, EmptyQueryResponse)
/// indeed has none.
public enum EmptyMessageView {
    public static func validate(type: UInt8, body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        guard body.isEmpty else { throw .trailingBytes(type: type) }
    }
}
