import Foundation
import Codecs
import IOCore
import Yams

/// The schema: maps each section of the YAML tree to the typed model, reporting as it goes.
struct ConfigSchema {
    let reader: ConfigNodeReader

    static let rootKeys: Set<String> = ["gateway", "resources", "identity_providers", "gateway_tokens", "groups", "policies", "grants"]

    func readRoot(_ root: Node) -> GatewayConfiguration? {
        guard let top = reader.mapping(root, "", known: Self.rootKeys) else { return nil }
        var config = GatewayConfiguration()
        if let node = top["gateway"] { config.gateway = readGateway(node, "gateway") ?? GatewaySettings() }
        if let node = top["resources"], let items = reader.sequence(node, "resources") {
            // Duplicate names are reported while reading (even for entries with other errors).
            var names: Set<String> = []
            config.resources = items.enumerated().compactMap { readResource($1, "resources[\($0)]") }
                .filter { names.insert($0.name).inserted }
            if config.gateway.recording == nil {
                for (index, item) in items.enumerated() {
                    guard let resource = config.resources.first(where: { $0.location == reader.location(of: item) }),
                          resource.record == true else { continue }
                    reader.report(at: resource.location, "resources[\(index)].record", "record: true needs gateway.recording (a directory)")
                }
            }
        }
        if let node = top["identity_providers"], let items = reader.sequence(node, "identity_providers") {
            var seen: Set<String> = []
            for (index, item) in items.enumerated() {
                guard let provider = readProvider(item, "identity_providers[\(index)]") else { continue }
                if seen.insert(provider.name).inserted {
                    config.identityProviders.append(provider)
                } else {
                    reader.report(item, "identity_providers[\(index)].name", "duplicate identity provider name '\(ConfigText.quoted(provider.name))'")
                }
            }
        }
        if let node = top["gateway_tokens"] { config.gatewayTokens = readGatewayTokens(node, "gateway_tokens") }
        if let node = top["groups"], let items = reader.sequence(node, "groups") {
            config.groups = items.enumerated().compactMap { readGroup($1, "groups[\($0)]", providers: config.identityProviders) }
            checkUnique(config.groups.map { ($0.name, $0.location) }, items, section: "groups", what: "group")
        }
        if let node = top["policies"], let items = reader.sequence(node, "policies") {
            config.policies = items.enumerated().compactMap { readRule($1, "policies[\($0)]") }
            checkUnique(config.policies.map { ($0.id, $0.location) }, items, section: "policies", what: "rule id", key: "id")
        }
        if let node = top["grants"], let items = reader.sequence(node, "grants") {
            config.grants = items.enumerated().compactMap { readGrant($1, "grants[\($0)]") }
            checkUnique(config.grants.map { ($0.name, $0.location) }, items, section: "grants", what: "grant")
        }
        PolicyReferenceChecker(reader: reader, config: config).check()
        return config
    }

    /// Reports the second and later uses of a name, at the entry that repeats it.
    private func checkUnique(_ names: [(String, SourceLocation)], _ items: [Node], section: String, what: String, key: String = "name") {
        var first: [String: SourceLocation] = [:]
        for (name, location) in names {
            if let earlier = first[name] {
                let index = items.firstIndex { reader.location(of: $0) == location } ?? 0
                reader.report(at: location, "\(section)[\(index)].\(key)", "duplicate \(what) '\(ConfigText.quoted(name))' (first defined at line \(earlier.line))")
            } else {
                first[name] = location
            }
        }
    }

    // MARK: gateway

