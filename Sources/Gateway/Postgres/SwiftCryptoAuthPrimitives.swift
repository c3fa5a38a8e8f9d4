import Codecs
import Crypto

/// PostgreSQL authentication hashes (SCRAM-SHA-256, md5) backed by swift-crypto.
public struct SwiftCryptoAuthPrimitives: PostgresAuthPrimitives, Sendable {
    public init() {}

    public func sha256(_ data: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: data))
    }

    public func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    public func md5(_ data: [UInt8]) -> [UInt8] {
        Array(Insecure.MD5.hash(data: data))
    }

    /// PBKDF2 with the key schedule computed once (the HMAC state is copied per round).
    public func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        let keyed = HMAC<SHA256>(key: key)
        var first = keyed
        first.update(data: salt + [0, 0, 0, 1])
        var u = Array(first.finalize())
        var result = u
        var round = 1
        while round < iterations {
            var next = keyed
            next.update(data: u)
            u = Array(next.finalize())
            for i in 0..<result.count { result[i] ^= u[i] }
            round += 1
        }
        return result
    }
}
