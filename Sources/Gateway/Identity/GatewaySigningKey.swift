public import Crypto
import CryptoExtras
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Ed25519 key the gateway signs its own tokens with.
///
/// On disk: PEM (`-----BEGIN PRIVATE KEY-----`, PKCS#8) as `ringgate token keygen` writes it,
/// or the raw 32-byte seed in base64. The file must not be readable by group or others.
public struct GatewaySigningKey: Sendable {
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey

    /// The key id written into token headers: the first 16 base64url characters of
    /// SHA-256 over the raw public key.
    public var keyID: String {
        String(Base64URL.encode(SHA256.hash(data: privateKey.publicKey.rawRepresentation)).prefix(16))
    }

    public init(privateKey: Curve25519.Signing.PrivateKey) { self.privateKey = privateKey }

    /// A fresh random key.
    public static func generate() -> GatewaySigningKey {
        GatewaySigningKey(privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Parses PEM or a base64 seed.
    public init(parsing text: String) throws(IdentityConfigurationError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") {
            do {
                self.privateKey = try Curve25519.Signing.PrivateKey(pemRepresentation: trimmed)
            } catch {
                throw IdentityConfigurationError("signing key is not an Ed25519 PEM private key")
            }
            return
        }
        guard let seed = Data(base64Encoded: trimmed), seed.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else {
            throw IdentityConfigurationError("signing key is neither PEM nor a base64 32-byte Ed25519 seed")
        }
        self.privateKey = key
    }

    /// Loads the key at `path`, refusing files readable by group or others.
    public static func load(path: String) throws(IdentityConfigurationError) -> GatewaySigningKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw IdentityConfigurationError("cannot read signing key file \(path)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw IdentityConfigurationError("signing key file \(path) is accessible by group or others (chmod 600)")
        }
        if let problem = TrustFile.problem(path: path, what: "signing key file") {
            throw IdentityConfigurationError(problem)
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw IdentityConfigurationError("cannot read signing key file \(path)")
        }
        return try GatewaySigningKey(parsing: text)
    }

    /// Writes the key as PEM to a new file with mode 0600; refuses to overwrite.
    public func write(toNewFile path: String) throws(IdentityConfigurationError) {
        let pem = Array((privateKey.pemRepresentation + "\n").utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw IdentityConfigurationError("cannot create \(path) (it must not exist yet): errno \(errno)")
        }
        defer { close(fd) }
        // The umask cannot widen 0600, but make the mode explicit regardless.
        _ = fchmod(fd, 0o600)
        var written = 0
        while written < pem.count {
            let result = pem[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw IdentityConfigurationError("writing \(path) failed: errno \(errno)")
            }
            written += result
        }
    }
}
