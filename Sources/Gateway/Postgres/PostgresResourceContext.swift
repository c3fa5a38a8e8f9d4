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

    public init(
        name: String, upstreamDescription: String, upstreamUser: String, upstreamPassword: [UInt8]?,
        allowedDatabases: [String] = [], ignoreStartupUser: Bool = false,
        authenticationTimeoutNanoseconds: UInt64 = 30_000_000_000, recorded: Bool = false
    ) {
        self.name = name
        self.upstreamDescription = upstreamDescription
        self.upstreamUser = upstreamUser
        self.upstreamPassword = upstreamPassword
        self.allowedDatabases = allowedDatabases
        self.ignoreStartupUser = ignoreStartupUser
        self.authenticationTimeoutNanoseconds = authenticationTimeoutNanoseconds
        self.recorded = recorded
    }
}
