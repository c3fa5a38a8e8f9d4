import Codecs
import IOCore

/// What every PostgreSQL session of one resource needs, resolved once at start.
public struct PostgresResourceContext: Sendable {
    /// The resource name policy and tokens refer to.
    public var name: String
    /// `host:port` of the real server (for the cancel registry and logs).
    public var upstreamDescription: String
    /// The upstream login the gateway performs; the password is read at start and never logged.
    public var upstreamUser: String
    public var upstreamPassword: [UInt8]?
    /// Databases a client may ask for; empty: any.
    public var allowedDatabases: [String]
    /// Accept a startup `user` that differs from the token's identity (the token decides).
    public var ignoreStartupUser: Bool
    /// How long a client may take from connecting to a finished login.
    public var authenticationTimeoutNanoseconds: UInt64
    /// Sessions are recorded (when the gateway has a recording writer).
    public var recorded: Bool
    /// TLS offered to clients (an SSLRequest is answered `S`, a direct ClientHello accepted);
    /// nil: clients speak plaintext.
    public var clientTLS: TLSContextSource?
    /// Networks a plaintext login is accepted from (default: loopback; empty: none).
    public var plaintextAllowedFrom: [AddressRange]
    /// TLS to the server (SSLRequest, then the handshake); nil: plaintext.
    public var upstreamTLS: TLSContext?
    /// The name sent as SNI and checked against the server's certificate under `verify-full`.
    public var upstreamServerName: String?
    /// What this resource's sessions count for the metrics (set by ``GatewaySessionShared``).
    public internal(set) var counters: ResourceCounters?

    public init(
        name: String, upstreamDescription: String, upstreamUser: String, upstreamPassword: [UInt8]?,
        allowedDatabases: [String] = [], ignoreStartupUser: Bool = false,
        authenticationTimeoutNanoseconds: UInt64 = 30_000_000_000, recorded: Bool = false,
        clientTLS: TLSContextSource? = nil, plaintextAllowedFrom: [AddressRange] = AddressRange.loopback,
        upstreamTLS: TLSContext? = nil, upstreamServerName: String? = nil
    ) {
        self.name = name
        self.upstreamDescription = upstreamDescription
        self.upstreamUser = upstreamUser
        self.upstreamPassword = upstreamPassword
        self.allowedDatabases = allowedDatabases
        self.ignoreStartupUser = ignoreStartupUser
        self.authenticationTimeoutNanoseconds = authenticationTimeoutNanoseconds
        self.recorded = recorded
        self.clientTLS = clientTLS
        self.plaintextAllowedFrom = plaintextAllowedFrom
        self.upstreamTLS = upstreamTLS
        self.upstreamServerName = upstreamServerName
    }

    /// Whether a client at `address` may log in without TLS.
    func allowsPlaintext(from address: SocketAddress?) -> Bool {
        guard let address else { return false }
        return plaintextAllowedFrom.contains { $0.contains(address) }
    }
}
