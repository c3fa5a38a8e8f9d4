import Foundation
import Glibc
import IOCore
import Logging
import Synchronization

/// Why the gateway could not start.
public enum GatewayRuntimeError: Error, Sendable, CustomStringConvertible {
    /// The configuration file is invalid (every diagnostic is attached).
    case invalidConfiguration(ConfigValidationError)
    /// A resource uses a protocol this build does not serve. The gateway fails closed: it
    /// never relays an inspecting protocol as uninspected bytes.
    case unsupportedProtocol(resource: String, protocol: ResourceProtocol, location: SourceLocation)
    /// An address in the configuration cannot be used as a socket address.
    case badAddress(resource: String, address: String, reason: String)
    /// A log file named by the configuration cannot be opened.
    case logFile(String, errno: Int32)
    case credentials(resource: String, reason: String)
    case unsupportedSetting(resource: String, reason: String)
    case identity(String)
    /// The recording directory cannot be used.
    case recording(String)
    /// A TLS certificate, key or CA file of a resource cannot be used.
    case tls(resource: String, reason: String)
    /// The data plane failed to start.
    case dataPlane(ProxyServerError)
    /// The control API could not start.
    case control(String)
    /// The control store could not be opened.
    case store(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let error):
            error.diagnostics.map(\.description).joined(separator: "\n")
        case .unsupportedProtocol(let resource, let proto, let location):
            "\(location): resources.\(resource): protocol '\(proto.rawValue)' is validated and explained by this build "
                + "but not yet served; refusing to start rather than relay it uninspected"
        case .badAddress(let resource, let address, let reason):
            "resources.\(resource): cannot use address '\(address)': \(reason)"
        case .credentials(let resource, let reason):
            "resources.\(resource).credentials: \(reason)"
        case .unsupportedSetting(let resource, let reason):
            "resources.\(resource): \(reason)"
        case .identity(let reason):
            "identity: \(reason)"
        case .recording(let reason):
            "gateway.recording: \(reason)"
        case .tls(let resource, let reason):
            "resources.\(resource): TLS: \(reason)"
        case .logFile(let path, let code):
            "cannot open log file '\(path)': \(String(cString: strerror(code)))"
        case .dataPlane(let error):
            "\(error)"
        case .control(let reason):
            "gateway.control: \(reason)"
        case .store(let reason):
            "gateway.store: \(reason)"
        }
    }
}

/// The running gateway: one data-plane listener per resource on the event loops, the policy
/// store with hot reload (SIGHUP and file changes), and the audit sink.
///
/// The executable is a thin shell around this type, so tests can run a whole gateway
/// in-process against real servers.
public final class GatewayRuntime: Sendable {
    /// The configuration the gateway started with (listeners do not change on reload).
    public let configuration: GatewayConfiguration
    /// The policy holder the protocol sessions read; swapped by ``reloader``.
    public let reloader: ConfigReloader
    private let server: ProxyServer<GatewaySession>
    private let audit: BackgroundAuditSink
    private let recordings: RecordingWriter?
    /// The certificates offered to clients, reloaded when their files change.
    public let certificates: ClientTLSCertificates
    /// The control API (`gateway.control`), nil when not configured.
    public let control: ControlServer?
    /// Approval requests of held statements (with the control API), nil otherwise.
    public let approvals: ApprovalBroker?
    private let readiness: Readiness

