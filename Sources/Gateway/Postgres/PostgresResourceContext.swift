import Codecs
import IOCore
import Synchronization

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

    public init(
        name: String, upstreamDescription: String, upstreamUser: String, upstreamPassword: [UInt8]?,
        allowedDatabases: [String] = [], ignoreStartupUser: Bool = false,
        authenticationTimeoutNanoseconds: UInt64 = 30_000_000_000
    ) {
        self.name = name
        self.upstreamDescription = upstreamDescription
        self.upstreamUser = upstreamUser
        self.upstreamPassword = upstreamPassword
        self.allowedDatabases = allowedDatabases
        self.ignoreStartupUser = ignoreStartupUser
        self.authenticationTimeoutNanoseconds = authenticationTimeoutNanoseconds
    }
}

/// State shared by every session of a gateway: per-listener resources and the services the
/// sessions call off their loop thread.
public final class GatewaySessionShared: Sendable {
    /// One entry per listener, in listener order: nil for a `tcp` relay.
    public let postgres: [PostgresResourceContext?]
    public let policies: PolicyStore
    public let authentication: PostgresAuthService
    public let cancelKeys: CancelKeyRegistry
    public let audit: any AuditSink
    private let sessionCounter = Atomic<UInt64>(0)

    /// A new audit session id (1, 2, ...; 0 never names a session).
    public func nextSessionID() -> UInt64 {
        sessionCounter.add(1, ordering: .relaxed).newValue
    }

    public init(
        postgres: [PostgresResourceContext?], policies: PolicyStore, authentication: PostgresAuthService,
        cancelKeys: CancelKeyRegistry, audit: any AuditSink
    ) {
        self.postgres = postgres
        self.policies = policies
        self.authentication = authentication
        self.cancelKeys = cancelKeys
        self.audit = audit
    }
}
