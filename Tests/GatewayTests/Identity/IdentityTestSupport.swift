import Crypto
import CryptoExtras
import Foundation
import Synchronization
import Testing

@testable import Gateway

/// Keys generated at test time (never committed). RSA generation is slow, so each kind is
/// made once per test process.
enum TestKeys {
    static let rsa: _RSA.Signing.PrivateKey = makeRSA()
    static let rsaOther: _RSA.Signing.PrivateKey = makeRSA()
    static let p256 = P256.Signing.PrivateKey()
    static let ed25519 = Curve25519.Signing.PrivateKey()

    private static func makeRSA() -> _RSA.Signing.PrivateKey {
        do {
            return try _RSA.Signing.PrivateKey(keySize: .bits2048)
        } catch {
            fatalError("RSA key generation failed in the test process: \(error)")
        }
    }
}

/// Something that can sign a JWS signing input.
struct TestSigner: Sendable {
    let alg: String
    let kid: String?
    let sign: @Sendable ([UInt8]) throws -> [UInt8]

    static func rs256(_ key: _RSA.Signing.PrivateKey = TestKeys.rsa, kid: String? = "rsa-1") -> TestSigner {
        TestSigner(alg: "RS256", kid: kid) { input in
            Array(try key.signature(for: Data(input), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    static func es256(_ key: P256.Signing.PrivateKey = TestKeys.p256, kid: String? = "ec-1") -> TestSigner {
        TestSigner(alg: "ES256", kid: kid) { input in Array(try key.signature(for: Data(input)).rawRepresentation) }
    }

    static func edDSA(_ key: Curve25519.Signing.PrivateKey = TestKeys.ed25519, kid: String? = "ed-1") -> TestSigner {
        TestSigner(alg: "EdDSA", kid: kid) { input in Array(try key.signature(for: Data(input))) }
    }

    /// HMAC-SHA256 keyed with arbitrary bytes (the classic alg-confusion attack uses the public key).
    static func hs256(secret: [UInt8], kid: String?) -> TestSigner {
        TestSigner(alg: "HS256", kid: kid) { input in
            Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: secret)))
        }
    }

    /// Same signature function, different header `alg`/`kid`.
    func claiming(alg: String? = nil, kid: String?? = nil) -> TestSigner {
        TestSigner(alg: alg ?? self.alg, kid: kid ?? self.kid, sign: sign)
    }
}

enum TestJWT {
    static func b64url(_ bytes: some Sequence<UInt8>) -> String { Base64URL.encode(bytes) }

    static func json(_ object: [String: Any]) -> [UInt8] {
        do {
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        } catch {
            fatalError("test JSON not serializable: \(error)")
        }
    }

    /// A compact JWS with the given claims, signed by `signer`.
    static func make(_ claims: [String: Any], signer: TestSigner, extraHeader: [String: Any] = [:]) throws -> String {
        var header: [String: Any] = ["alg": signer.alg, "typ": "JWT"]
        if let kid = signer.kid { header["kid"] = kid }
        header.merge(extraHeader) { _, new in new }
        let input = b64url(json(header)) + "." + b64url(json(claims))
        return input + "." + b64url(try signer.sign(Array(input.utf8)))
    }

    /// A token with an empty signature and `alg: none`.
    static func unsigned(_ claims: [String: Any], kid: String? = nil) -> String {
        var header: [String: Any] = ["alg": "none", "typ": "JWT"]
        if let kid { header["kid"] = kid }
        return b64url(json(header)) + "." + b64url(json(claims)) + "."
    }
}

enum TestJWK {
    static func rsa(_ key: _RSA.Signing.PublicKey, kid: String, alg: String? = "RS256") throws -> [String: Any] {
        let primitives = try key.getKeyPrimitives()
        var jwk: [String: Any] = [
            "kty": "RSA", "kid": kid, "use": "sig",
            "n": TestJWT.b64url(primitives.modulus), "e": TestJWT.b64url(primitives.publicExponent),
        ]
        if let alg { jwk["alg"] = alg }
        return jwk
    }

    static func ec(_ key: P256.Signing.PublicKey, kid: String) -> [String: Any] {
        let raw = Array(key.rawRepresentation)
        return [
            "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256",
            "x": TestJWT.b64url(raw[0..<32]), "y": TestJWT.b64url(raw[32..<64]),
        ]
    }

