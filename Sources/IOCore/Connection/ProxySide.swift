/// One of the two sockets of a proxied connection.
public enum ProxySide: UInt8, Sendable, Hashable, CaseIterable {
    /// The socket accepted from the caller.
    case client = 0
    /// The socket the gateway opened to the upstream service.
    case upstream = 1

    /// The other socket of the pair.
    @inlinable
    public var opposite: ProxySide { self == .client ? .upstream : .client }
}
