import Foundation

/// A throwaway certificate set for one test, made by `scripts/make-test-certs.sh` in a fresh
/// temporary directory (see that script's header for every file); ``remove()`` deletes it.
///
/// ```swift
/// let certificates = try TestCertificates.make()
/// defer { certificates.remove() }
/// let server = try PostgresServer.start(tls: .init(certificates: certificates))
/// ```
struct TestCertificates: Sendable {
    /// The directory holding the files.
    let directory: String

    /// The CA that signed the server and client certificates.
    var caFile: String { directory + "/ca.crt" }
    /// `DNS:localhost`, `IP:127.0.0.1`, `IP:::1`, signed by ``caFile``.
    var serverCertificateFile: String { directory + "/server.crt" }
    /// The server certificate's private key (mode 0600).
    var serverKeyFile: String { directory + "/server.key" }
    /// Server certificate and key in one file (haproxy's `ssl crt`).
    var serverCombinedFile: String { directory + "/server-combined.pem" }
    /// A second CA that signed nothing here (a client trusting it must refuse the server).
    var otherCAFile: String { directory + "/other-ca.crt" }
    /// A client certificate (CN=ringgate-client) signed by ``caFile``, and its key.
    var clientCertificateFile: String { directory + "/client.crt" }
    var clientKeyFile: String { directory + "/client.key" }

    /// The script, found from this source file's place in the repository.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/make-test-certs.sh").path

    /// Runs the script into a new temporary directory; throws with its output when it fails.
    static func make() throws -> TestCertificates {
        var template = Array((NSTemporaryDirectory() + "ringgate-certs-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PostgresServer.Failure.command("mkdtemp", .init(status: errno, output: "", error: ""))
        }
        let certificates = TestCertificates(directory: String(cString: made))
        let result = try PostgresServer.run(asServerUser: false, "/bin/bash", [script, certificates.directory])
        guard result.status == 0, FileManager.default.fileExists(atPath: certificates.serverCombinedFile) else {
            certificates.remove()
            throw PostgresServer.Failure.command("\(script) \(certificates.directory)", result)
        }
        return certificates
    }

    /// Deletes the directory and every file in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