    /// Loads `configPath`, binds every resource's listener and starts the loops.
    /// - Parameters:
    ///   - backend: overrides `gateway.io_backend` when set (the `--io-backend` flag).
    ///   - watchFile: also reload when the file changes.
    ///   - reloadOnSIGHUP: reload on SIGHUP (one reloader per process may own the signal).
    public init(
        configPath: String, backend: IOBackendSelection? = nil, watchFile: Bool = true,
        reloadOnSIGHUP: Bool = true, logger: Logger
    ) throws(GatewayRuntimeError) {
        let loaded: ConfigReloader.LoadedFile
        do {
            loaded = try ConfigReloader.readFile(path: configPath)
        } catch {
            throw .invalidConfiguration(error)
        }
        let config = loaded.configuration
        let listeners = try Self.listeners(for: config.resources)

        var proxy = ProxyConfiguration()
        proxy.backend = backend ?? Self.selection(config.gateway.ioBackend)
        if let loops = config.gateway.loops { proxy.loopCount = loops }
        // The audit trail is not optional: without `audit_log` it goes to standard error, and a
        // file that cannot be opened stops the start (fail closed).
        let auditPath = config.gateway.auditLogPath ?? "/dev/stderr"
        let audit: BackgroundAuditSink
        do {
            // Encoded and written on a writer thread of its own: the loops never wait for the disk.
            audit = BackgroundAuditSink(writingTo: try JSONLinesAuditSink(path: auditPath))
        } catch {
            throw .logFile(auditPath, errno: error.errno)
        }
        let accessLog = try AccessLogWriter(path: config.gateway.accessLogPath, logger: logger)

        // The listeners and the first policy come from one read of the file.
        let reloader = ConfigReloader(loaded: loaded, logger: logger, audit: audit)
        let authentication = PostgresAuthService(authenticator: try Self.authenticator(config))
        var recordings: RecordingWriter?
        if let settings = config.gateway.recording {
            do {
                recordings = RecordingWriter(settings: settings, storage: try RecordingDirectory(path: settings.directory), audit: audit)
            } catch {
                throw .recording(error.description)
            }
        }
        let certificates = try Self.clientCertificates(config, logger: logger)
        // Approvals need somewhere to approve: with the control API, held statements are
        // recorded in the store; without it, review refuses.
        let approvals = try config.gateway.control.map { _ throws(GatewayRuntimeError) in
            try Self.startApprovals(config, authentication: authentication, policies: reloader.store, audit: audit, logger: logger)
        }
        let liveSessions = LiveSessions()
        let shared = GatewaySessionShared(
            postgres: try Self.postgresResources(config, certificates: certificates, recording: recordings != nil),
            relays: try Self.relays(config, certificates: certificates),
            policies: reloader.store, authentication: authentication,
            cancelKeys: CancelKeyRegistry(), audit: audit, recordings: recordings, log: logger, liveSessions: liveSessions,
            approvals: approvals)
        // A reload rebuilds the token verifiers (re-reading keys and the revocation list);
        // a configuration whose identity settings fail keeps the previous verifiers.
        let reloadLogger = logger
        let groups = Mutex(config.groups)
        reloader.onConfigurationLoaded { config in
            groups.withLock { $0 = config.groups }
            do {
                authentication.replaceAuthenticator(try Self.authenticator(config))
            } catch {
                reloadLogger.error("identity settings not reloaded, keeping the previous ones: \(error)")
            }
            // SIGHUP (and a changed configuration) also re-reads changed certificate files.
            certificates.reloadChanged()
        }
        reloader.onPoll { certificates.reloadChanged() }
        let server = ProxyServer<GatewaySession>(
            configuration: proxy, listeners: listeners, accessLog: accessLog, shared: shared)
        do {
            try server.start()
        } catch {
            throw .dataPlane(error)
        }
        let readiness = Readiness()
        let cancelKeys = shared.cancelKeys
        let kill: @Sendable (LiveSessions.Entry, String) -> Bool = { entry, by in
            Self.kill(entry, by: by, sessions: liveSessions, cancelKeys: cancelKeys, resources: config.resources,
                      listeners: server.boundAddresses)
        }
        // Another replica's API asked to kill one of this process's sessions.
        approvals?.onKillRequested { number, by in
            guard let entry = liveSessions.entry(number) else { return }
            _ = kill(entry, by)
        }
        if let settings = config.gateway.control {
            let metrics = GatewayMetrics(
                counters: shared.counters, liveSessions: shared.liveSessions, loopCount: proxy.loopCount,
                loops: { server.loopStatistics })
            do {
                control = try ControlServer(
                    ControlServer.Services(
                        settings: settings, authentication: authentication, groups: { groups.withLock { $0 } },
                        sessions: shared.liveSessions,
                        kill: kill,
                        metrics: metrics, approvals: approvals,
                        reload: { reloader.reload(trigger: .api) },
                        ready: { readiness.ready }),
                    logger: logger)
            } catch {
                server.shutdown(deadline: .zero)
                server.waitUntilStopped()
                throw .control("\(error)")
            }
        } else {
            control = nil
        }
        if reloadOnSIGHUP { reloader.installSignalHandler() }
        if watchFile { reloader.startWatching() }
        self.configuration = config
        self.approvals = approvals
        self.readiness = readiness
        self.audit = audit
        self.recordings = recordings
        self.certificates = certificates
        self.reloader = reloader
        self.server = server
        logger.notice(
            "ringgate serving",
            metadata: [
                "backend": "\(server.backend)", "backend_reason": "\(server.backendReason)",
                "loops": "\(proxy.loopCount)", "resources": "\(config.resources.map(\.name).joined(separator: ","))",
                "policy_version": "\(reloader.store.snapshot.version)",
            ])
    }

