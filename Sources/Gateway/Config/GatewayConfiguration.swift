import Foundation
import Glibc
/// The whole configuration file, typed and validated (see docs/CONFIG.md for the schema).
///
/// Produced by ``ConfigLoader``; compiled into a ``PolicySnapshot`` for the data path.
public struct GatewayConfiguration: Sendable, Hashable {
    /// Process-wide settings (`gateway:`).
    public var gateway: GatewaySettings
    /// The resources the gateway fronts (`resources:`).
    public var resources: [ResourceSettings]
    /// OIDC / JWT issuers whose tokens are accepted (`identity_providers:`).
    public var identityProviders: [OIDCProviderSettings]
    /// Gateway-issued tokens for automation (`gateway_tokens:`), if enabled.
    public var gatewayTokens: GatewayTokenSettings?
    /// Named groups of identities (`groups:`).
    public var groups: [GroupSettings]
    /// Policy rules, in file order (`policies:`).
    public var policies: [PolicyRule]
    /// Time-boxed grants callers may ask for (`grants:`).
    public var grants: [GrantDefinition]

    public init(
        gateway: GatewaySettings = GatewaySettings(), resources: [ResourceSettings] = [],
        identityProviders: [OIDCProviderSettings] = [], gatewayTokens: GatewayTokenSettings? = nil,
        groups: [GroupSettings] = [], policies: [PolicyRule] = [], grants: [GrantDefinition] = []
    ) {
        self.grants = grants
        self.gateway = gateway
        self.resources = resources
        self.identityProviders = identityProviders
        self.gatewayTokens = gatewayTokens
        self.groups = groups
        self.policies = policies
    }
}

/// Which kernel interface the event loops use (`gateway.io_backend`).
public enum IOBackendPreference: String, Sendable, Hashable, CaseIterable {
    /// io_uring where the kernel allows it, epoll otherwise.
    case auto
    case ioUring = "io_uring"
    case epoll
}

/// The `gateway:` section.
public struct GatewaySettings: Sendable, Hashable {
    public var ioBackend: IOBackendPreference
    /// Event-loop threads; `nil` means one per CPU core.
    public var loops: Int?
    /// How long in-flight sessions may finish on shutdown, in milliseconds.
    public var drainTimeoutMilliseconds: Int
    /// Connection log path (`nil`: standard error).
    public var accessLogPath: String?
    /// JSON-lines audit log path (`nil`: standard error).
    public var auditLogPath: String?
    /// Where the gateway keeps its files (`data_dir:`): the SQLite store by default.
    public var dataDirectory: String = GatewaySettings.defaultDataDirectory
    /// This gateway's name among replicas sharing a store (`replica_id`); nil: the host name.
    /// A restarted gateway must keep it: its previous process's held statements fail by it.
    public var replicaID: String?

    /// ``replicaID``, else the host name.
    public var effectiveReplicaID: String {
        if let replicaID { return replicaID }
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "ringgate" }
        let host = String(cString: name)
        return host.isEmpty ? "ringgate" : host
    }
    /// The control store as configured (`store:`); nil: the default, see ``effectiveStore``.
    public var store: StoreSettings?
    /// Session recording (`recording:`); nil: no session is recorded.
    public var recording: RecordingSettings?
    /// TLS for clients (`client_tls:`): the certificate every `postgres` resource offers, and
    /// the defaults a resource's own `client_tls` fills in.
    public var clientTLS: ClientTLSSettings?
    /// Networks plaintext logins are accepted from (`plaintext_from:`; default loopback).
    public var plaintextFrom: [String] = ["127.0.0.0/8", "::1/128"]
    /// The control API's listener and who may use it (`control:`); nil: no control API.
    public var control: ControlSettings?

    public init(
        ioBackend: IOBackendPreference = .auto, loops: Int? = nil, drainTimeoutMilliseconds: Int = 30_000,
        accessLogPath: String? = nil, auditLogPath: String? = nil, storePath: String? = nil,
        recording: RecordingSettings? = nil
    ) {
        self.ioBackend = ioBackend
        self.loops = loops
        self.drainTimeoutMilliseconds = drainTimeoutMilliseconds
        self.accessLogPath = accessLogPath
        self.auditLogPath = auditLogPath
        self.store = storePath.map { .sqlite(path: $0) }
        self.recording = recording
    }

    /// `data_dir`'s default.
    public static let defaultDataDirectory = "/var/lib/ringgate"

    /// The store the gateway opens: the configured one, SQLite in the data directory when
    /// none is configured, with a relative SQLite path taken from the data directory.
    public var effectiveStore: StoreSettings {
        switch store ?? .sqlite(path: StoreSettings.defaultSQLiteFile) {
        case .sqlite(let path) where !path.hasPrefix("/"):
            let directory = dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
            return .sqlite(path: directory + "/" + path)
        case let configured:
            return configured
        }
    }

    /// The SQLite store file as configured, when the store is SQLite (setting it selects SQLite).
    public var storePath: String? {
        get {
            guard case .sqlite(let path) = store else { return nil }
            return path
        }
        set { store = newValue.map { .sqlite(path: $0) } }
    }
}