    func readGateway(_ node: Node, _ path: String) -> GatewaySettings? {
        guard let entries = reader.mapping(node, path, known: ["io_backend", "loops", "drain_timeout", "access_log", "audit_log", "store", "recording", "client_tls", "plaintext_from", "control", "data_dir", "replica_id"]) else { return nil }
        var settings = GatewaySettings()
        if let value = entries["io_backend"] {
            settings.ioBackend = reader.choice(value, entries.path("io_backend"), IOBackendPreference.allCases.map { ($0.rawValue, $0) }) ?? .auto
        }
        if let value = entries["loops"] { settings.loops = reader.int(value, entries.path("loops"), range: 1...1024) }
        if let value = entries["drain_timeout"] {
            settings.drainTimeoutMilliseconds = reader.duration(value, entries.path("drain_timeout")) ?? settings.drainTimeoutMilliseconds
        }
        if let value = entries["access_log"] { settings.accessLogPath = reader.string(value, entries.path("access_log")) }
        if let value = entries["audit_log"] { settings.auditLogPath = reader.string(value, entries.path("audit_log")) }
        if let value = entries["replica_id"] { settings.replicaID = readName(value, entries.path("replica_id")) }
        if let value = entries["data_dir"] {
            if let directory = reader.string(value, entries.path("data_dir")) {
                if directory.hasPrefix("/") {
                    settings.dataDirectory = directory
                } else {
                    reader.report(value, entries.path("data_dir"), "data_dir must be an absolute path")
                }
            }
        }
        if let value = entries["store"] { settings.store = readStore(value, entries.path("store")) }
        if let value = entries["recording"] { settings.recording = readRecording(value, entries.path("recording")) }
        if let value = entries["client_tls"] {
            settings.clientTLS = readClientTLS(value, entries.path("client_tls"))
            if let tls = settings.clientTLS, tls.certFile == nil {
                reader.report(value, entries.path("client_tls"), "gateway.client_tls needs cert_file and key_file")
            }
        }
        if let value = entries["plaintext_from"] {
            settings.plaintextFrom = readNetworks(value, entries.path("plaintext_from")) ?? settings.plaintextFrom
        }
        if let value = entries["control"] { settings.control = readControl(value, entries.path("control")) }
        return settings
    }

    func readControl(_ node: Node, _ path: String) -> ControlSettings? {
        guard let entries = reader.mapping(node, path, known: ["listen", "admin_groups", "approver_groups", "webhook"]) else { return nil }
        guard let listenNode = reader.required(entries, "listen"),
              let listen = hostPort(listenNode, entries.path("listen")) else { return nil }
        guard ["127.0.0.1", "::1", "localhost"].contains(listen.host.lowercased()) || listen.host.hasPrefix("127.") else {
            // Bearer tokens must not cross a network in clear: front it with a TLS proxy on this host.
            reader.report(listenNode, entries.path("listen"),
                          "the control API listens on loopback only (bearer tokens travel in clear); "
                              + "put a TLS-terminating proxy in front of it to reach it from elsewhere")
            return nil
        }
        var settings = ControlSettings(listen: listen)
        if let value = entries["admin_groups"] { settings.adminGroups = reader.stringList(value, entries.path("admin_groups")) ?? [] }
        if let value = entries["approver_groups"] {
            settings.approverGroups = reader.stringList(value, entries.path("approver_groups")) ?? []
        }
        if let value = entries["webhook"] { settings.webhook = readWebhook(value, entries.path("webhook")) }
        return settings
    }