    /// Opens the control store, fails what this replica's previous process held, and starts
    /// following the store (blocking: the gateway starts once it is done).
    private static func startApprovals(
        _ config: GatewayConfiguration, authentication: PostgresAuthService, policies: PolicyStore,
        audit: BackgroundAuditSink, logger: Logger
    ) throws(GatewayRuntimeError) -> ApprovalBroker {
        let result = blocking { () async -> Result<ApprovalBroker, any Error> in
            do {
                let store = try await ControlStoreFactory.open(config.gateway, logger: logger)
                var webhook: WebhookNotifier?
                if let settings = config.gateway.control?.webhook {
                    guard let secret = ProcessInfo.processInfo.environment[settings.secretEnvironmentVariable], !secret.isEmpty else {
                        await store.close()
                        throw ControlStoreError.configuration(
                            "gateway.control.webhook: environment variable \(settings.secretEnvironmentVariable) (the HMAC secret) is not set")
                    }
                    webhook = WebhookNotifier(settings: settings, secret: Array(secret.utf8), log: logger)
                }
                let grants = GrantService(
                    store: store, configuration: { policies.snapshot.configuration }, policyVersion: { policies.snapshot.version },
                    audit: audit, log: logger)
                let broker = ApprovalBroker(
                    store: store, replicaID: config.gateway.effectiveReplicaID, authentication: authentication,
                    grants: grants, webhook: webhook, log: logger)
                do {
                    try await broker.start()
                } catch {
                    await store.close()
                    throw error
                }
                return .success(broker)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let broker): return broker
        case .failure(let error): throw .store("\(error)")
        }
    }

    /// Runs `body` on the concurrency pool and waits for it (start and stop only).
    static func blocking<Value: Sendable>(_ body: @escaping @Sendable () async -> Value) -> Value {
        let box = Mutex<Value?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await body()
            box.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }

    /// Ends `entry`'s session (FATAL 57P01 to its client), then cancels what it was running
    /// on the server: the server would go on with it after the connection closed. The cancel
    /// takes the data path's route (the gateway's own listener, a CancelRequest with a
    /// temporary gateway key for the same backend, see ``SessionCanceller``), once the session
    /// has gone, so its client hears the termination rather than the cancel. Blocking (up to
    /// a few seconds): control plane only.
    private static func kill(
        _ entry: LiveSessions.Entry, by actor: String, sessions: LiveSessions, cancelKeys: CancelKeyRegistry,
        resources: [ResourceSettings], listeners: [SocketAddress]
    ) -> Bool {
        let backend = entry.cancelKey.flatMap { cancelKeys.lookup(processID: $0.processID, secretKey: $0.secretKey) }
        let temporary = backend.map { cancelKeys.register(upstream: $0.address, processID: $0.processID, secretKey: $0.secretKey) }
        defer { if let temporary { cancelKeys.remove(processID: temporary.processID) } }
        guard sessions.terminate(entry.id, by: actor) else { return false }
        guard let temporary, let index = resources.firstIndex(where: { $0.name == entry.resource }), index < listeners.count else {
            return true
        }
        for _ in 0..<200 where sessions.entry(entry.id) != nil { usleep(10_000) }
        var listener = listeners[index]
        if resources[index].listen.isWildcardHost {
            let loopback = listener.family == AF_INET6 ? "::1" : "127.0.0.1"
            guard let local = try? SocketAddress(ipAddress: loopback, port: listener.port) else { return true }
            listener = local
        }
        _ = SessionCanceller.cancel(key: temporary, through: listener)
        return true
    }

    /// The backend the loops run on.
    public var backend: IOBackendKind { server.backend }

