/// One access record, produced once per connection when it closes.
public struct AccessLogRecord: Sendable, CustomStringConvertible {
    /// Listener (resource) name.
    public var listener: String
    /// The caller's address.
    public var client: SocketAddress?
    /// The upstream the connection was forwarded to.
    public var upstream: SocketAddress
    /// Bytes forwarded client → upstream.
    public var bytesFromClient: UInt64
    /// Bytes forwarded upstream → client.
    public var bytesFromUpstream: UInt64
    /// Time from accept to close.
    public var duration: Duration
    /// Why the connection ended.
    public var closeReason: CloseReason

    public var description: String {
        let clientText = client.map { "\($0)" } ?? "-"
        return "listener=\(listener) client=\(clientText) upstream=\(upstream) bytes_in=\(bytesFromClient) bytes_out=\(bytesFromUpstream) duration_ms=\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000) close=\(closeReason)"
    }
}

/// Receives access records and diagnostics. Called on the server's logging thread, never on
/// an event loop, so an implementation may block (write files, talk to a store).
public protocol AccessLog: Sendable {
    /// A connection closed.
    func record(_ record: AccessLogRecord)
    /// A notable event worth one log line: backend selection, upstream failures, accept pauses.
    func notice(_ message: String)
}

/// Discards everything.
public struct NullAccessLog: AccessLog {
    public init() {}
    public func record(_ record: AccessLogRecord) {}
    public func notice(_ message: String) {}
}
