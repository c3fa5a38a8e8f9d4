import JWTKit

/// One public key a token may be verified with, bound to exactly one algorithm.
///
/// The binding is what defeats algorithm confusion: a token whose header names a different
/// `alg` than the key's is refused before the signature is computed.
public struct VerificationKey: Sendable {
    /// The key id (`kid`) tokens name it by.
    public let keyID: String
    /// The only algorithm this key verifies.
    public let algorithm: SignatureAlgorithm
    /// jwt-kit's verifier for this key and algorithm.
    let verifier: any JWTAlgorithm

    init(keyID: String, algorithm: SignatureAlgorithm, verifier: any JWTAlgorithm) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.verifier = verifier
    }

    /// Whether `signature` is this key's signature over `signingInput`.
    func verifies(_ signature: [UInt8], over signingInput: [UInt8]) -> Bool {
        (try? verifier.verify(signature, signs: signingInput)) ?? false
    }
}