    /// Each resource's bound address, in configuration order.
    public var boundAddresses: [SocketAddress] { server.boundAddresses }

    /// Stops accepting, lets live sessions finish for up to `deadline`, then closes them.
    public func shutdown(deadline: Duration) {
        readiness.draining()
        reloader.stopWatchingFile()
        reloader.removeSignalHandler()
        server.shutdown(deadline: deadline)
    }

    /// Blocks until the loops have exited and the recordings and logs are flushed.
    public func waitUntilStopped() {
        server.waitUntilStopped()
        control?.stop()
        if let approvals { Self.blocking { await approvals.stop(); await approvals.store.close() } }
        recordings?.stop()
        audit.flush()
    }

    private static func selection(_ preference: IOBackendPreference) -> IOBackendSelection {
        switch preference {
        case .auto: .auto
        case .ioUring: .ioUring
        case .epoll: .epoll
        }
    }

    private static func listeners(for resources: [ResourceSettings]) throws(GatewayRuntimeError) -> [ListenerSpec] {
        var specs: [ListenerSpec] = []
        for resource in resources {
            guard resource.protocol == .tcp || resource.protocol == .postgres else {
                throw .unsupportedProtocol(resource: resource.name, protocol: resource.protocol, location: resource.location)
            }
            let listen = try address(resource.listen, resource: resource.name)
            let upstream = try address(resource.upstream, resource: resource.name)
            var spec = ListenerSpec(name: resource.name, address: listen, upstream: upstream)
            spec.connectTimeout = .milliseconds(Int64(resource.connectTimeoutMilliseconds))
            spec.idleTimeout = resource.idleTimeoutMilliseconds > 0 ? .milliseconds(Int64(resource.idleTimeoutMilliseconds)) : nil
            specs.append(spec)
        }
        return specs
    }

    /// The TLS settings a resource offers its clients: its own `client_tls` filled in from the
    /// gateway's; `postgres` resources take the gateway's when they set none.
    static func clientTLSSettings(_ resource: ResourceSettings, gateway: GatewaySettings) -> ClientTLSSettings? {
        if let own = resource.clientTLS { return own.filled(from: gateway.clientTLS) }
        return resource.protocol == .postgres ? gateway.clientTLS : nil
    }

    private static func clientCertificates(_ config: GatewayConfiguration, logger: Logger) throws(GatewayRuntimeError) -> ClientTLSCertificates {
        var requests: [(resource: String, settings: ClientTLSSettings, alpn: [String])] = []
        for resource in config.resources {
            guard let settings = clientTLSSettings(resource, gateway: config.gateway) else { continue }
            let alpn = resource.protocol == .postgres ? [PostgresSession.alpnProtocol] : settings.alpn ?? []
            requests.append((resource.name, settings, alpn))
        }
        do {
            return try ClientTLSCertificates(requests, logger: logger)
        } catch {
            throw .tls(resource: requests.map(\.resource).joined(separator: ","), reason: "\(error)")
        }
    }

    /// The client context for a resource's `tls` (nil for `disable`), and the name to verify.
    private static func upstreamTLS(_ resource: ResourceSettings) throws(GatewayRuntimeError) -> (TLSContext, String)? {
        let tls = resource.tls
        guard tls.mode != .disable else { return nil }
        do {
            let context = try TLSContext.client(
                caFile: tls.mode == .verifyFull ? tls.caFile : nil, certificateFile: tls.certFile, keyFile: tls.keyFile)
            return (context, tls.serverName ?? resource.upstream.host)
        } catch {
            throw .tls(resource: resource.name, reason: "upstream: \(error)")
        }
    }

    /// The TLS settings of each listener that relays (nil for `postgres` listeners and plain relays).
    private static func relays(_ config: GatewayConfiguration, certificates: ClientTLSCertificates) throws(GatewayRuntimeError) -> [TLSRelayListener?] {
        var relays: [TLSRelayListener?] = []
        for resource in config.resources {
            guard resource.protocol == .tcp else {
                relays.append(nil)
                continue
            }
            let client = certificates.source(for: resource.name)
            let upstream = try upstreamTLS(resource)
            guard client != nil || upstream != nil else {
                relays.append(nil)
                continue
            }
            let timeout = clientTLSSettings(resource, gateway: config.gateway)?.handshakeTimeoutMilliseconds ?? 10_000
            relays.append(TLSRelayListener(
                clientTLS: client, upstreamTLS: upstream?.0, upstreamServerName: upstream?.1,
                handshakeTimeout: .milliseconds(Int64(timeout))))
        }
        return relays
    }

