import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL 15 behind a `ringgate serve` child process with `postgres` resources.
///
/// The server's pg_hba.conf trusts its Unix socket (the test's direct checks, as superuser or
/// as the upstream role) and requires SCRAM from `it_app` and MD5 from `it_md5` over TCP
/// (the gateway's upstream logins); every other TCP login is rejected. Database `itdb`
/// (owned by `it_app`) holds `items` (100 rows, the table the destructive statements aim at)
/// and `scratch` (for allowed writes).
///
/// Resources:
/// - `pg-it` on 127.0.0.1: upstream login as `it_app` with a SCRAM password from a 0600 file;
/// - `pg-it-md5` on 127.0.0.1: as `it_md5` (MD5), password from an environment variable;
/// - `pg-it-wide` on 0.0.0.0: as `it_app`, for the plaintext-only-from-loopback check.
///
/// Policy for group `it-users` (identity `it-agent`): allow read, write, transaction, set,
/// utility; deny drop, truncate, delete/update without WHERE, alter, opaque (rule
/// `it-no-destruction`); review grant. Unnamed classes fall to `default: deny`.
///
/// Everything a client receives goes through ``record(_:)`` so ``finish()`` can check that
/// neither upstream password ever reached a client, the gateway's stderr, access log or audit log.
final class PostgresGatewayFixture {
    static let identity = "it-agent"
    static let group = "it-users"
    static let resource = "pg-it"
    static let denyRule = "it-no-destruction"
    static let database = "itdb"
    static let itemRows = 100
    static let md5PasswordVariable = "RG_IT_MD5_PASSWORD"

    let backend: String
    let server: PostgresServer
    let directory: String
    let upstreamPassword: String
    let md5Password: String
    let port: Int
    let md5Port: Int
    let widePort: Int
    let configPath: String
    let keyPath: String
    let auditPath: String
    let accessLogPath: String
    private(set) var gateway: ChildProcess
    /// The gateway's environment additions (the store URL).
    private var gatewayEnvironment: [String: String] = [:]
    /// With `store: .postgres`: the PostgreSQL store's URL (holds `it_app`'s password).
    private(set) var storeURL: String?

    /// Where the gateway keeps its control state.
    enum Store {
        case embedded
        case postgres
        case shared(url: String)
    }
    static let storeURLVariable = "RG_IT_STORE_URL"
    let tls: TestCertificates?
    /// With ``tls``: the ports of `pg-it-badca` and `pg-it-badname`.
    private(set) var badCAPort = 0
    private(set) var badNamePort = 0
    /// A valid token for `it-agent` (group `it-users`) on every resource here.
    private(set) var token = ""
    private var receivedText: [String] = []
    private var finished = false

