/// Why a proxied connection ended; reported once per connection in the access log.
public enum CloseReason: Sendable, Hashable, CustomStringConvertible {
    /// Both directions finished with FIN and were fully forwarded.
    case completed
    /// The client reset its connection; the upstream was reset too.
    case clientReset
    /// The upstream reset its connection; the client was reset too.
    case upstreamReset
    /// Connecting to the upstream failed (refused, unreachable, ...) with this errno.
    case upstreamConnectFailed(errno: Int32)
    /// The upstream did not accept the connection within the connect timeout.
    case connectTimeout
    /// Neither side sent anything for the idle timeout.
    case idleTimeout
    /// The gateway shut down and the drain deadline passed.
    case shutdown
    /// The protocol session ended the connection.
    case sessionTerminated
    /// No descriptor or slot was available for the upstream socket.
    case resourceExhausted(errno: Int32)
    /// Another socket error on `side`.
    case ioError(side: ProxySide, errno: Int32)
    /// TLS on `side` failed (handshake, certificate, protocol error, alert).
    case tlsFailed(side: ProxySide)
    /// The peer on `side` ended TLS with close_notify.
    case tlsClosed(side: ProxySide)

    public var description: String {
        switch self {
        case .completed: "completed"
        case .clientReset: "client-reset"
        case .upstreamReset: "upstream-reset"
        case .upstreamConnectFailed(let errno): "upstream-connect-failed \(SystemError.name(of: errno))"
        case .connectTimeout: "connect-timeout"
        case .idleTimeout: "idle-timeout"
        case .shutdown: "shutdown"
        case .sessionTerminated: "session-terminated"
        case .resourceExhausted(let errno): "resource-exhausted \(SystemError.name(of: errno))"
        case .ioError(let side, let errno): "io-error \(side) \(SystemError.name(of: errno))"
        case .tlsFailed(let side): "tls-failed \(side)"
        case .tlsClosed(let side): "tls-closed \(side)"
        }
    }
}
