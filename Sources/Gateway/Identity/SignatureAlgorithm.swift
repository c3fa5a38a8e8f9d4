/// The JWS signature algorithms RingGate accepts. Every other `alg` (including `none` and
/// every HMAC algorithm) is refused before any key is looked at.
public enum SignatureAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA keys of 2048 bits or more).
    case rs256 = "RS256"
    /// ECDSA on P-256 with SHA-256.
    case es256 = "ES256"
    /// Ed25519.
    case edDSA = "EdDSA"

    /// Parses a configured list such as `["RS256", "EdDSA"]`; unknown names are an error.
    public static func parseList(_ names: [String]) throws(IdentityConfigurationError) -> Set<SignatureAlgorithm> {
        var result: Set<SignatureAlgorithm> = []
        for name in names {
            guard let algorithm = SignatureAlgorithm(rawValue: name) else {
                throw IdentityConfigurationError("unsupported signature algorithm \"\(AuditText.sanitize(name, limit: 32))\" (allowed: RS256, ES256, EdDSA)")
            }
            result.insert(algorithm)
        }
        guard !result.isEmpty else { throw IdentityConfigurationError("no signature algorithms allowed") }
        return result
    }
}

/// A configuration or key-material problem found while building a verifier or issuer.
public struct IdentityConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong (never secret material).
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
