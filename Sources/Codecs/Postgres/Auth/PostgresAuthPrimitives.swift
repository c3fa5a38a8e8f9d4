/// The hash functions PostgreSQL authentication needs, supplied by the caller so that
/// Codecs stays free of dependencies (the gateway implements them with swift-crypto).
///
/// Authentication runs once per connection, off the per-message path, so these use
/// arrays.
public protocol PostgresAuthPrimitives {
    /// SHA-256 of `data` (32 bytes).
    func sha256(_ data: [UInt8]) -> [UInt8]
    /// HMAC-SHA-256 of `message` under `key` (32 bytes).
    func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8]
    /// MD5 of `data` (16 bytes), for the legacy `md5` password method only.
    func md5(_ data: [UInt8]) -> [UInt8]
    /// PBKDF2-HMAC-SHA-256 with a 32-byte output (SCRAM's Hi()). A default built on
    /// `hmacSHA256` is provided.
    func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8]
}

extension PostgresAuthPrimitives {
    /// Hi(password, salt, i) from RFC 5802: one PBKDF2 block, U1 = HMAC(p, salt || 1).
    public func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var u = hmacSHA256(key: password, message: salt + [0, 0, 0, 1])
        var result = u
        var round = 1
        while round < iterations {
            u = hmacSHA256(key: password, message: u)
            for i in 0..<result.count { result[i] ^= u[i] }
            round += 1
        }
        return result
    }
}