    /// `webhook: {url, secret_env, retries, timeout}`: https, or http to loopback.
    func readWebhook(_ node: Node, _ path: String) -> WebhookSettings? {
        guard let entries = reader.mapping(node, path, known: ["url", "secret_env", "retries", "timeout"]) else { return nil }
        let urlNode = reader.required(entries, "url")
        let text = urlNode.flatMap { reader.string($0, entries.path("url")) }
        var url: URL?
        if let text {
            url = URL(string: text)
            let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url?.host ?? "")
            if url == nil || url?.host == nil || !(url?.scheme == "https" || (url?.scheme == "http" && loopback)) {
                reader.report(urlNode, entries.path("url"), "the webhook URL must be https (http only to loopback)")
                url = nil
            }
        }
        let secret = reader.required(entries, "secret_env").flatMap { reader.string($0, entries.path("secret_env")) }
        var retries = 5
        if let value = entries["retries"] { retries = reader.int(value, entries.path("retries"), range: 0...10) ?? 5 }
        var timeout = 5_000
        if let value = entries["timeout"] { timeout = reader.duration(value, entries.path("timeout"), maximumMilliseconds: 60_000) ?? 5_000 }
        guard let url, let secret else { return nil }
        return WebhookSettings(url: url, secretEnvironmentVariable: secret, retries: retries, timeoutMilliseconds: timeout)
    }

    /// `store: PATH` (SQLite), or `{engine: sqlite, path: PATH}` / `{engine: postgres, url_env: VAR}`.
    /// SQLite's path may be relative (to `data_dir`) and defaults to `control.db` there.
    func readStore(_ node: Node, _ path: String) -> StoreSettings? {
        if case .scalar = node {
            guard let file = reader.string(node, path) else { return nil }
            guard !file.hasSuffix("/") else {
                reader.report(node, path, "store names the store file, not a directory")
                return nil
            }
            return .sqlite(path: file)
        }
        guard let entries = reader.mapping(node, path, known: ["engine", "path", "url_env"]) else { return nil }
        let engine = entries["engine"].map { reader.choice($0, entries.path("engine"), [("sqlite", "sqlite"), ("postgres", "postgres")]) } ?? "sqlite"
        switch engine {
        case "sqlite":
            if let node = entries["url_env"] {
                reader.report(node, entries.path("url_env"), "url_env is for engine: postgres (sqlite takes path)")
            }
            guard let node = entries["path"] else { return .sqlite(path: StoreSettings.defaultSQLiteFile) }
            guard let file = reader.string(node, entries.path("path")) else { return nil }
            guard !file.hasSuffix("/") else {
                reader.report(node, entries.path("path"), "path names the store file, not a directory")
                return nil
            }
            return .sqlite(path: file)
        case "postgres":
            if let node = entries["path"] {
                reader.report(node, entries.path("path"), "path is for engine: sqlite (postgres takes url_env)")
            }
            guard let node = reader.required(entries, "url_env"),
                  let variable = reader.string(node, entries.path("url_env")) else { return nil }
            guard Self.isEnvironmentVariableName(variable) else {
                reader.report(node, entries.path("url_env"), "url_env names an environment variable (letters, digits, _; not starting with a digit), not a URL")
                return nil
            }
            return .postgres(urlEnvironmentVariable: variable)
        default:
            return nil
        }
    }

    static func isEnvironmentVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first < UInt8(ascii: "0") || first > UInt8(ascii: "9") else { return false }
        return name.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
        }
    }

    func readClientTLS(_ node: Node, _ path: String) -> ClientTLSSettings? {
        guard let entries = reader.mapping(node, path, known: ["cert_file", "key_file", "min_version", "handshake_timeout", "alpn"]) else { return nil }
        var tls = ClientTLSSettings()
        if let value = entries["cert_file"] { tls.certFile = reader.string(value, entries.path("cert_file")) }
        if let value = entries["key_file"] { tls.keyFile = reader.string(value, entries.path("key_file")) }
        if (tls.certFile == nil) != (tls.keyFile == nil) {
            reader.report(node, path, "cert_file and key_file must be given together")
        }
        if let value = entries["min_version"] {
            tls.minVersion = reader.choice(value, entries.path("min_version"), [("1.2", "1.2"), ("1.3", "1.3")])
        }
        if let value = entries["handshake_timeout"] {
            tls.handshakeTimeoutMilliseconds = reader.duration(value, entries.path("handshake_timeout"))
        }
        if let value = entries["alpn"], let names = reader.stringList(value, entries.path("alpn")) {
            if names.contains(where: { $0.isEmpty || $0.utf8.count > 255 }) {
                reader.report(value, entries.path("alpn"), "ALPN protocol names are 1 to 255 bytes")
            } else {
                tls.alpn = names
            }
        }
        return tls
    }

    /// A list of networks in CIDR notation (a bare address is one host); `[]` is allowed.
    func readNetworks(_ node: Node, _ path: String) -> [String]? {
        guard let items = reader.stringList(node, path) else { return nil }
        var valid: [String] = []
        for item in items {
            if (try? AddressRange(parsing: item)) == nil {
                reader.report(node, path, "invalid network '\(ConfigText.quoted(item))' (expected an address or CIDR such as 10.0.0.0/8 or ::1/128)")
            } else {
                valid.append(item)
            }
        }
        return valid
    }

    func readRecording(_ node: Node, _ path: String) -> RecordingSettings? {
        let keys: Set<String> = ["directory", "on_failure", "buffer_size", "queue_buffers", "max_file_size"]
        guard let entries = reader.mapping(node, path, known: keys) else { return nil }
        guard let directory = reader.required(entries, "directory").flatMap({ reader.string($0, entries.path("directory")) }) else { return nil }
        var settings = RecordingSettings(directory: directory)
        if let value = entries["on_failure"] {
            settings.onFailure = reader.choice(value, entries.path("on_failure"), RecordingFailureMode.allCases.map { ($0.rawValue, $0) }) ?? .close
        }
        if let value = entries["buffer_size"], let size = reader.byteSize(value, entries.path("buffer_size")) {
            let range = RecordingSettings.bufferSizeRange
            if range.contains(size) {
                settings.bufferSize = size
            } else {
                reader.report(value, entries.path("buffer_size"), "\(size) is out of range \(range.lowerBound)...\(range.upperBound) bytes")
            }
        }
        if let value = entries["queue_buffers"], let count = reader.int(value, entries.path("queue_buffers"), range: RecordingSettings.queueBuffersRange) {
            settings.queueBuffers = count
        }
        if let value = entries["max_file_size"], let size = reader.byteSize(value, entries.path("max_file_size")) {
            if size < settings.bufferSize {
                reader.report(value, entries.path("max_file_size"), "must be at least buffer_size (\(settings.bufferSize) bytes)")
            }
            settings.maxFileSize = size
        }
        return settings
    }

    // MARK: resources

    static let resourceKeys: Set<String> = [
        "name", "protocol", "listen", "upstream", "connect_timeout", "idle_timeout", "tls", "credentials", "production", "default",
        "databases", "ignore_startup_user", "record", "client_tls", "plaintext_from", "approval",
    ]

    func readResource(_ node: Node, _ path: String) -> ResourceSettings? {
        guard let entries = reader.mapping(node, path, known: Self.resourceKeys) else { return nil }
        let nameNode = reader.required(entries, "name")
        let name = nameNode.flatMap { readName($0, entries.path("name")) }
        if let name, !reader.declaredResourceNames.insert(name).inserted {
            reader.report(nameNode, entries.path("name"), "duplicate resource '\(ConfigText.quoted(name))'")
        }
        let proto = reader.required(entries, "protocol").flatMap {
            reader.choice($0, entries.path("protocol"), ResourceProtocol.allCases.map { ($0.rawValue, $0) })
        }
        let listenNode = reader.required(entries, "listen")
        let listen = listenNode.flatMap { hostPort($0, entries.path("listen")) }
        if let listen {
            let location = reader.location(of: listenNode)
            if let earlier = reader.listenAddresses.first(where: { $0.address.clashes(with: listen) }) {
                let other = earlier.resource.isEmpty ? "another resource" : "resource '\(ConfigText.quoted(earlier.resource))'"
                reader.report(
                    listenNode, entries.path("listen"),
                    "listen address \(ConfigText.quoted(listen.description)) clashes with \(other) listening on "
                        + "\(ConfigText.quoted(earlier.address.description)) (line \(earlier.location.line)); each resource needs its own port")
            }
            reader.listenAddresses.append((listen, name ?? "", location))
        }
        let upstream = reader.required(entries, "upstream").flatMap { hostPort($0, entries.path("upstream")) }
        var connectTimeout = 5_000
        if let value = entries["connect_timeout"] { connectTimeout = reader.duration(value, entries.path("connect_timeout")) ?? connectTimeout }
        var idleTimeout = 3_600_000
        if let value = entries["idle_timeout"] { idleTimeout = reader.duration(value, entries.path("idle_timeout")) ?? idleTimeout }
        var tls = UpstreamTLSSettings()
        if let value = entries["tls"] { tls = readTLS(value, entries.path("tls")) ?? tls }
        var credentials: UpstreamCredentials?
        if let value = entries["credentials"] { credentials = readCredentials(value, entries.path("credentials")) }
        var production = false
        if let value = entries["production"] { production = reader.bool(value, entries.path("production")) ?? false }
        var defaultAction = PolicyAction.deny
        if let value = entries["default"] {
            defaultAction = reader.choice(value, entries.path("default"), PolicyAction.allCases.map { ($0.description, $0) }) ?? .deny
        }
        var databases: [String] = []
        if let value = entries["databases"] { databases = reader.stringList(value, entries.path("databases")) ?? [] }
        var ignoreStartupUser = false
        if let value = entries["ignore_startup_user"] {
            ignoreStartupUser = reader.bool(value, entries.path("ignore_startup_user")) ?? false
        }
        var record: Bool?
        if let value = entries["record"] {
            record = reader.bool(value, entries.path("record"))
            if proto == .tcp { reader.report(value, entries.path("record"), "recording applies to postgres resources only") }
        }
        var clientTLS: ClientTLSSettings?
        if let value = entries["client_tls"] { clientTLS = readClientTLS(value, entries.path("client_tls")) }
        var plaintextFrom: [String]?
        if let value = entries["plaintext_from"] {
            plaintextFrom = readNetworks(value, entries.path("plaintext_from"))
            if proto == .tcp { reader.report(value, entries.path("plaintext_from"), "plaintext_from applies to postgres resources only") }
        }
        var approval: ApprovalSettings?
        if let value = entries["approval"] {
            approval = readApproval(value, entries.path("approval"))
            if proto == .tcp { reader.report(value, entries.path("approval"), "approval applies to postgres resources only") }
        }
        guard let name, let proto, let listen, let upstream else { return nil }
        var settings = ResourceSettings(
            name: name, protocol: proto, listen: listen, upstream: upstream, connectTimeoutMilliseconds: connectTimeout,
            idleTimeoutMilliseconds: idleTimeout, tls: tls, credentials: credentials, production: production,
            defaultAction: defaultAction, location: reader.location(of: node))
        settings.databases = databases
        settings.ignoreStartupUser = ignoreStartupUser
        settings.record = record
        settings.clientTLS = clientTLS
        settings.plaintextFrom = plaintextFrom
        settings.approval = approval
        return settings
    }

    /// Names of resources, groups and rules: letters, digits, `-`, `_`, `.`, `@`.
    func readName(_ node: Node, _ path: String) -> String? {
        guard let name = reader.string(node, path) else { return nil }
        let valid = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "-" || $0 == "_" || $0 == "." || $0 == "@"
        }
        guard valid else {
            reader.report(node, path, "invalid name '\(ConfigText.quoted(name))' (letters, digits, '-', '_', '.', '@')")
            return nil
        }
        return name
    }

    func hostPort(_ node: Node, _ path: String) -> HostPort? {
        guard let text = reader.string(node, path) else { return nil }
        guard let value = HostPort(parsing: text) else {
            reader.report(node, path, "invalid address '\(ConfigText.quoted(text))' (expected host:port, IPv6 as [addr]:port, port 1-65535)")
            return nil
        }
        return value
    }

    func readTLS(_ node: Node, _ path: String) -> UpstreamTLSSettings? {
        guard let entries = reader.mapping(node, path, known: ["mode", "ca_file", "cert_file", "key_file", "server_name"]) else { return nil }
        var tls = UpstreamTLSSettings()
        if let mode = reader.required(entries, "mode") {
            tls.mode = reader.choice(mode, entries.path("mode"), UpstreamTLSSettings.Mode.allCases.map { ($0.rawValue, $0) }) ?? .disable
        }
        if let value = entries["ca_file"] { tls.caFile = reader.string(value, entries.path("ca_file")) }
        if let value = entries["cert_file"] { tls.certFile = reader.string(value, entries.path("cert_file")) }
        if let value = entries["key_file"] { tls.keyFile = reader.string(value, entries.path("key_file")) }
        if let value = entries["server_name"] { tls.serverName = reader.string(value, entries.path("server_name")) }
        if (tls.certFile == nil) != (tls.keyFile == nil) {
            reader.report(node, path, "cert_file and key_file must be given together")
        }
        if tls.mode == .verifyFull, tls.caFile == nil {
            reader.report(node, entries.path("ca_file"), "mode verify-full needs ca_file")
        }
        return tls
    }

    func readCredentials(_ node: Node, _ path: String) -> UpstreamCredentials? {
        // `password` is accepted as a key only to reject it with a precise message; its value
        // is never read into a diagnostic.
        guard let entries = reader.mapping(node, path, known: ["username", "password_env", "password_file", "password"]) else { return nil }
        if let inline = entries.values["password"] {
            reader.report(inline.key, entries.path("password"),
                "inline passwords are not allowed; reference the secret with password_env or password_file")
        }
        let username = reader.required(entries, "username").flatMap { reader.string($0, entries.path("username")) }
        var secret: SecretReference?
        let env = entries["password_env"].flatMap { reader.string($0, entries.path("password_env")) }
        let file = entries["password_file"].flatMap { reader.string($0, entries.path("password_file")) }
        switch (env, file) {
        case let (env?, nil): secret = .environment(env)
        case let (nil, file?): secret = .file(file)
        case (.some, .some): reader.report(node, path, "give only one of password_env and password_file")
        case (nil, nil): secret = nil
        }
        guard let username else { return nil }
        return UpstreamCredentials(username: username, password: secret)
    }

    // MARK: identity

    func readProvider(_ node: Node, _ path: String) -> OIDCProviderSettings? {
        let keys: Set<String> = [
            "name", "issuer", "audiences", "jwks_file", "jwks_url", "groups_claim", "identity_claim", "clock_skew", "jwks_refresh", "jwks_max_age", "algorithms",
            "trust_groups", "require_groups", "require_email_verified",
        ]
        guard let entries = reader.mapping(node, path, known: keys) else { return nil }
        let name = reader.required(entries, "name").flatMap { readName($0, entries.path("name")) }
        let issuer = reader.required(entries, "issuer").flatMap { reader.string($0, entries.path("issuer")) }
        let audiences = reader.required(entries, "audiences").flatMap { reader.stringList($0, entries.path("audiences")) }
        if let audiences, audiences.isEmpty { reader.report(entries["audiences"], entries.path("audiences"), "at least one audience is required") }
        let jwksFile = entries["jwks_file"].flatMap { reader.string($0, entries.path("jwks_file")) }
        let jwksURL = entries["jwks_url"].flatMap { reader.string($0, entries.path("jwks_url")) }
        if (entries["jwks_file"] == nil) == (entries["jwks_url"] == nil) {
            reader.report(node, path, "give exactly one of jwks_file and jwks_url")
        }
        if let jwksURL, !jwksURL.hasPrefix("https://") {
            reader.report(entries["jwks_url"], entries.path("jwks_url"), "jwks_url must be an https:// URL")
        }
        var settings = OIDCProviderSettings(name: name ?? "", issuer: issuer ?? "", audiences: audiences ?? [], jwksFile: jwksFile, jwksURL: jwksURL)
        if let value = entries["groups_claim"] { settings.groupsClaim = reader.string(value, entries.path("groups_claim")) ?? settings.groupsClaim }
        if let value = entries["identity_claim"] { settings.identityClaim = reader.string(value, entries.path("identity_claim")) ?? settings.identityClaim }
        if let value = entries["clock_skew"], let ms = reader.duration(value, entries.path("clock_skew"), maximumMilliseconds: 600_000) {
            settings.clockSkewSeconds = ms / 1000
        }
        if let value = entries["jwks_refresh"], let ms = reader.duration(value, entries.path("jwks_refresh")) {
            if ms < 1000 { reader.report(value, entries.path("jwks_refresh"), "must be at least 1s") }
            settings.jwksRefreshSeconds = ms / 1000
        }
        if let value = entries["jwks_max_age"], let ms = reader.duration(value, entries.path("jwks_max_age")) {
            settings.jwksMaxAgeSeconds = ms / 1000
            if settings.jwksMaxAgeSeconds < settings.jwksRefreshSeconds {
                reader.report(value, entries.path("jwks_max_age"), "must be at least jwks_refresh (\(settings.jwksRefreshSeconds)s)")
            }
        }
        if let value = entries["algorithms"], let algorithms = reader.stringList(value, entries.path("algorithms")) {
            let supported: Set<String> = ["RS256", "ES256", "EdDSA"]
            for algorithm in algorithms where !supported.contains(algorithm) {
                reader.report(value, entries.path("algorithms"), "unsupported algorithm '\(ConfigText.quoted(algorithm))' (RS256, ES256, EdDSA)")
            }
            if algorithms.isEmpty { reader.report(value, entries.path("algorithms"), "at least one algorithm is required") }
            settings.algorithms = algorithms
        }
        if let value = entries["trust_groups"] { settings.trustGroups = reader.bool(value, entries.path("trust_groups")) ?? false }
        if let value = entries["require_groups"] { settings.requireGroups = reader.bool(value, entries.path("require_groups")) ?? false }
        if let value = entries["require_email_verified"] {
            settings.requireEmailVerified = reader.bool(value, entries.path("require_email_verified")) ?? false
        }
        guard name != nil, issuer != nil, audiences != nil else { return nil }
        return settings
    }

    func readGatewayTokens(_ node: Node, _ path: String) -> GatewayTokenSettings? {
        let keys: Set<String> = ["issuer", "signing_key_file", "max_ttl", "revoked", "revocation_file", "clock_skew"]
        guard let entries = reader.mapping(node, path, known: keys) else { return nil }
        guard let keyFile = reader.required(entries, "signing_key_file").flatMap({ reader.string($0, entries.path("signing_key_file")) }) else {
            return nil
        }
        var settings = GatewayTokenSettings(signingKeyFile: keyFile)
        if let value = entries["issuer"] { settings.issuer = reader.string(value, entries.path("issuer")) ?? settings.issuer }
        if let value = entries["max_ttl"], let ms = reader.duration(value, entries.path("max_ttl"), maximumMilliseconds: 24 * 3_600_000) {
            if ms < 1000 { reader.report(value, entries.path("max_ttl"), "must be at least 1s") }
            settings.maxTTLSeconds = ms / 1000
        }
        if let value = entries["revoked"] { settings.revokedTokenIDs = reader.stringList(value, entries.path("revoked")) ?? [] }
        if let value = entries["revocation_file"] { settings.revocationFile = reader.string(value, entries.path("revocation_file")) }
        if let value = entries["clock_skew"], let ms = reader.duration(value, entries.path("clock_skew"), maximumMilliseconds: 600_000) {
            settings.clockSkewSeconds = ms / 1000
        }
        return settings
    }

    // MARK: groups

    /// Reads one group; its `providers` must name identity providers that set `trust_groups`.
    func readGroup(_ node: Node, _ path: String, providers known: [OIDCProviderSettings]) -> GroupSettings? {
        guard let entries = reader.mapping(node, path, known: ["name", "members", "groups", "providers"]) else { return nil }
        let name = reader.required(entries, "name").flatMap { readName($0, entries.path("name")) }
        let members = entries["members"].flatMap { reader.stringList($0, entries.path("members")) } ?? []
        let includeItems = entries["groups"].flatMap { reader.stringListWithNodes($0, entries.path("groups")) } ?? []
        for item in includeItems {
            reader.groupReferences.append((item.value, reader.location(of: item.node), item.path))
        }
        let includes = includeItems.map(\.value)
        let providerItems = entries["providers"].flatMap { reader.stringListWithNodes($0, entries.path("providers")) } ?? []
        for item in providerItems {
            guard let provider = known.first(where: { $0.name == item.value }) else {
                reader.report(at: reader.location(of: item.node), item.path, "unknown identity provider '\(ConfigText.quoted(item.value))'")
                continue
            }
            if !provider.trustGroups {
                reader.report(
                    at: reader.location(of: item.node), item.path,
                    "identity provider '\(ConfigText.quoted(item.value))' does not set trust_groups: true, so its groups never bind")
            }
        }
        guard let name else { return nil }
        return GroupSettings(
            name: name, members: members, includes: includes, providers: providerItems.map(\.value), location: reader.location(of: node))
    }
}
