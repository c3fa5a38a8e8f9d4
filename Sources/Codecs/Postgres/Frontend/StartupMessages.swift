/// A StartupMessage body: protocol version and NUL-terminated name/value pairs.
///
/// Views borrow the message bytes; they are valid as long as the buffer is.
public struct StartupMessageView {
    public let protocolVersion: Int32
    /// The parameter list: name, NUL, value, NUL, ..., final NUL.
    public let parameterBytes: UnsafeRawBufferPointer

    /// Parses a startup-phase body (the bytes after the Int32 length).
    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        var reader = WireReader(body)
        guard let version = reader.readInt32() else { throw .truncated(type: 0) }
        protocolVersion = version
        parameterBytes = UnsafeRawBufferPointer(rebasing: body[reader.index...])
        // Validate the list: pairs of C strings ending with an empty name.
        var check = WireReader(parameterBytes)
        while true {
            guard let name = check.readCString() else { throw .truncated(type: 0) }
            if name.isEmpty { break }
            guard check.readCString() != nil else { throw .truncated(type: 0) }
        }
        guard check.isAtEnd else { throw .trailingBytes(type: 0) }
    }

    /// The value of parameter `name` (for example `user`, `database`), if present.
    public func value(of name: StaticString) -> UnsafeRawBufferPointer? {
        var reader = WireReader(parameterBytes)
        while let key = reader.readCString(), !key.isEmpty {
            guard let value = reader.readCString() else { return nil }
            if key.equalsASCII(name) { return value }
        }
        return nil
    }

    /// Calls `body` for each parameter in order.
    public func forEachParameter(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        var reader = WireReader(parameterBytes)
        while let key = reader.readCString(), !key.isEmpty {
            guard let value = reader.readCString() else { return }
            try body(key, value)
        }
    }
}

/// A CancelRequest body: the backend's process ID and secret key.
public struct CancelRequestView: Sendable, Hashable {
    public let processID: Int32
    public let secretKey: Int32

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        var reader = WireReader(body)
        guard reader.readInt32() == PostgresMessageType.StartupCode.cancelRequest,
              let pid = reader.readInt32(), let key = reader.readInt32() else { throw .truncated(type: 0) }
        guard reader.isAtEnd else { throw .trailingBytes(type: 0) }
        processID = pid
        secretKey = key
    }
}