    /// Starts PostgreSQL, creates roles and tables, writes the configuration and a signing key,
    /// starts `ringgate serve --io-backend <backend>` and waits until `pg-it` accepts connections.
    /// - Parameters:
    ///   - extraPolicies: YAML list items appended to the configuration's `policies`.
    ///   - extraGateway: YAML keys added to the configuration's `gateway` section (indented two spaces).
    ///   - tls: TLS on both legs with these certificates: PostgreSQL serves TLS only (`hostssl`,
    ///     plaintext rejected), every resource verifies it (`verify-full`), the gateway offers
    ///     TLS to clients (`gateway.client_tls`), and two more resources fail the upstream check:
    ///     `pg-it-badca` (trusts the other CA) and `pg-it-badname` (expects `db.invalid`).
    ///   - extraGroups: YAML list items appended to the configuration's `groups`.
    ///   - store: the control store: `.embedded` (SQLite in the fixture's data directory),
    ///     `.postgres` (a `ringgate_store` database in this fixture's server, see ``storeURL``),
    ///     or `.shared(url)` (another fixture's).
    init(backend: String, extraPolicies: String = "", extraGateway: String = "", extraGroups: String = "",
         tls: TestCertificates? = nil, store: Store = .embedded, environment: [String: String] = [:]) throws {
        self.backend = backend
        gatewayEnvironment = environment
        self.tls = tls
        var template = Array((NSTemporaryDirectory() + "ringgate-pgit-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw PostgresServer.Failure.notInstalled }
        directory = String(cString: made)
        chmod(directory, 0o755)
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        upstreamPassword = "UpstreamScram-" + suffix.prefix(16)
        md5Password = "UpstreamMd5-" + suffix.suffix(16)

        let hbaFile = directory + "/pg_hba.conf"
        do {
            let host = tls == nil ? "host" : "hostssl"
            try """
                local all all trust
                \(tls == nil ? "" : "hostnossl all all 127.0.0.1/32 reject")
                \(host) all it_app 127.0.0.1/32 scram-sha-256
                \(host) all it_md5 127.0.0.1/32 md5
                \(host) all it_store 127.0.0.1/32 scram-sha-256
                host all all 127.0.0.1/32 reject

                """.write(toFile: hbaFile, atomically: false, encoding: .utf8)
            chmod(hbaFile, 0o644)
            server = try PostgresServer.start(
                extraSettings: ["hba_file=\(hbaFile)", "max_connections=60"],
                tls: tls.map { PostgresServerTLS(certificates: $0, requireSSL: true) })
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        port = PostgresServer.freeLoopbackPort()
        md5Port = PostgresServer.freeLoopbackPort()
        widePort = PostgresServer.freeLoopbackPort()
        if tls != nil {
            badCAPort = PostgresServer.freeLoopbackPort()
            badNamePort = PostgresServer.freeLoopbackPort()
        }
        configPath = directory + "/ringgate.yaml"
        keyPath = directory + "/token-signing.key"
        auditPath = directory + "/audit.jsonl"
        accessLogPath = directory + "/access.log"

        do {
            try Self.check(server.psql("""
                SET password_encryption = 'scram-sha-256'; CREATE ROLE it_app LOGIN PASSWORD '\(upstreamPassword)';
                SET password_encryption = 'md5'; CREATE ROLE it_md5 LOGIN PASSWORD '\(md5Password)';
                """), "create roles")
            try Self.check(server.psql("CREATE DATABASE itdb OWNER it_app"), "create database")
            var storeSettings = ""
            switch store {
            case .embedded:
                break
            case .postgres:
                // A role of its own: the store's pooled connections are not upstream sessions.
                try Self.check(server.psql("""
                    SET password_encryption = 'scram-sha-256'; CREATE ROLE it_store LOGIN PASSWORD '\(md5Password)'
                    """), "create store role")
                try Self.check(server.psql("CREATE DATABASE ringgate_store OWNER it_store"), "create store database")
                storeURL = "postgres://it_store:\(md5Password)@127.0.0.1:\(server.port)/ringgate_store"
                gatewayEnvironment[Self.storeURLVariable] = storeURL
                storeSettings = "  store: {engine: postgres, url_env: \(Self.storeURLVariable)}\n"
            case .shared(let url):
                gatewayEnvironment[Self.storeURLVariable] = url
                storeSettings = "  store: {engine: postgres, url_env: \(Self.storeURLVariable)}\n"
            }
            try Self.check(server.psql("""
                CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL);
                INSERT INTO items SELECT g, 'item-' || g, g * 3 FROM generate_series(1, \(Self.itemRows)) g;
                CREATE TABLE scratch (id serial PRIMARY KEY, note text);
                ALTER TABLE items OWNER TO it_app; ALTER TABLE scratch OWNER TO it_app;
                GRANT SELECT ON items, scratch TO it_md5;
                """, database: Self.database), "create tables")

            let passwordFile = directory + "/upstream-password"
            guard FileManager.default.createFile(atPath: passwordFile, contents: Data(upstreamPassword.utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw PostgresServer.Failure.command("write \(passwordFile)", .init(status: errno, output: "", error: ""))
            }
            guard FileManager.default.createFile(atPath: directory + "/revoked-tokens", contents: Data(),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw PostgresServer.Failure.command("write revoked-tokens", .init(status: errno, output: "", error: ""))
            }
            if let tls {
                try Self.installGatewayCertificate(certificate: tls.serverCertificateFile, key: tls.serverKeyFile, in: directory)
            }
            let keygen = try Self.runRinggate(["token", "keygen", "--out", keyPath])
            try Self.check(keygen, "ringgate token keygen")
            try (Self.configuration(fixtureDirectory: directory, port: port, md5Port: md5Port, widePort: widePort,
                                    upstreamPort: server.port, passwordFile: passwordFile,
                                    extraGateway: storeSettings + extraGateway,
                                    extraGroups: extraGroups,
                                    tls: tls, badCAPort: badCAPort, badNamePort: badNamePort) + extraPolicies)
                .write(toFile: configPath, atomically: true, encoding: .utf8)

            gateway = try Self.startGateway(configPath: configPath, backend: backend, md5Password: md5Password,
                                            environment: gatewayEnvironment)
        } catch {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        try waitUntilListening(port)
        token = try issueToken()
        // (A throw here runs deinit, which kills the gateway and removes everything.)
    }

    deinit {
        if !finished {
            gateway.signal(SIGKILL)
            _ = gateway.waitForExit(timeout: .seconds(10))
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func configuration(fixtureDirectory directory: String, port: Int, md5Port: Int, widePort: Int,
                              upstreamPort: Int, passwordFile: String, extraGateway: String = "", extraGroups: String = "",
                              tls: TestCertificates? = nil, badCAPort: Int = 0, badNamePort: Int = 0) -> String {
        let upstreamTLS = tls.map { "mode: verify-full\n      ca_file: \($0.caFile)\n      server_name: localhost" } ?? "mode: disable"
        var clientTLS = ""
        var badResources = ""
        if let tls {
            // The gateway's own copies, so a test can replace them and reload.
            clientTLS = "  client_tls:\n    cert_file: \(directory)/gateway.crt\n    key_file: \(directory)/gateway.key"
            for (name, port, settings) in [
                ("pg-it-badca", badCAPort, "ca_file: \(tls.otherCAFile)\n      server_name: localhost"),
                ("pg-it-badname", badNamePort, "ca_file: \(tls.caFile)\n      server_name: db.invalid"),
            ] {
                badResources += """
                  - name: \(name)
                    protocol: postgres
                    listen: 127.0.0.1:\(port)
                    upstream: 127.0.0.1:\(upstreamPort)
                    connect_timeout: 2s
                    default: deny
                    tls:
                      mode: verify-full
                      \(settings)
                    credentials:
                      username: it_app
                      password_file: \(passwordFile)

                """
            }
        }
        return """
        gateway:
          loops: 2
          drain_timeout: 2s
          access_log: \(directory)/access.log
          audit_log: \(directory)/audit.jsonl
          data_dir: \(directory)/data
        \(clientTLS)
        \(extraGateway)
        resources:
          - name: pg-it
            protocol: postgres
            listen: 127.0.0.1:\(port)
            upstream: 127.0.0.1:\(upstreamPort)
            connect_timeout: 2s
            idle_timeout: 2m
            default: deny
            tls:
              \(upstreamTLS)
            credentials:
              username: it_app
              password_file: \(passwordFile)
          - name: pg-it-md5
            protocol: postgres
            listen: 127.0.0.1:\(md5Port)
            upstream: 127.0.0.1:\(upstreamPort)
            connect_timeout: 2s
            default: deny
            tls:
              \(upstreamTLS)
            credentials:
              username: it_md5
              password_env: \(md5PasswordVariable)
          - name: pg-it-wide
            protocol: postgres
            listen: 0.0.0.0:\(widePort)
            upstream: 127.0.0.1:\(upstreamPort)
            connect_timeout: 2s
            default: deny
            tls:
              \(upstreamTLS)
            credentials:
              username: it_app
              password_file: \(passwordFile)
        \(badResources)gateway_tokens:
          signing_key_file: \(directory)/token-signing.key
          revocation_file: \(directory)/revoked-tokens
          max_ttl: 1h
          clock_skew: 0s
        groups:
          - name: \(group)
            members: [\(identity)]
        \(extraGroups)
        policies:
          - id: it-read-write
            resources: ["pg-it*"]
            groups: [\(group)]
            allow: [read, write, transaction, set, utility]
          - id: \(denyRule)
            resources: ["pg-it*"]
            groups: [\(group)]
            deny: [drop, truncate, delete-without-where, update-without-where, alter, opaque]
          - id: it-grants-need-approval
            resources: ["pg-it*"]
            groups: [\(group)]
            review: [grant]

        """
    }

    /// Copies a certificate and key to the paths `gateway.client_tls` names (`gateway.crt`,
    /// `gateway.key`), replacing what is there (a reload then serves them).
    static func installGatewayCertificate(certificate: String, key: String, in directory: String) throws {
        for (source, target, mode) in [(certificate, "gateway.crt", 0o644), (key, "gateway.key", 0o600)] {
            let path = directory + "/" + target
            let staging = path + ".new"
            guard let contents = FileManager.default.contents(atPath: source),
                  FileManager.default.createFile(atPath: staging, contents: contents, attributes: [.posixPermissions: mode]),
                  rename(staging, path) == 0
            else { throw PostgresServer.Failure.command("install \(source) as \(path)", .init(status: errno, output: "", error: "")) }
        }
    }

    // MARK: Tokens

    /// `ringgate token issue --config ...` (the key, issuer and TTL cap come from the file).
    func issueToken(identity: String = PostgresGatewayFixture.identity, groups: String = PostgresGatewayFixture.group,
                    ttl: String = "15m", resources: String = "pg-it,pg-it-md5,pg-it-wide",
                    config: String? = nil) throws -> String {
        let issued = try Self.runRinggate(["token", "issue", "--config", config ?? configPath, "--identity", identity,
                                           "--groups", groups, "--ttl", ttl, "--resources", resources])
        try Self.check(issued, "ringgate token issue")
        return issued.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A gateway token's id: its `jti` claim.
    static func tokenID(_ token: String) -> String? {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return claims["jti"] as? String
    }

    // MARK: Clients

    /// A libpq connection string to a gateway resource (the token goes in PGPASSWORD or `password=`).
    func dsn(port: Int? = nil, user: String = PostgresGatewayFixture.identity, sslmode: String = "disable",
             password: String? = nil) -> String {
        var dsn = "host=127.0.0.1 port=\(port ?? self.port) user=\(user) dbname=\(Self.database) sslmode=\(sslmode)"
        if let password { dsn += " password=\(password)" }
        return dsn
    }

    /// The same database directly, as the upstream role, over the trusted Unix socket.
    var directDSN: String {
        "host=\(server.socketDirectory) port=\(server.port) user=it_app dbname=\(Self.database)"
    }

    /// Runs a client program under `timeout` (a hang fails the test instead of blocking it),
    /// and records what it printed as something a client received.
    @discardableResult
    func client(_ program: String, _ arguments: [String], environment extra: [String: String] = [:],
                limitSeconds: Int = 120) throws -> PostgresServer.CommandResult {
        var environment = ProcessInfo.processInfo.environment
        for name in ["PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS", "PGSSLMODE", "PGSERVICE"] {
            environment.removeValue(forKey: name)
        }
        environment["PGCONNECT_TIMEOUT"] = "10"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        for (name, value) in extra { environment[name] = value }
        let result = try PostgresServer.run(asServerUser: false, "/usr/bin/timeout",
                                            ["-k", "5", String(limitSeconds), program] + arguments,
                                            environment: environment)
        record(result.output)
        record(result.error)
        return result
    }

    /// psql through the gateway with the token as password. `-v VERBOSITY=verbose` makes psql
    /// print SQLSTATEs (`ERROR:  42501: ...`).
    @discardableResult
    func psql(_ arguments: [String], token: String? = nil, port: Int? = nil, user: String = PostgresGatewayFixture.identity,
              sslmode: String = "disable", stopOnError: Bool = true) throws -> PostgresServer.CommandResult {
        try client("/usr/bin/psql",
                   ["-X", "-q", "-A", "-t", "-w", "-v", "VERBOSITY=verbose", "-v", "ON_ERROR_STOP=\(stopOnError ? 1 : 0)",
                    "-d", dsn(port: port, user: user, sslmode: sslmode)] + arguments,
                   environment: ["PGPASSWORD": token ?? self.token])
    }

    /// psql -c through the gateway.
    @discardableResult
    func psql(_ sql: String, token: String? = nil, port: Int? = nil, user: String = PostgresGatewayFixture.identity,
              sslmode: String = "disable") throws -> PostgresServer.CommandResult {
        try psql(["-c", sql], token: token, port: port, user: user, sslmode: sslmode)
    }

    /// psql directly against the server as the upstream role `it_app` (Unix socket, trusted).
    func directPsql(_ arguments: [String]) throws -> PostgresServer.CommandResult {
        try PostgresServer.run(asServerUser: false, "/usr/bin/psql",
                               ["-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-d", directDSN] + arguments)
    }

    /// Runs a Python script (Debian's python3, where psycopg and psycopg2 import) with `arguments`.
    @discardableResult
    func python(_ script: String, _ arguments: [String], limitSeconds: Int = 120) throws -> PostgresServer.CommandResult {
        let path = directory + "/script-\(UUID().uuidString).py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        return try client("/usr/bin/python3", [path] + arguments, limitSeconds: limitSeconds)
    }

    /// Records bytes or text a client received, for the secret check.
    func record(_ text: String) { receivedText.append(text) }
    func record(_ bytes: [UInt8]) { receivedText.append(String(decoding: bytes, as: UTF8.self)) }

    // MARK: Server-side checks

    /// Superuser SQL on the server directly (Unix socket); the trimmed output, or throws.
    func superuser(_ sql: String) throws -> String {
        let result = try server.psql(sql, database: Self.database)
        try Self.check(result, "direct: \(sql)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Row count, sum, content hash and column list of `items`, straight from the server;
    /// an error text if the table is gone.
    func itemsFingerprint() -> String {
        let sql = """
            SELECT count(*) || '|' || coalesce(sum(qty), 0) || '|'
                || md5(coalesce(string_agg(id || ',' || name || ',' || qty, ';' ORDER BY id), '')) || '|'
                || (SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
                    WHERE attrelid = 'public.items'::regclass AND attnum > 0 AND NOT attisdropped)
                || '|' || (SELECT coalesce(relacl::text, '-') FROM pg_class WHERE oid = 'public.items'::regclass)
            FROM items
            """
        guard let result = try? server.psql(sql, database: Self.database) else { return "psql failed" }
        return result.status == 0 ? result.output.trimmingCharacters(in: .whitespacesAndNewlines) : "error: \(result.error)"
    }

    /// Client backends of the upstream roles right now.
    func upstreamBackends() throws -> Int {
        Int(try superuser("""
            SELECT count(*) FROM pg_stat_activity WHERE usename IN ('it_app', 'it_md5') AND backend_type = 'client backend'
            """)) ?? -1
    }

    /// Waits (bounded) until the server has no client backend of the upstream roles left.
    func waitForNoUpstreamBackends(timeout: Duration = .seconds(15)) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var count = try upstreamBackends()
        while count != 0, ContinuousClock.now < deadline {
            usleep(100_000)
            count = try upstreamBackends()
        }
        return count
    }

    /// Waits (bounded) until `sql` (superuser, direct) returns `expected`.
    func waitFor(_ sql: String, toReturn expected: String, timeout: Duration = .seconds(15)) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try superuser(sql) == expected { return true }
            usleep(50_000)
        }
        return false
    }

    // MARK: Gateway

    var gatewayStderr: String { gateway.stderr }
    var auditText: String { (try? String(contentsOfFile: auditPath, encoding: .utf8)) ?? "" }
    var accessLogText: String { (try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? "" }

    /// The audit file's events as JSON objects.
    var auditEvents: [[String: Any]] {
        auditText.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Whether the gateway process is still running.
    static func startGateway(configPath: String, backend: String, md5Password: String,
                             environment extra: [String: String] = [:]) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment[md5PasswordVariable] = md5Password
        for (name, value) in extra { environment[name] = value }
        return try ChildProcess(try ringgatePath(), ["serve", "--config", configPath, "--io-backend", backend, "--no-watch"],
                                environment: environment)
    }

    /// Kills the gateway with SIGKILL (no drain, nothing flushed) and starts it again on the
    /// same configuration; returns once `pg-it` accepts connections.
    func killAndRestartGateway() throws {
        gateway.signal(SIGKILL)
        _ = gateway.waitForExit(timeout: .seconds(10))
        gateway = try Self.startGateway(configPath: configPath, backend: backend, md5Password: md5Password,
                                        environment: gatewayEnvironment)
        try waitUntilListening(port)
    }

    var gatewayIsRunning: Bool { gateway.exitCodeIfExited() == nil }

    /// The last lines of the gateway's stderr, for failure messages.
    var gatewayLogTail: String {
        gatewayStderr.split(separator: "\n").suffix(40).joined(separator: "\n")
    }

    private func waitUntilListening(_ port: Int) throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let code = gateway.exitCodeIfExited() {
                throw PostgresServer.Failure.command("ringgate serve exited with \(code)",
                                                     .init(status: code, output: "", error: gateway.stderr))
            }
            if let probe = try? RawPostgresClient(port: port, receiveTimeoutSeconds: 1) {
                _ = probe
                return
            }
            usleep(50_000)
        }
        throw PostgresServer.Failure.command("ringgate serve never listened on \(port)",
                                             .init(status: -1, output: "", error: gateway.stderr))
    }

    private func finishGateway() throws -> Int32? {
        gateway.signal(SIGTERM)
        if let code = gateway.waitForExit(timeout: .seconds(20)) { return code }
        gateway.signal(SIGKILL)
        _ = gateway.waitForExit(timeout: .seconds(10))
        return nil
    }

    /// Checks that no upstream session outlived its client, stops the gateway with SIGTERM
    /// (it must exit 0 within 20 s), then checks that neither upstream password nor the token
    /// appears in anything a client received, in the gateway's stderr, access log or audit log;
    /// then stops the server and removes the directory.
    func finish(checkBackends: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        guard !finished else { return }
        finished = true
        #expect(gatewayIsRunning, "the gateway died: \(gatewayLogTail)", sourceLocation: sourceLocation)
        if checkBackends {
            let left = (try? waitForNoUpstreamBackends()) ?? -1
            #expect(left == 0, "\(left) upstream sessions outlived their clients", sourceLocation: sourceLocation)
        }
        let code = try? finishGateway()
        #expect(code == 0, "ringgate serve exit \(String(describing: code)) after SIGTERM: \(gatewayLogTail)",
                sourceLocation: sourceLocation)
        let places: [(String, String)] = [
            ("what clients received", receivedText.joined(separator: "\n")),
            ("the gateway's stderr", gatewayStderr),
            ("the access log", accessLogText),
            ("the audit log", auditText),
        ]
        for (place, text) in places {
            #expect(!text.contains(upstreamPassword), "the SCRAM upstream password appears in \(place)",
                    sourceLocation: sourceLocation)
            #expect(!text.contains(md5Password), "the MD5 upstream password appears in \(place)",
                    sourceLocation: sourceLocation)
            if place != "what clients received", !token.isEmpty {
                #expect(!text.contains(token), "the client's token appears in \(place)", sourceLocation: sourceLocation)
            }
        }
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Helpers

    static func check(_ result: PostgresServer.CommandResult, _ what: String) throws {
        guard result.status == 0 else { throw PostgresServer.Failure.command(what, result) }
    }

    static func runRinggate(_ arguments: [String]) throws -> PostgresServer.CommandResult {
        try PostgresServer.run(asServerUser: false, try ringgatePath(), arguments)
    }

    /// `ringgate` next to the test bundle (`.build/<config>/ringgate`).
    static func ringgatePath() throws -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("ringgate").path
            if access(candidate, X_OK) == 0 { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/ringgate"
        try #require(access(fallback, X_OK) == 0, "build ringgate first (swift build)")
        return fallback
    }

    /// An IPv4 address of this machine other than loopback, if it has one.
    static func nonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            guard let text = inet_ntoa(ipv4).map({ String(cString: $0) }), !text.hasPrefix("127.") else { continue }
            return text
        }
        return nil
    }
}
