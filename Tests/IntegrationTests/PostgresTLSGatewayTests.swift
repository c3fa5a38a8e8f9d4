import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// TLS on both legs of a `postgres` resource, against a real PostgreSQL 15 that serves TLS
/// only: real clients (psql, psycopg with Debian's libpq 15, psycopg with libpq 18 for direct
/// TLS) verify the gateway, the gateway verifies the server, a wrong CA or name fails on
/// either leg with a clear message, plaintext from a non-local address is refused, broken TLS
/// clients close only their own session, and a reloaded certificate reaches new sessions
/// while open ones go on.
@Suite(.serialized) struct PostgresTLSGatewayTests {
    static let backends = ["io_uring", "epoll"]
    static let isCI = ProcessInfo.processInfo.environment["CI"] != nil
    /// The upstream session's own view: is the gateway's connection to the server encrypted?
    static let upstreamIsEncrypted = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

    static func trimmed(_ result: PostgresServer.CommandResult) -> String {
        result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `host=localhost` (the name the certificate carries) on `port`, with `ssl` options.
    static func dsn(_ gateway: PostgresGatewayFixture, port: Int? = nil, _ ssl: String) -> String {
        "host=localhost port=\(port ?? gateway.port) user=\(PostgresGatewayFixture.identity) "
            + "dbname=\(PostgresGatewayFixture.database) \(ssl)"
    }

    static func psql(_ gateway: PostgresGatewayFixture, _ dsn: String, _ sql: String) throws -> PostgresServer.CommandResult {
        try gateway.client("/usr/bin/psql", ["-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
                           environment: ["PGPASSWORD": gateway.token])
    }

    @Test(arguments: backends)
    func realClientsUseTLSOnBothLegs(backend: String) throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let gateway = try PostgresGatewayFixture(backend: backend, tls: certificates)
        defer { gateway.finish() }
        let ca = "sslrootcert=\(certificates.caFile)"

        for mode in ["sslmode=verify-full \(ca)", "sslmode=verify-ca \(ca)", "sslmode=require"] {
            let result = try Self.psql(gateway, Self.dsn(gateway, mode), Self.upstreamIsEncrypted)
            #expect(result.status == 0 && Self.trimmed(result) == "t", "\(mode): \(result.output) \(result.error)\n\(gateway.gatewayLogTail)")
        }
        // The client leg as psql reports it.
        let info = try gateway.client("/usr/bin/psql", ["-X", "-w", "-d", Self.dsn(gateway, "sslmode=verify-full \(ca)"), "-c", "\\conninfo"],
                                      environment: ["PGPASSWORD": gateway.token])
        #expect(info.output.contains("SSL connection (protocol: TLSv1.3"), "\(info.output) \(info.error)")

        // psycopg 3 on Debian's libpq 15: SSLRequest, extended protocol, writes.
        let script = """
            import sys, psycopg
            with psycopg.connect(sys.argv[1], password=sys.argv[2]) as conn:
                print(conn.pgconn.ssl_in_use)
                conn.execute("INSERT INTO scratch (note) VALUES (%s)", ("over-tls",))
                print(conn.execute("SELECT note FROM scratch WHERE note = %s", ("over-tls",)).fetchone()[0])
                print(conn.execute(sys.argv[3]).fetchone()[0])
            """
        let psycopg = try gateway.python(script, [Self.dsn(gateway, "sslmode=verify-full \(ca)"), gateway.token, Self.upstreamIsEncrypted])
        #expect(Self.trimmed(psycopg) == "True\nover-tls\nTrue", "\(psycopg.output) \(psycopg.error)")
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'over-tls'") == "1")
    }

    /// PostgreSQL 17's direct negotiation: the client opens with a ClientHello (ALPN `postgresql`).
    @Test(.enabled(if: PsycopgBinaryClient.python != nil || isCI, "the psycopg[binary] venv is not installed"),
          arguments: backends)
    func directTLSFromALibpq18Client(backend: String) throws {
        let python = try #require(PsycopgBinaryClient.python, PsycopgBinaryClient.missingMessage)
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let gateway = try PostgresGatewayFixture(backend: backend, tls: certificates)
        defer { gateway.finish() }
        let script = """
            import sys, psycopg
            with psycopg.connect(sys.argv[1], password=sys.argv[2]) as conn:
                print(conn.execute(sys.argv[3]).fetchone()[0], conn.execute("SELECT count(*) FROM items").fetchone()[0])
            """
        for negotiation in ["direct", "postgres"] {
            let dsn = Self.dsn(gateway, "sslmode=verify-full sslrootcert=\(certificates.caFile) sslnegotiation=\(negotiation)")
            let result = try gateway.client(python, ["-c", script, dsn, gateway.token, Self.upstreamIsEncrypted])
            #expect(Self.trimmed(result) == "True \(PostgresGatewayFixture.itemRows)", "\(negotiation): \(result.output) \(result.error)")
        }
        // A direct ClientHello without ALPN is refused (as PostgreSQL 17 does), after the
        // handshake, with an error the client can read.
        let noALPN = try gateway.client("/usr/bin/python3", ["-c", """
            import socket, ssl, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            t = ssl.create_default_context(cafile=sys.argv[2]).wrap_socket(s, server_hostname="localhost")
            data = b""
            while True:
                chunk = t.recv(4096)
                if not chunk:
                    break
                data += chunk
            print(data[:1].decode(), data[5:].decode(errors="replace"))
            """, String(gateway.port), certificates.caFile], limitSeconds: 30)
        #expect(noALPN.output.hasPrefix("E") && noALPN.output.contains("direct TLS connection without ALPN protocol postgresql"),
                "\(noALPN.output) \(noALPN.error)")
    }

