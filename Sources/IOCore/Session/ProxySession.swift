/// Facts a session gets when its connection is accepted.
public struct SessionContext: Sendable {
    /// Index of the listener in the server's listener list.
    public var listenerIndex: Int
    /// The listener's name (for logging off the data path; do not build strings per message).
    public var listenerName: String
    /// The client's address, when the socket reported one.
    public var clientAddress: SocketAddress?

    public init(listenerIndex: Int, listenerName: String, clientAddress: SocketAddress? = nil) {
        self.listenerIndex = listenerIndex
        self.listenerName = listenerName
        self.clientAddress = clientAddress
    }
}

/// The protocol seam of the data plane.
///
/// The event loops own sockets, buffers, timers and backpressure; a session owns protocol
/// meaning. A session is a state machine that performs no I/O: the loop calls it with what
/// happened (bytes that arrived, the upstream connected, a deadline passed, an event posted
/// from another thread) and a ``SessionIO`` through which it asks for what should happen:
/// forward a sub-range of the bytes where they landed (zero copy), write bytes it
/// synthesizes, hold client bytes, connect the upstream, pause a side, set a deadline, close
/// (after flushing). ``LoopCore`` carries the requests out, once for both backends.
///
/// The loops are generic over the session type and specialize on it (no existential, no
/// allocation per message): a conforming type should be a value type that owns its state
/// (`~Copyable` is allowed, so it can own decoders and tables), and its per-message methods
/// must not allocate.
public protocol ProxySession: ~Copyable {
    /// Events other threads post to a live session through its ``SessionReplyAddress``
    /// (a verified token, a derived key, an approval). `Never` for sessions that need none.
    associatedtype Event: Sendable = Never
    /// State every session of a server shares (configuration, services), given at init.
    associatedtype Shared: Sendable = Void

    /// Creates the session for a freshly accepted connection.
    init(context: SessionContext, shared: Shared)

    /// Called once, right after the accept: a relay asks for the upstream here; a protocol
    /// session typically waits for the client's login first.
    mutating func start(io: inout SessionIO<Event>)

    /// Bytes from `side` landed in `bytes` (a pool buffer, writable: masks rewrite in place).
    /// Whatever the session does not forward or hold through `io` is dropped.
    mutating func received(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<Event>)

    /// Something happened that is not bytes. After ``SessionEvent/closed(_:)`` requests are ignored.
    mutating func handle(_ event: SessionEvent<Event>, io: inout SessionIO<Event>)
}

/// What the loop tells a session besides bytes.
public enum SessionEvent<Custom: Sendable> {
    /// The upstream connection asked for with ``SessionIO/connectUpstream()`` is up.
    case connected
    /// The upstream connection failed (errno; `ETIMEDOUT` for the connect timeout).
    case connectFailed(errno: Int32)
    /// The deadline set with ``SessionIO/setDeadline(after:)`` passed.
    case deadline
    /// The TLS handshake asked for with ``SessionIO/startTLS(_:context:serverName:replaying:)``
    /// on this side completed.
    case tlsEstablished(ProxySide)
    /// TLS on this side failed: a refused handshake, an untrusted certificate, a protocol
    /// error, an alert or a renegotiation attempt after the handshake. The side cannot carry
    /// bytes any more; unless the session closes now, the loop closes the connection.
    case tlsFailed(ProxySide, TLSFailure)
    /// The connection is closing for `reason`; the session is destroyed right after.
    case closed(CloseReason)
    /// An event another thread posted to this session.
    case custom(Custom)
}

/// Transparent TCP forwarding: every byte goes through untouched.
public struct PassthroughSession: ProxySession {
    @inlinable
    public init(context: SessionContext, shared: Void) {}

    @inlinable
    public init(context: SessionContext) {}

    @inlinable
    public func start(io: inout SessionIO<Never>) {
        io.connectUpstream()
    }

    @inlinable @inline(__always)
    public func received(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<Never>) {
        io.forwardAll()
    }

    /// A failed connect closes the connection with the loop's own reason.
    @inlinable
    public func handle(_ event: SessionEvent<Never>, io: inout SessionIO<Never>) {}
}