/// A `host:port` pair (`listen`, `upstream`). IPv6 hosts are written in brackets: `[::1]:5432`.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Whether the host is a wildcard address (every interface of its family).
    public var isWildcardHost: Bool { ["0.0.0.0", "::", "0:0:0:0:0:0:0:0", "*"].contains(host) }

    /// Whether two listeners would bind the same socket: the same port on the same host, or
    /// the same port where either host is a wildcard (a wildcard covers every address).
    public func clashes(with other: HostPort) -> Bool {
        port == other.port && (host.lowercased() == other.host.lowercased() || isWildcardHost || other.isWildcardHost)
    }

    /// Parses `host:port`; `nil` when malformed or the port is not in 1...65535.
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { return nil }  // bare IPv6 needs brackets
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: \.isWhitespace),
            let port = UInt16(portPart), port > 0
        else { return nil }
        self.host = String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Wire protocol a resource speaks.
public enum ResourceProtocol: String, Sendable, Hashable, CaseIterable {
    /// Opaque TCP relay: no inspection; statement policy does not apply.
    case tcp
    case postgres
}

/// The control API (`gateway.control`): health, metrics and administration over HTTP, on
/// its own listener, off the data path.
/// Where approval events are posted (`gateway.control.webhook`).
public struct WebhookSettings: Sendable, Hashable {
    public var url: URL
    /// The environment variable holding the HMAC secret (never the file).
    public var secretEnvironmentVariable: String
    /// Retries after a failed delivery (exponential back-off from ``firstRetryDelayMilliseconds``).
    public var retries: Int
    public var timeoutMilliseconds: Int
    public var firstRetryDelayMilliseconds: Int

    public init(url: URL, secretEnvironmentVariable: String, retries: Int = 5, timeoutMilliseconds: Int = 5_000,
                firstRetryDelayMilliseconds: Int = 1_000) {
        self.url = url
        self.secretEnvironmentVariable = secretEnvironmentVariable
        self.retries = retries
        self.timeoutMilliseconds = timeoutMilliseconds
        self.firstRetryDelayMilliseconds = firstRetryDelayMilliseconds
    }
}

public struct ControlSettings: Sendable, Hashable {
    /// Where the API listens (loopback unless TLS fronts it).
    public var listen: HostPort
    /// Groups whose members may administer (list and end sessions, reload policy).
    public var adminGroups: [String]
    /// Groups whose members may list sessions and requests, and decide requests whose rule
    /// names no approver groups.
    public var approverGroups: [String]
    /// Where approval events are posted; nil: log lines only.
    public var webhook: WebhookSettings?

    public init(listen: HostPort, adminGroups: [String] = [], approverGroups: [String] = []) {
        self.listen = listen
        self.adminGroups = adminGroups
        self.approverGroups = approverGroups
    }
}

/// TLS offered to clients (`gateway.client_tls`, `resources[].client_tls`). A resource's
/// settings fall back to the gateway's key by key.
public struct ClientTLSSettings: Sendable, Hashable {
    /// PEM certificate chain and private key (both or neither).
    public var certFile: String?
    public var keyFile: String?
    /// The oldest TLS version accepted: `1.2` (default) or `1.3`.
    public var minVersion: String?
    /// How long a client may take to finish the handshake, in milliseconds (tcp relays).
    public var handshakeTimeoutMilliseconds: Int?
    /// ALPN protocols a `tcp` relay accepts (`postgresql`, `h2`, `http/1.1`); `postgres`
    /// resources always negotiate `postgresql`.
    public var alpn: [String]?

