/// One transparent TCP listener: accept on `address`, forward to `upstream`.
public struct ListenerSpec: Sendable, Hashable {
    /// Name used in logs and access records (the resource name).
    public var name: String
    /// Where to listen. Port 0 picks a free port (see ``ProxyServer/boundAddresses``).
    public var address: SocketAddress
    /// Where to connect for each accepted client.
    public var upstream: SocketAddress
    /// This listener's upstream connect timeout; `nil` takes ``ProxyConfiguration/connectTimeout``.
    public var connectTimeout: Duration?
    /// This listener's idle timeout; `nil` takes ``ProxyConfiguration/idleTimeout``.
    public var idleTimeout: Duration?

    public init(
        name: String, address: SocketAddress, upstream: SocketAddress,
        connectTimeout: Duration? = nil, idleTimeout: Duration? = nil
    ) {
        self.name = name
        self.address = address
        self.upstream = upstream
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
    }
}
