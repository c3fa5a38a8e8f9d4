#if canImport(Glibc)
import Glibc
#endif

/// The throwaway certificate set `bench tcp --tls` runs with, made at start by
/// `scripts/make-test-certs.sh` into the run's work directory.
struct TLSBenchCertificates {
    /// The directory holding the files.
    let directory: String

    /// The CA the client trusts.
    var caFile: String { "\(directory)/ca.crt" }
    /// The server certificate (`DNS:localhost`, `IP:127.0.0.1`) for `ringgate forward`.
    var serverCertificateFile: String { "\(directory)/server.crt" }
    /// Its private key.
    var serverKeyFile: String { "\(directory)/server.key" }
    /// Certificate and key in one file (haproxy's `ssl crt`).
    var serverCombinedFile: String { "\(directory)/server-combined.pem" }

    /// Runs `scripts/make-test-certs.sh` (from the package the bench was built in, else from the
    /// current directory) into `workDirectory/certs`.
    static func make(in workDirectory: String) throws -> TLSBenchCertificates {
        let relative = "scripts/make-test-certs.sh"
        var script = relative
        if let directory = RingGateBinary.benchDirectory(), let root = RingGateBinary.packageRoot(from: directory) {
            script = "\(root)/\(relative)"
        }
        guard access(script, X_OK) == 0 else {
            throw BenchError("--tls needs \(relative) (run the bench from the RingGate package); not found at \(script)")
        }
        let certificates = TLSBenchCertificates(directory: "\(workDirectory)/certs")
        let logPath = "\(workDirectory)/make-test-certs.log"
        let status = ProxyProcess.runToCompletion(
            executable: "/bin/bash", arguments: [script, certificates.directory], timeoutSeconds: 60, stdoutPath: logPath
        )
        let files = [certificates.caFile, certificates.serverCertificateFile, certificates.serverKeyFile, certificates.serverCombinedFile]
        guard status == 0, files.allSatisfy({ access($0, R_OK) == 0 }) else {
            throw BenchError("\(script) \(certificates.directory) failed (status \(status)): \(ProxyProcess.tail(of: logPath, maxBytes: 2000))")
        }
        return certificates
    }
}