    @Test(arguments: backends)
    func aWrongCAOrHostNameFailsOnEitherLeg(backend: String) throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let gateway = try PostgresGatewayFixture(backend: backend, tls: certificates)
        defer { gateway.finish() }

        // Client leg: the client does not trust the gateway's certificate, or not for that name.
        let wrongCA = try Self.psql(gateway, Self.dsn(gateway, "sslmode=verify-full sslrootcert=\(certificates.otherCAFile)"), "SELECT 1")
        #expect(wrongCA.status != 0 && wrongCA.error.contains("certificate verify failed"), "\(wrongCA.error)")
        let wrongName = try Self.psql(
            gateway, "hostaddr=127.0.0.1 host=db.invalid port=\(gateway.port) user=\(PostgresGatewayFixture.identity) "
                + "dbname=\(PostgresGatewayFixture.database) sslmode=verify-full sslrootcert=\(certificates.caFile)", "SELECT 1")
        #expect(wrongName.status != 0 && wrongName.error.contains("does not match host name"), "\(wrongName.error)")

        // Upstream leg: the gateway does not trust the server, or not for that name.
        let token = try gateway.issueToken(resources: "pg-it-badca,pg-it-badname")
        for (port, reason) in [(gateway.badCAPort, "certificate verify failed: unable to get local issuer certificate"),
                               (gateway.badNamePort, "certificate verify failed: hostname mismatch")] {
            let result = try gateway.client(
                "/usr/bin/psql", ["-X", "-w", "-d", Self.dsn(gateway, port: port, "sslmode=verify-full sslrootcert=\(certificates.caFile)"),
                                  "-c", "SELECT 1"],
                environment: ["PGPASSWORD": token])
            #expect(result.status != 0, "\(result.output)")
            #expect(result.error.contains("could not establish TLS with the upstream server") && result.error.contains(reason),
                    "\(result.error)")
            #expect(gateway.gatewayStderr.contains(reason), "no log line: \(gateway.gatewayLogTail)")
        }
        // The refused upstream connections never logged in.
        #expect(try gateway.superuser("SELECT count(*) FROM pg_stat_activity WHERE usename = 'it_app' AND backend_type = 'client backend'") == "0")
    }

    @Test(arguments: backends)
    func plaintextFromANonLocalAddressIsRefused(backend: String) throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        // 127.0.0.2 is a loopback address, but this configuration counts only 127.0.0.1 as local.
        let gateway = try PostgresGatewayFixture(backend: backend, extraGateway: "  plaintext_from: [127.0.0.1/32]", tls: certificates)
        defer { gateway.finish() }

        let local = try Self.psql(gateway, Self.dsn(gateway, port: gateway.widePort, "sslmode=disable"), "SELECT 'plain-local'")
        #expect(Self.trimmed(local) == "plain-local", "\(local.error)")

        let client = try RawPostgresClient(host: "127.0.0.1", port: gateway.widePort, source: "127.0.0.2")
        try client.send(PostgresWire.startup(user: PostgresGatewayFixture.identity, database: PostgresGatewayFixture.database))
        let first = try client.message()
        gateway.record(client.received)
        #expect(first?.kind == "E" && first?.fields["S"] == "FATAL" && first?.fields["C"] == "28000", "\(String(describing: first))")
        #expect(first?.fields["M"]?.contains("plaintext logins are refused from 127.0.0.2") == true, "\(String(describing: first))")
        #expect(try client.untilClosed().isEmpty)
    }

    @Test(arguments: backends)
    func brokenTLSClientsCloseOnlyTheirOwnSession(backend: String) throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let gateway = try PostgresGatewayFixture(backend: backend, tls: certificates)
        defer { gateway.finish() }
        let sslRequest = PostgresWire.int32(8) + PostgresWire.int32(80_877_103)

        // Garbage where the ClientHello belongs.
        let garbage = try RawPostgresClient(port: gateway.port)
        try garbage.send(sslRequest)
        #expect(try garbage.byte() == UInt8(ascii: "S"))
        try garbage.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        _ = try garbage.untilClosed()
        // Plaintext sent along with the SSLRequest (CVE-2021-23214): refused before TLS.
        let injected = try RawPostgresClient(port: gateway.port)
        try injected.send(sslRequest + PostgresWire.query("SELECT 'injected'"))
        _ = try injected.untilClosed()
        #expect(!String(decoding: injected.received, as: UTF8.self).contains("injected"))
        // A TLS alert in clear after the handshake, from a real TLS client.
        let alert = try gateway.client("/usr/bin/python3", ["-c", """
            import socket, ssl, struct, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(struct.pack("!ii", 8, 80877103))
            assert s.recv(1) == b"S"
            t = ssl.create_default_context(cafile=sys.argv[2]).wrap_socket(s, server_hostname="localhost")
            t.sendall(b"")
            import os
            os.write(t.fileno(), bytes([0x15, 3, 3, 0, 2, 2, 40]))
            try:
                print("data", t.recv(10))
            except Exception as error:
                print("closed", type(error).__name__)
            """, String(gateway.port), certificates.caFile], limitSeconds: 30)
        #expect(alert.output.contains("closed") || alert.output.contains("data b''"), "\(alert.output) \(alert.error)")

        // The gateway still serves TLS sessions.
        let after = try Self.psql(gateway, Self.dsn(gateway, "sslmode=verify-full sslrootcert=\(certificates.caFile)"), "SELECT 'still-serving'")
        #expect(Self.trimmed(after) == "still-serving", "\(after.error)\n\(gateway.gatewayLogTail)")
    }

    @Test(arguments: backends)
    func aReloadedCertificateReachesNewSessionsOnly(backend: String) throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let gateway = try PostgresGatewayFixture(backend: backend, tls: certificates)
        defer { gateway.finish() }
        let marker = gateway.directory + "/reloaded"
        // An open session: one query, then it waits for the marker and runs another.
        let script = """
            import os, sys, time, psycopg
            with psycopg.connect(sys.argv[1], password=sys.argv[2]) as conn:
                print("first", conn.execute("SELECT 1").fetchone()[0], flush=True)
                while not os.path.exists(sys.argv[3]):
                    time.sleep(0.05)
                print("second", conn.execute("SELECT 2").fetchone()[0], flush=True)
            """
        let scriptPath = gateway.directory + "/open-session.py"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let open = try ChildProcess("/usr/bin/python3", [
            scriptPath, Self.dsn(gateway, "sslmode=verify-full sslrootcert=\(certificates.caFile)"), gateway.token, marker,
        ], stdoutToStderr: true)
        #expect(open.waitFor("first 1"), "\(open.stderr)")

        try PostgresGatewayFixture.installGatewayCertificate(
            certificate: certificates.directory + "/other-server.crt", key: certificates.directory + "/other-server.key",
            in: gateway.directory)
        gateway.gateway.signal(SIGHUP)
        #expect(gateway.gateway.waitFor("TLS certificate reloaded"), "\(gateway.gatewayLogTail)")

        let renewed = try Self.psql(gateway, Self.dsn(gateway, "sslmode=verify-full sslrootcert=\(certificates.otherCAFile)"), "SELECT 'renewed'")
        #expect(Self.trimmed(renewed) == "renewed", "\(renewed.error)")
        let old = try Self.psql(gateway, Self.dsn(gateway, "sslmode=verify-full sslrootcert=\(certificates.caFile)"), "SELECT 1")
        #expect(old.status != 0 && old.error.contains("certificate verify failed"), "\(old.error)")

        FileManager.default.createFile(atPath: marker, contents: Data())
        #expect(open.waitForExit() == 0)
        #expect(open.stderr.contains("second 2"), "\(open.stderr)")
    }
}