    public init(
        certFile: String? = nil, keyFile: String? = nil, minVersion: String? = nil, handshakeTimeoutMilliseconds: Int? = nil,
        alpn: [String]? = nil
    ) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.minVersion = minVersion
        self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        self.alpn = alpn
    }

    /// This resource's settings, each unset key taken from `defaults`.
    public func filled(from defaults: ClientTLSSettings?) -> ClientTLSSettings {
        ClientTLSSettings(
            certFile: certFile ?? defaults?.certFile, keyFile: keyFile ?? defaults?.keyFile,
            minVersion: minVersion ?? defaults?.minVersion,
            handshakeTimeoutMilliseconds: handshakeTimeoutMilliseconds ?? defaults?.handshakeTimeoutMilliseconds,
            alpn: alpn ?? defaults?.alpn)
    }
}

/// TLS towards the upstream (`resources[].tls`).
public struct UpstreamTLSSettings: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        case disable
        /// Encrypt, without verifying the server certificate.
        case require
        /// Encrypt and verify the certificate chain and host name.
        case verifyFull = "verify-full"
    }

    public var mode: Mode
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// The name sent as SNI and verified under `verify-full`; default: the upstream's host.
    public var serverName: String?

    public init(mode: Mode = .disable, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.mode = mode
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// Where the upstream password comes from. The configuration never holds the secret itself.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    /// Read from this environment variable when connecting.
    case environment(String)
    /// Read from this file (first line, trailing newline dropped) when connecting.
    case file(String)

    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        }
    }
}

/// Upstream login the gateway performs on the caller's behalf (`resources[].credentials`).
public struct UpstreamCredentials: Sendable, Hashable {
    public var username: String
    public var password: SecretReference?

    public init(username: String, password: SecretReference?) {
        self.username = username
        self.password = password
    }
}

/// One resource (`resources[]`).
public struct ResourceSettings: Sendable, Hashable {
    public var name: String
    public var `protocol`: ResourceProtocol
    public var listen: HostPort
    public var upstream: HostPort
    public var connectTimeoutMilliseconds: Int
    public var idleTimeoutMilliseconds: Int
    public var tls: UpstreamTLSSettings
    public var credentials: UpstreamCredentials?
    /// Marks production data; the example configuration denies unmatched commands there.
    public var production: Bool
    /// The decision for commands no rule matches.
    public var defaultAction: PolicyAction
    /// PostgreSQL: the databases a client may ask for (`databases`); empty: any.
    public var databases: [String] = []
    /// PostgreSQL: accept a startup user that differs from the token's identity (`ignore_startup_user`).
    public var ignoreStartupUser = false
    /// PostgreSQL: record sessions (`record`); nil: recorded whenever `gateway.recording` is set.
    public var record: Bool?
    /// TLS for this resource's clients (`client_tls`); `postgres` resources fall back to
    /// `gateway.client_tls`, `tcp` relays terminate TLS only when they set it.
    public var clientTLS: ClientTLSSettings?
    /// PostgreSQL: networks plaintext logins are accepted from (`plaintext_from`); nil: the gateway's.
    public var plaintextFrom: [String]?
    /// Who approves this resource's reviews when the deciding rule does not say (`approval`).
    public var approval: ApprovalSettings?
    public var location: SourceLocation

    public init(
        name: String, protocol: ResourceProtocol, listen: HostPort, upstream: HostPort,
        connectTimeoutMilliseconds: Int = 5_000, idleTimeoutMilliseconds: Int = 3_600_000,
        tls: UpstreamTLSSettings = UpstreamTLSSettings(), credentials: UpstreamCredentials? = nil,
        production: Bool = false, defaultAction: PolicyAction = .deny, location: SourceLocation = .unknown
    ) {
        self.name = name
        self.protocol = `protocol`
        self.listen = listen
        self.upstream = upstream
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.tls = tls
        self.credentials = credentials
        self.production = production
        self.defaultAction = defaultAction
        self.location = location
    }
}

/// A named group (`groups[]`): identities, plus every member of the nested groups.
public struct GroupSettings: Sendable, Hashable {
    public var name: String
    public var members: [String]
    /// Groups whose members also belong to this one (transitively).
    public var includes: [String]
    /// Identity providers whose token groups may bind to this group (`providers`); empty: any
    /// provider with `trust_groups: true`. Gateway-token groups bind either way.
    public var providers: [String]
    public var location: SourceLocation

    public init(
        name: String, members: [String] = [], includes: [String] = [], providers: [String] = [],
        location: SourceLocation = .unknown
    ) {
        self.name = name
        self.members = members
        self.includes = includes
        self.providers = providers
        self.location = location
    }
}
