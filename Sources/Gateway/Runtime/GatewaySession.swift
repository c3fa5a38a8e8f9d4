import IOCore

/// The session type of `ringgate serve`: a listener of a `postgres` resource runs a
/// ``PostgresSession``; a `tcp` resource relays bytes untouched.
public struct GatewaySession: ProxySession, ~Copyable {
    public typealias Event = GatewaySessionEvent
    public typealias Shared = GatewaySessionShared

    var postgres: PostgresSession?
    /// A `tcp` relay with TLS on a leg (nil: a plain relay, or a PostgreSQL session).
    var relay: TLSRelaySession?

    public init(context: SessionContext, shared: GatewaySessionShared) {
        if context.listenerIndex < shared.postgres.count, let resource = shared.postgres[context.listenerIndex] {
            postgres = PostgresSession(resource: resource, shared: shared, clientAddress: context.clientAddress)
        } else {
            postgres = nil
            if context.listenerIndex < shared.relays.count, let listener = shared.relays[context.listenerIndex] {
                relay = TLSRelaySession(listener: listener)
            }
        }
    }

    public mutating func start(io: inout SessionIO<GatewaySessionEvent>) {
        if postgres != nil {
            postgres!.start(io: &io)
        } else if relay != nil {
            relay!.startRelay(io: &io)
        } else {
            io.connectUpstream()
        }
    }

    @inline(__always)
    public mutating func received(
        _ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<GatewaySessionEvent>
    ) {
        if postgres == nil {
            io.forwardAll()
        } else {
            postgres!.received(bytes, from: side, io: &io)
        }
    }

    public mutating func handle(_ event: SessionEvent<GatewaySessionEvent>, io: inout SessionIO<GatewaySessionEvent>) {
        if postgres != nil {
            postgres!.handle(event, io: &io)
        } else if relay != nil {
            relay!.handleRelay(event, io: &io)
        }
    }
}
