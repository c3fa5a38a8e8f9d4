import Foundation
import Gateway
import IOCore
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The gateway as a whole in front of a real PostgreSQL 15: the in-process runtime on both
/// backends, and the `ringgate serve` executable with SIGHUP reload and SIGTERM drain.
@Suite(.serialized) struct GatewayServeTests {
    static let logger = Logger(label: "ringgate.test")

    /// psql over TCP to `port` (through the gateway), one Query.
    static func psql(port: Int, _ sql: String) throws -> PostgresServer.CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["PGCONNECT_TIMEOUT"] = "10"
        return try PostgresServer.run(
            asServerUser: false, PostgresServer.binDirectory + "/psql",
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port),
             "-U", "postgres", "-d", "postgres", "-c", sql],
            environment: environment)
    }

    static func writeConfig(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "ringgate-serve-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func tcpConfig(listen: Int, upstream: Int, auditLog: String? = nil, extraRules: String = "") -> String {
        """
        gateway:
          loops: 1
          drain_timeout: 5s
        \(auditLog.map { "  audit_log: \($0)" } ?? "")
        resources:
          - name: pg-relay
            protocol: tcp
            listen: 127.0.0.1:\(listen)
            upstream: 127.0.0.1:\(upstream)
            connect_timeout: 2s
            idle_timeout: 1m
        policies:
          - id: everyone-reads
            resources: [pg-relay]
            identities: ["*"]
            allow: [read]
        \(extraRules)
        """
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

    @Test(arguments: [IOBackendSelection.ioUring, .epoll])
    func runtimeRelaysPsqlToPostgres(backend: IOBackendSelection) throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        let port = PostgresServer.freeLoopbackPort()
        let path = try Self.writeConfig(Self.tcpConfig(listen: port, upstream: server.port))
        defer { unlink(path) }
        let runtime = try GatewayRuntime(
            configPath: path, backend: backend, watchFile: false, reloadOnSIGHUP: false, logger: Self.logger)
        #expect(runtime.backend.rawValue == backend.rawValue)
        let result = try Self.psql(port: port, "SELECT 'through-the-gateway', 6 * 7")
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "through-the-gateway|42")
        runtime.shutdown(deadline: .seconds(2))
        runtime.waitUntilStopped()
        // Once stopped, nothing listens there any more.
        #expect(try Self.psql(port: port, "SELECT 1").status != 0)
    }

    /// A `tcp` resource with `client_tls` terminates TLS and relays the plaintext: a libpq 18
    /// client opening with TLS (`sslnegotiation=direct`) reaches a plaintext PostgreSQL through it.
    @Test(.enabled(if: PsycopgBinaryClient.python != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                   "the psycopg[binary] venv is not installed"),
          arguments: [IOBackendSelection.ioUring, .epoll])
    func aTCPResourceTerminatesTLS(backend: IOBackendSelection) throws {
        let python = try #require(PsycopgBinaryClient.python, PsycopgBinaryClient.missingMessage)
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try PostgresServer.start()
        defer { server.stop() }
        let port = PostgresServer.freeLoopbackPort()
        let config = Self.tcpConfig(listen: port, upstream: server.port).replacingOccurrences(
            of: "    idle_timeout: 1m\n",
            with: "    idle_timeout: 1m\n    client_tls:\n      cert_file: \(certificates.serverCertificateFile)\n"
                + "      key_file: \(certificates.serverKeyFile)\n      alpn: [postgresql]\n")
        let path = try Self.writeConfig(config)
        defer { unlink(path) }
        let runtime = try GatewayRuntime(
            configPath: path, backend: backend, watchFile: false, reloadOnSIGHUP: false, logger: Self.logger)
        defer {
            runtime.shutdown(deadline: .seconds(2))
            runtime.waitUntilStopped()
        }
        let dsn = "host=localhost port=\(port) user=postgres dbname=postgres sslmode=verify-full "
            + "sslrootcert=\(certificates.caFile) sslnegotiation=direct"
        let script = """
            import sys, psycopg
            with psycopg.connect(sys.argv[1]) as conn:
                print(conn.pgconn.ssl_in_use, conn.execute("SELECT 'relayed-over-tls'").fetchone()[0])
            """
        let result = try PostgresServer.run(asServerUser: false, python, ["-c", script, dsn])
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "True relayed-over-tls", "\(result.output) \(result.error)")
        // A plaintext client is not let through to the upstream.
        #expect(try Self.psql(port: port, "SELECT 1").status != 0)
    }

    @Test func postgresResourcesThatCannotBeHonouredAreRefused() throws {
        // Without credentials the gateway cannot log in upstream itself; with a tls setting
        // this build cannot honour, it must not connect in plaintext.
        let noCredentials = try Self.writeConfig(
            """
            resources:
              - name: pg-prod
                protocol: postgres
                listen: 127.0.0.1:\(PostgresServer.freeLoopbackPort())
                upstream: 127.0.0.1:5432
            """)
        defer { unlink(noCredentials) }
        #expect {
            _ = try GatewayRuntime(configPath: noCredentials, watchFile: false, reloadOnSIGHUP: false, logger: Self.logger)
        } throws: { error in
            guard case .credentials(let resource, _) = error as? GatewayRuntimeError else { return false }
            return resource == "pg-prod"
        }
        // A TLS setting that cannot be honoured stops the start instead of being dropped: a
        // CA file that is not there (upstream leg), a certificate that is not there (client leg).
        for (name, settings) in [
            ("pg-tls-ca", "tls:\n      mode: verify-full\n      ca_file: /nonexistent/ca.crt"),
            ("pg-tls-cert", "client_tls:\n      cert_file: /nonexistent/server.crt\n      key_file: /nonexistent/server.key"),
        ] {
            let tls = try Self.writeConfig(
                """
                resources:
                  - name: \(name)
                    protocol: postgres
                    listen: 127.0.0.1:\(PostgresServer.freeLoopbackPort())
                    upstream: 127.0.0.1:5432
                    \(settings)
                    credentials:
                      username: app
                """)
            defer { unlink(tls) }
            #expect {
                _ = try GatewayRuntime(configPath: tls, watchFile: false, reloadOnSIGHUP: false, logger: Self.logger)
            } throws: { error in
                guard case .tls(let resource, let reason) = error as? GatewayRuntimeError else { return false }
                return resource == name && reason.contains("/nonexistent/")
            }
        }
    }

    @Test func aPasswordFileOthersCanWriteIsRefused() throws {
        let passwordFile = NSTemporaryDirectory() + "ringgate-serve-\(UUID().uuidString).password"
        try "secret\n".write(toFile: passwordFile, atomically: false, encoding: .utf8)
        defer { unlink(passwordFile) }
        #expect(chmod(passwordFile, 0o662) == 0)
        let path = try Self.writeConfig(
            """
            resources:
              - name: pg-loose
                protocol: postgres
                listen: 127.0.0.1:\(PostgresServer.freeLoopbackPort())
                upstream: 127.0.0.1:5432
                credentials:
                  username: app
                  password_file: \(passwordFile)
            """)
        defer { unlink(path) }
        #expect {
            _ = try GatewayRuntime(configPath: path, watchFile: false, reloadOnSIGHUP: false, logger: Self.logger)
        } throws: { error in
            guard case .credentials(let resource, let reason) = error as? GatewayRuntimeError else { return false }
            return resource == "pg-loose" && reason.contains("password file \(passwordFile) is writable by group or others")
        }
    }

    @Test func invalidConfigurationIsReportedWithLocations() throws {
        let path = try Self.writeConfig("resources:\n  - name: x\n    protocol: tcp\n    lisen: 1\n")
        defer { unlink(path) }
        #expect {
            _ = try GatewayRuntime(configPath: path, watchFile: false, reloadOnSIGHUP: false, logger: Self.logger)
        } throws: { error in
            guard case .invalidConfiguration = error as? GatewayRuntimeError else { return false }
            return "\(error)".contains("\(path):4:")
        }
    }

    @Test func serveReloadsOnSIGHUPKeepsOldPolicyOnBadConfigAndDrainsOnSIGTERM() throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        let port = PostgresServer.freeLoopbackPort()
        let audit = NSTemporaryDirectory() + "ringgate-audit-\(UUID().uuidString).jsonl"
        defer { unlink(audit) }
        let path = try Self.writeConfig(Self.tcpConfig(listen: port, upstream: server.port, auditLog: audit))
        defer { unlink(path) }

        let child = try ChildProcess(try Self.ringgatePath(), ["serve", "--config", path, "--no-watch"])
        #expect(child.waitFor("pg-relay (tcp) listening on"), "\(child.stderr)")
        #expect(try Self.psql(port: port, "SELECT 1").output.contains("1"))

        // A valid change: SIGHUP publishes a new policy version, audited.
        try Self.tcpConfig(
            listen: port, upstream: server.port, auditLog: audit,
            extraRules: "  - id: nobody-drops\n    resources: [pg-relay]\n    identities: [\"*\"]\n    deny: [drop]"
        ).write(toFile: path, atomically: true, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(Self.waitForFile(audit, containing: "policy_reloaded"), "\(child.stderr)")

        // A broken change: rejected, the old policy stays, sessions keep flowing.
        try "resources: [oops".write(toFile: path, atomically: true, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(Self.waitForFile(audit, containing: "policy_rejected"), "\(child.stderr)")
        #expect(try Self.psql(port: port, "SELECT 2").output.contains("2"))

        child.signal(SIGTERM)
        #expect(child.waitForExit() == 0, "\(child.stderr)")
        #expect(child.stderr.contains("SIGTERM received"))
    }

    static func waitForFile(_ path: String, containing text: String, timeout: Duration = .seconds(15)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let content = try? String(contentsOfFile: path, encoding: .utf8), content.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }
}
