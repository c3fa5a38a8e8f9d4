/// One transparent TCP listener: accept on `address`, forward to `upstream`.
public struct ListenerSpec: Sendable, Hashable {
    /// Name used in logs and access records (the resource name).
    public var name: String
    /// Where to listen. Port 0 picks a free port (see ``ProxyServer/boundAddresses``).
    public var address: SocketAddress
    /// Where to connect for each accepted client.
    public var upstream: SocketAddress

    public init(name: String, address: SocketAddress, upstream: SocketAddress) {
        self.name = name
        self.address = address
        self.upstream = upstream
    }
}
