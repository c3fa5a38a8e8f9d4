/// A PasswordMessage ('p') carrying a cleartext or MD5 password.
///
/// The same type byte carries SASLInitialResponse and SASLResponse; which one a `p`
/// message is depends on the authentication request the server sent before.
public struct PasswordMessageView {
    /// The password (or `md5...` hash), without the terminator. Never log it.
    public let password: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Frontend.password
        var reader = WireReader(body)
        guard let value = reader.readCString() else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        password = value
    }
}

/// A SASLInitialResponse ('p'): mechanism name and optional initial client response.
public struct SASLInitialResponseView {
    public let mechanism: UnsafeRawBufferPointer
    /// The client-first message; `nil` when the length field was -1.
    public let initialResponse: UnsafeRawBufferPointer?

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Frontend.password
        var reader = WireReader(body)
        guard let name = reader.readCString(), let length = reader.readInt32() else { throw .truncated(type: type) }
        if length == -1 {
            initialResponse = nil
        } else {
            guard length >= 0 else { throw .invalidField(type: type) }
            guard let data = reader.readBytes(Int(length)) else { throw .truncated(type: type) }
            initialResponse = data
        }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        mechanism = name
    }
}

/// A SASLResponse ('p'): the mechanism's data, the whole body.
public struct SASLResponseView {
    public let data: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) {
        data = body
    }
}