    static func okp(_ key: Curve25519.Signing.PublicKey, kid: String) -> [String: Any] {
        ["kty": "OKP", "crv": "Ed25519", "kid": kid, "x": TestJWT.b64url(key.rawRepresentation)]
    }

    static func set(_ keys: [[String: Any]]) -> [UInt8] { TestJWT.json(["keys": keys]) }

    /// The standard three test keys.
    static func standard() throws -> [UInt8] {
        set([
            try rsa(TestKeys.rsa.publicKey, kid: "rsa-1"),
            ec(TestKeys.p256.publicKey, kid: "ec-1"),
            okp(TestKeys.ed25519.publicKey, kid: "ed-1"),
        ])
    }
}

/// A settable clock for deterministic time checks.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }
    var seconds: Int { Int(now.timeIntervalSince1970) }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { [self] in self.now } }
}

/// A fresh temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ringgate-identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)), options: .atomic)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Wraps a real fetcher and counts fetches (instrumentation, not a mock: the bytes are real).
final class CountingFetcher: JWKSFetcher {
    let inner: any JWKSFetcher
    private let counter = Mutex(0)

    init(_ inner: any JWKSFetcher) { self.inner = inner }

    var count: Int { counter.withLock { $0 } }

    func fetchJWKS() async throws(JWKSError) -> [UInt8] {
        counter.withLock { $0 += 1 }
        return try await inner.fetchJWKS()
    }
}

/// A real HTTP server on loopback (Python's http.server) serving one directory on a free port.
final class LoopbackHTTPServer {
    let process = Process()
    let lifeline = Pipe()
    let port: Int
    let directory: TemporaryDirectory

    init(serving directory: TemporaryDirectory) throws {
        self.directory = directory
        // The child inherits the test process's blocked-signal mask, so SIGTERM alone may not
        // stop it: it also exits when its stdin (a pipe held by this object) reaches EOF,
        // which also happens if the test process dies.
        let script = """
            import functools, http.server, os, signal, sys, threading
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
            class Quiet(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *args): pass
                def do_GET(self):
                    # /redirect/NAME answers 302 with an absolute Location to /NAME.
                    if self.path.startswith("/redirect/"):
                        host, port = self.server.server_address[:2]
                        self.send_response(302)
                        self.send_header("Location", "http://%s:%d/%s" % (host, port, self.path[len("/redirect/"):]))
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    super().do_GET()
            def watch_stdin():
                sys.stdin.buffer.read()
                os._exit(0)
            threading.Thread(target=watch_stdin, daemon=True).start()
            handler = functools.partial(Quiet, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        var line: [UInt8] = []
        while true {
            let chunk = output.fileHandleForReading.readData(ofLength: 1)
            guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw JWKSError("loopback HTTP server did not start")
        }
        self.port = port
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    func stop() {
        try? lifeline.fileHandleForWriting.close()
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

extension Result {
    var failureReason: AuthenticationFailure.Reason? {
        if case .failure(let error as AuthenticationFailure) = self { return error.reason }
        return nil
    }

    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

/// Runs a command to completion and returns its exit status and standard output.
func runCommand(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A real TLS server on loopback (`openssl s_server -WWW`) with a self-signed certificate
/// made at test time, serving files from `directory`.
final class LoopbackTLSServer {
    let process = Process()
    let port: Int
    let certificatePath: String

    init(serving directory: TemporaryDirectory) throws {
        certificatePath = directory.file("server-cert.pem")
        let generated = try runCommand(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", directory.file("server-key.pem"), "-out", certificatePath, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        guard generated.status == 0 else { throw JWKSError("openssl req failed") }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "s_server", "-WWW", "-accept", "127.0.0.1:0", "-cert", certificatePath,
            "-key", directory.file("server-key.pem"),
        ]
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var text: [UInt8] = []
        var found: Int?
        while found == nil {
            let chunk = output.fileHandleForReading.readData(ofLength: 1)
            guard let byte = chunk.first else { break }
            if byte == UInt8(ascii: "\n") {
                let line = String(decoding: text, as: UTF8.self)
                if line.hasPrefix("ACCEPT "), let colon = line.lastIndex(of: ":") {
                    found = Int(line[line.index(after: colon)...])
                }
                text.removeAll()
            } else {
                text.append(byte)
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            throw JWKSError("openssl s_server did not start")
        }
        port = found
    }

    func url(_ name: String) -> String { "https://127.0.0.1:\(port)/\(name)" }

    /// SIGKILL: the child inherits the test process's blocked-signal mask, so SIGTERM may not land.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
