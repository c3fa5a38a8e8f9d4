/// Facts a session gets when its connection is accepted.
public struct SessionContext: Sendable {
    /// Index of the listener in the server's listener list.
    public var listenerIndex: Int
    /// The listener's name (for logging off the data path; do not build strings per message).
    public var listenerName: String
}

/// What a session wants done with bytes that just arrived.
public enum SessionVerdict: Sendable, Equatable {
    /// Send the bytes (possibly rewritten in place) to the other side.
    case forward
    /// End the connection; both sockets are closed and the access log says `sessionTerminated`.
    case terminate
}

/// The protocol seam of the data plane.
///
/// The event loops own sockets, buffers, timers and backpressure; a session owns protocol
/// meaning. For every buffer received the loop calls ``inspect(_:from:)`` with the bytes
/// *where they landed* (a provided buffer); the session may read them and rewrite them in
/// place (equal length), then answers with a ``SessionVerdict``. The loop then sends the same
/// buffer on the other socket: no copy.
///
/// The loops are generic over the session type and specialize on it (no existential, no
/// allocation per message): a conforming type should be a small value type whose methods
/// are `@inlinable` when it lives in another module. The loop types are internal to IOCore
/// and get specialized at a concrete call site in `ProxyServer.runLoop`; a new session type
/// (the PostgreSQL session) gets the same by adding its case there, or by a gateway-side
/// enum session that wraps several protocols and switches per call (still no existential).
///
/// The first conformer is ``PassthroughSession`` (transparent TCP). Planned growth for
/// protocol sessions (PostgreSQL first), kept out of this first version on purpose:
/// - *inject*: a verdict carrying synthesized bytes (an ErrorResponse) written from a pool
///   buffer the session fills through an output span;
/// - *hold*: keep the buffer queued without sending until a policy/approval event arrives,
///   still counted against the high-water mark so backpressure keeps working;
/// - *partial forward*: forward a sub-range when a frame is split across buffers.
/// Those arrive as new verdict cases plus an event entry point (`deliver(event:)`), so
/// existing sessions keep compiling.
public protocol ProxySession: SendableMetatype {
    /// Creates the session for a freshly accepted connection.
    init(context: SessionContext)

    /// Looks at (and may rewrite in place) bytes received from `side`.
    mutating func inspect(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide) -> SessionVerdict
}

/// Transparent TCP forwarding: every byte goes through untouched.
public struct PassthroughSession: ProxySession {
    @inlinable
    public init(context: SessionContext) {}

    @inlinable @inline(__always)
    public func inspect(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide) -> SessionVerdict {
        .forward
    }
}