    /// The PostgreSQL resources per listener (nil for relays), with their upstream passwords read.
    private static func postgresResources(
        _ config: GatewayConfiguration, certificates: ClientTLSCertificates, recording: Bool
    ) throws(GatewayRuntimeError) -> [PostgresResourceContext?] {
        var contexts: [PostgresResourceContext?] = []
        for resource in config.resources {
            guard resource.protocol == .postgres else {
                contexts.append(nil)
                continue
            }
            guard let credentials = resource.credentials else {
                throw .credentials(resource: resource.name, reason: "a postgres resource needs credentials (username, password_env or password_file)")
            }
            var password: [UInt8]?
            switch credentials.password {
            case .environment(let name)?:
                guard let value = getenv(name) else {
                    throw .credentials(resource: resource.name, reason: "environment variable \(name) is not set")
                }
                password = Array(String(cString: value).utf8)
            case .file(let path)?:
                if let problem = TrustFile.problem(path: path, what: "password file") {
                    throw .credentials(resource: resource.name, reason: problem)
                }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw .credentials(resource: resource.name, reason: "cannot read password file \(path)")
                }
                password = Array((text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "").utf8)
            case nil:
                password = nil
            }
            let plaintextFrom: [AddressRange]
            do {
                plaintextFrom = try (resource.plaintextFrom ?? config.gateway.plaintextFrom).map { text throws(SocketAddressError) in
                    try AddressRange(parsing: text)
                }
            } catch {
                throw .unsupportedSetting(resource: resource.name, reason: "plaintext_from: \(error)")
            }
            let upstream = try upstreamTLS(resource)
            let context = PostgresResourceContext(
                name: resource.name, upstreamDescription: resource.upstream.description,
                upstreamUser: credentials.username, upstreamPassword: password,
                allowedDatabases: resource.databases, ignoreStartupUser: resource.ignoreStartupUser,
                recorded: recording && resource.record != false,
                clientTLS: certificates.source(for: resource.name), plaintextAllowedFrom: plaintextFrom,
                upstreamTLS: upstream?.0, upstreamServerName: upstream?.1)
            contexts.append(context)
        }
        return contexts
    }

    /// The token verifiers the configuration names.
    private static func authenticator(_ config: GatewayConfiguration) throws(GatewayRuntimeError) -> IdentityAuthenticator {
        do {
            let providers = try config.identityProviders.map { settings throws(IdentityConfigurationError) in
                try OIDCTokenVerifier(settings: settings)
            }
            var gatewayTokens: GatewayTokenVerifier?
            if let settings = config.gatewayTokens {
                let box = Mutex<Result<GatewayTokenVerifier, IdentityConfigurationError>?>(nil)
                let done = DispatchSemaphore(value: 0)
                Task {
                    do throws(IdentityConfigurationError) {
                        let verifier = try await GatewayTokenVerifier(settings: settings)
                        box.withLock { $0 = .success(verifier) }
                    } catch {
                        box.withLock { $0 = .failure(error) }
                    }
                    done.signal()
                }
                done.wait()
                gatewayTokens = try box.withLock { $0! }.get()
            }
            return try IdentityAuthenticator(providers: providers, gatewayTokens: gatewayTokens)
        } catch {
            throw .identity(error.message)
        }
    }

    private static func address(_ hostPort: HostPort, resource: String) throws(GatewayRuntimeError) -> SocketAddress {
        do {
            return try SocketAddress(parsing: hostPort.description)
        } catch {
            throw .badAddress(resource: resource, address: hostPort.description, reason: "\(error)")
        }
    }
}


/// Whether the gateway takes new sessions (`/readyz`): false once shutdown began.
private final class Readiness: Sendable {
    private let stopping = Atomic<Bool>(false)

    var ready: Bool { !stopping.load(ordering: .relaxed) }

    func draining() { stopping.store(true, ordering: .relaxed) }
}
