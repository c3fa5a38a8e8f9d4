import Foundation
import JWTKit

/// The usable signing keys of a JWKS document, by key id.
///
/// Keys RingGate cannot or must not use are skipped, not fatal (an identity provider may
/// publish encryption keys or algorithms we do not accept): keys without a `kid`, with
/// `use` other than `sig`, of an unsupported type, curve or algorithm, whose `alg` does not fit
/// their `kty`/`crv`, RSA keys under 2048 bits, and duplicate key ids.
public struct JWKSKeySet: Sendable {
    /// The largest JWKS document accepted, in bytes.
    public static let maximumDocumentSize = 1 << 20
    /// The most keys read from one document.
    public static let maximumKeyCount = 64

    /// Usable keys by key id.
    public let keys: [String: VerificationKey]
    /// How many keys of the document were skipped.
    public let skippedKeyCount: Int

    init(keys: [String: VerificationKey], skippedKeyCount: Int) {
        self.keys = keys
        self.skippedKeyCount = skippedKeyCount
    }

    /// Parses a JWKS document (`{"keys": [...]}`).
    ///
    /// - Throws: ``JWKSError`` when the document is too large, not a JWKS, or has no usable key.
    public static func parse(_ document: [UInt8]) async throws(JWKSError) -> JWKSKeySet {
        guard document.count <= maximumDocumentSize else {
            throw JWKSError("JWKS document is \(document.count) bytes, limit \(maximumDocumentSize)")
        }
        guard let object = JSONValue.decodeObject(document), case .array(let entries)? = object["keys"] else {
            throw JWKSError("not a JWKS document (no keys array)")
        }
        var keys: [String: VerificationKey] = [:]
        var skipped = 0
        for entry in entries.prefix(maximumKeyCount) {
            if let key = await usableKey(entry), keys[key.keyID] == nil {
                keys[key.keyID] = key
            } else {
                skipped += 1
            }
        }
        skipped += max(0, entries.count - maximumKeyCount)
        guard !keys.isEmpty else {
            throw JWKSError("JWKS has no usable signing key (\(skipped) skipped)")
        }
        return JWKSKeySet(keys: keys, skippedKeyCount: skipped)
    }

    /// The algorithm a JWK may verify, judged from its `kty`, `crv` and optional `alg`.
    static func algorithm(of member: [String: JSONValue]) -> SignatureAlgorithm? {
        let inferred: SignatureAlgorithm
        switch (member["kty"]?.stringValue, member["crv"]?.stringValue) {
        case ("RSA"?, _): inferred = .rs256
        case ("EC"?, "P-256"?): inferred = .es256
        case ("OKP"?, "Ed25519"?): inferred = .edDSA
        default: return nil
        }
        switch member["alg"] {
        case nil: return inferred
        case .string(let declared)?: return declared == inferred.rawValue ? inferred : nil
        default: return nil
        }
    }

    private static func usableKey(_ entry: JSONValue) async -> VerificationKey? {
        guard case .object(let member) = entry,
            let keyID = member["kid"]?.stringValue, !keyID.isEmpty,
            let algorithm = algorithm(of: member)
        else { return nil }
        if let use = member["use"], use.stringValue != "sig" { return nil }
        // Public keys only: a JWKS that leaks private parameters is a misconfiguration.
        guard member["d"] == nil else { return nil }
        if algorithm == .rs256 {
            guard let modulus = member["n"]?.stringValue.flatMap({ Base64URL.decode(Array($0.utf8)) }),
                significantBits(modulus) >= 2048
            else { return nil }
        }
        do {
            let encoded = try JSONEncoder().encode(entry)
            let jwk = try JSONDecoder().decode(JWK.self, from: encoded)
            let collection = JWTKeyCollection()
            try await collection.add(jwk: jwk)
            let verifier = try await collection.getKey(for: JWKIdentifier(string: keyID), alg: algorithm.rawValue)
            guard verifier.name == algorithm.rawValue else { return nil }
            return VerificationKey(keyID: keyID, algorithm: algorithm, verifier: verifier)
        } catch {
            return nil
        }
    }

    private static func significantBits(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        let remaining = bytes.count - first
        return (remaining - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }
}

/// A JWKS could not be fetched or used.
public struct JWKSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong (URLs and paths, never key material).
    public var message: String

    public init(_ message: String) { self.message = AuditText.sanitize(message, limit: 240) }

    public var description: String { message }
}
