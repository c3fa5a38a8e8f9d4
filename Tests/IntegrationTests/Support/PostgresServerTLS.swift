/// How ``PostgresServer`` serves TLS: `ssl=on` with this certificate and key (copied into the
/// data directory, the key owned by the server's user with mode 0600), `hostssl` lines for
/// loopback in pg_hba.conf, and, with ``requireSSL``, `hostnossl ... reject` before them.
struct PostgresServerTLS: Sendable {
    /// The server certificate (PEM).
    var certificateFile: String
    /// Its private key (PEM).
    var keyFile: String
    /// Refuse TCP connections that do not use TLS.
    var requireSSL: Bool = false

    /// The server certificate and key of a ``TestCertificates`` set.
    init(certificates: TestCertificates, requireSSL: Bool = false) {
        self.init(certificateFile: certificates.serverCertificateFile, keyFile: certificates.serverKeyFile, requireSSL: requireSSL)
    }

    init(certificateFile: String, keyFile: String, requireSSL: Bool = false) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.requireSSL = requireSSL
    }

    /// The pg_hba.conf lines that go before initdb's own: TLS over loopback with `authMethod`,
    /// after a refusal of everything else over TCP when ``requireSSL``.
    func hbaLines(authMethod: String) -> String {
        var lines = ""
        if requireSSL {
            lines += "hostnossl all all 0.0.0.0/0 reject\nhostnossl all all ::/0 reject\n"
        }
        lines += "hostssl all all 127.0.0.1/32 \(authMethod)\nhostssl all all ::1/128 \(authMethod)\n"
        return lines
    }

    /// The server settings, with the files' names inside the data directory.
    static let settings = ["ssl=on", "ssl_cert_file=server.crt", "ssl_key_file=server.key"]
}
