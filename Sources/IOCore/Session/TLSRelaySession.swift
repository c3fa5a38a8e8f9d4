/// TLS settings of one relay listener.
public struct TLSRelayListener: Sendable {
    /// Terminates TLS from clients with this listener's current server context; nil: clients
    /// speak plain TCP.
    public var clientTLS: TLSContextSource?
    /// Speaks TLS to the upstream with this client context; nil: plain TCP.
    public var upstreamTLS: TLSContext?
    /// The name sent as SNI and verified (when the context verifies) on the upstream leg.
    public var upstreamServerName: String?
    /// How long a client may take to finish its handshake (and the upstream its own).
    public var handshakeTimeout: Duration

    public init(
        clientTLS: TLSContextSource? = nil, upstreamTLS: TLSContext? = nil, upstreamServerName: String? = nil,
        handshakeTimeout: Duration = .seconds(10)
    ) {
        self.clientTLS = clientTLS
        self.upstreamTLS = upstreamTLS
        self.upstreamServerName = upstreamServerName
        self.handshakeTimeout = handshakeTimeout
    }
}

/// The relay listeners' TLS settings, in listener order.
public final class TLSRelayConfiguration: Sendable {
    public let listeners: [TLSRelayListener]

    public init(listeners: [TLSRelayListener]) {
        self.listeners = listeners
    }
}

/// A TCP relay that terminates TLS from its clients, originates TLS to its upstream, or
/// both; the plaintext in between goes through untouched. A handshake that does not finish in
/// time, fails or is followed by an alert closes that connection only.
public struct TLSRelaySession: ProxySession {
    let listener: TLSRelayListener
    /// Handshakes still to complete (bit 0: client, bit 1: upstream).
    var pendingHandshakes: UInt8 = 0

    public init(context: SessionContext, shared: TLSRelayConfiguration) {
        listener = shared.listeners[context.listenerIndex]
    }

    /// A relay with `listener`'s settings (for a session type that embeds relays).
    public init(listener: TLSRelayListener) {
        self.listener = listener
    }

    public mutating func start(io: inout SessionIO<Never>) {
        startRelay(io: &io)
    }

    @inline(__always)
    public func received(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<Never>) {
        io.forwardAll()
    }

    public mutating func handle(_ event: SessionEvent<Never>, io: inout SessionIO<Never>) {
        handleRelay(event, io: &io)
    }

    /// ``start(io:)`` for a session type that embeds relays (any event type).
    public mutating func startRelay<Event: Sendable>(io: inout SessionIO<Event>) {
        if let clientTLS = listener.clientTLS {
            io.startTLS(.client, context: clientTLS.context)
            pendingHandshakes |= 1
        }
        if let upstreamTLS = listener.upstreamTLS {
            // Started before the connect so no client byte can reach the upstream in clear;
            // the hello waits in the queue until the connection is up.
            io.startTLS(.upstream, context: upstreamTLS, serverName: listener.upstreamServerName)
            pendingHandshakes |= 2
        }
        if pendingHandshakes != 0 {
            io.setDeadline(after: listener.handshakeTimeout.nanoseconds)
        }
        io.connectUpstream()
    }

    /// ``handle(_:io:)`` for a session type that embeds relays.
    public mutating func handleRelay<Event: Sendable>(_ event: SessionEvent<Event>, io: inout SessionIO<Event>) {
        switch event {
        case .tlsEstablished(let side):
            pendingHandshakes &= side == .client ? ~1 : ~2
            if pendingHandshakes == 0 { io.clearDeadline() }
        case .tlsFailed(let side, _):
            io.close(.tlsFailed(side: side))
        case .deadline:
            if pendingHandshakes != 0 { io.close(.tlsFailed(side: pendingHandshakes & 1 != 0 ? .client : .upstream)) }
        case .connected, .connectFailed, .closed, .custom:
            break
        }
    }
}
