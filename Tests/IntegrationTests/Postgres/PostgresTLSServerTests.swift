import Foundation
import Testing

/// The ``PostgresServer`` fixture with TLS (``PostgresServerTLS``, certificates from
/// ``TestCertificates``): psql verifies the server against the test CA and the session is
/// encrypted; with `requireSSL` a plaintext TCP login is refused; a client trusting another CA
/// refuses the server. The libpq 17+ client (``PsycopgBinaryClient``) logs in over TLS, and with
/// `sslnegotiation=direct` opens with a TLS ClientHello, which PostgreSQL 15 cannot take.
@Suite(.serialized) struct PostgresTLSServerTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] != nil
    static let enabled = PostgresServer.isInstalled || isCI
    static let sessionIsEncrypted = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

    /// `host=localhost` on the server's port as the superuser, plus `options`.
    static func conninfo(_ server: PostgresServer, _ options: String) -> String {
        "host=localhost port=\(server.port) user=postgres dbname=postgres \(options)"
    }

    @Test(.enabled(if: enabled, "PostgreSQL 15 is not installed"))
    func verifyFullConnectsOverTLSAndPlaintextIsRefusedWhenRequired() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try PostgresServer.start(tls: PostgresServerTLS(certificates: certificates, requireSSL: true))
        defer { server.stop() }

        let verified = try server.psql(
            conninfo: Self.conninfo(server, "sslmode=verify-full sslrootcert=\(certificates.caFile)"), Self.sessionIsEncrypted)
        #expect(verified.status == 0, "\(verified.error)")
        #expect(verified.output.trimmingCharacters(in: .whitespacesAndNewlines) == "t")

        let plaintext = try server.psql(conninfo: Self.conninfo(server, "sslmode=disable"), "SELECT 1")
        #expect(plaintext.status != 0)
        #expect(plaintext.error.contains("pg_hba.conf rejects connection") && plaintext.error.contains("no encryption"), "\(plaintext.error)")

        let wrongCA = try server.psql(
            conninfo: Self.conninfo(server, "sslmode=verify-full sslrootcert=\(certificates.otherCAFile)"), "SELECT 1")
        #expect(wrongCA.status != 0)
        #expect(wrongCA.error.contains("certificate verify failed"), "\(wrongCA.error)")
    }

    @Test(.enabled(if: enabled, "PostgreSQL 15 is not installed"))
    func withoutRequireSSLBothTLSAndPlaintextLogIn() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try PostgresServer.start(tls: PostgresServerTLS(certificates: certificates))
        defer { server.stop() }

        let encrypted = try server.psql(
            conninfo: Self.conninfo(server, "sslmode=verify-full sslrootcert=\(certificates.caFile)"), Self.sessionIsEncrypted)
        #expect(encrypted.status == 0, "\(encrypted.error)")
        #expect(encrypted.output.trimmingCharacters(in: .whitespacesAndNewlines) == "t")
        let plaintext = try server.psql(conninfo: Self.conninfo(server, "sslmode=disable"), Self.sessionIsEncrypted)
        #expect(plaintext.status == 0, "\(plaintext.error)")
        #expect(plaintext.output.trimmingCharacters(in: .whitespacesAndNewlines) == "f")
    }

    /// Prints libpq's version, then the outcome of a TLS login with each `sslnegotiation`.
    static let negotiationScript = """
        import sys, psycopg
        print(psycopg.pq.version())
        for negotiation in ("postgres", "direct"):
            try:
                with psycopg.connect(f"{sys.argv[1]} sslnegotiation={negotiation}") as conn:
                    print(negotiation, conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0])
            except psycopg.Error as error:
                print(negotiation, "error", str(error).replace("\\n", " "))
        """

    @Test(.enabled(if: enabled && (PsycopgBinaryClient.python != nil || isCI), "PostgreSQL 15 or the psycopg[binary] venv is not installed"))
    func libpq17ClientLogsInOverTLSAndAttemptsDirectTLS() throws {
        let python = try #require(PsycopgBinaryClient.python, PsycopgBinaryClient.missingMessage)
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try PostgresServer.start(tls: PostgresServerTLS(certificates: certificates, requireSSL: true))
        defer { server.stop() }

        let dsn = Self.conninfo(server, "sslmode=verify-full sslrootcert=\(certificates.caFile)")
        let result = try PostgresServer.run(asServerUser: false, python, ["-c", Self.negotiationScript, dsn])
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        try #require(lines.count == 3, "\(result.output)\(result.error)")
        #expect((Int(lines[0]) ?? 0) >= 170_000, "libpq \(lines[0])")
        #expect(lines[1] == "postgres True")
        // PostgreSQL 15 reads the ClientHello as a startup packet and hangs up.
        #expect(lines[2].hasPrefix("direct error"), "\(lines[2])")
        let log = (try? String(contentsOfFile: server.directory + "/server.log", encoding: .utf8)) ?? ""
        #expect(log.contains("invalid length of startup packet"), "\(log)")
    }
}
