public import Foundation
import Crypto
import JWTKit

/// A freshly issued gateway token.
public struct IssuedGatewayToken: Sendable, Hashable {
    /// The compact JWS to hand to the automation that will use it.
    public var token: String
    /// Its `jti`, for revocation.
    public var tokenID: String
    /// When it expires.
    public var expiresAt: Date
}

/// Issues short-lived Ed25519-signed tokens for automation (`ringgate token issue`).
///
/// Claims: `iss`, `sub` (the identity), `groups`, `resources` (the scope), `iat`, `nbf`,
/// `exp` and a random 128-bit `jti` (32 lowercase hex digits). A TTL above ``maxTTLSeconds`` is refused, so no token can
/// outlive the configured maximum.
public struct GatewayTokenIssuer: Sendable {
    /// The signing key.
    public let signingKey: GatewaySigningKey
    /// The `iss` written into every token.
    public let issuer: String
    /// The longest TTL that may be issued, in seconds.
    public let maxTTLSeconds: Int
    private let clock: @Sendable () -> Date

    public init(
        signingKey: GatewaySigningKey, issuer: String, maxTTLSeconds: Int,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.signingKey = signingKey
        self.issuer = issuer
        self.maxTTLSeconds = maxTTLSeconds
        self.clock = clock
    }

    /// Loads the signing key named by `settings` and creates an issuer.
    public init(settings: GatewayTokenSettings, clock: @escaping @Sendable () -> Date = { Date() }) throws(IdentityConfigurationError) {
        self.init(
            signingKey: try GatewaySigningKey.load(path: settings.signingKeyFile), issuer: settings.issuer,
            maxTTLSeconds: settings.maxTTLSeconds, clock: clock)
    }

    /// Issues a token for `identity`, scoped to `resources`, valid for `ttlSeconds`.
    public func issue(
        identity: String, groups: [String], resources: [String], ttlSeconds: Int
    ) async throws(GatewayTokenIssueError) -> IssuedGatewayToken {
        guard !identity.isEmpty else { throw .invalidRequest("identity is empty") }
        guard !resources.isEmpty, !resources.contains(where: \.isEmpty) else {
            throw .invalidRequest("a token must name at least one resource")
        }
        guard !groups.contains(where: \.isEmpty) else { throw .invalidRequest("group names must not be empty") }
        guard ttlSeconds > 0 else { throw .invalidRequest("ttl must be positive") }
        guard ttlSeconds <= maxTTLSeconds else { throw .ttlTooLong(requested: ttlSeconds, maximum: maxTTLSeconds) }

        let now = Int(clock().timeIntervalSince1970)
        let tokenID = SymmetricKey(size: .bits128).withUnsafeBytes { Self.tokenID(from: $0) }
        let claims = GatewayTokenClaims(
            iss: issuer, sub: identity, groups: groups, resources: resources, iat: now, nbf: now, exp: now + ttlSeconds,
            jti: tokenID)
        let keys = JWTKeyCollection()
        let kid = JWKIdentifier(string: signingKey.keyID)
        await keys.add(eddsa: EdDSA.PrivateKey(backing: signingKey.privateKey), kid: kid)
        let token: String
        do {
            token = try await keys.sign(claims, kid: kid)
        } catch {
            throw .signingFailed
        }
        return IssuedGatewayToken(token: token, tokenID: tokenID, expiresAt: Date(timeIntervalSince1970: Double(now + ttlSeconds)))
    }
}

extension GatewayTokenIssuer {
    /// A token id from random bytes: lowercase hex, so it never starts with `-` (base64url
    /// did for one token in 64, and `ringgate token revoke --jti -…` then read it as an option).
    static func tokenID(from bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Why a token was not issued.
public enum GatewayTokenIssueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request is incomplete or inconsistent.
    case invalidRequest(String)
    /// The requested TTL exceeds the configured maximum.
    case ttlTooLong(requested: Int, maximum: Int)
    /// jwt-kit could not sign the token.
    case signingFailed

    public var description: String {
        switch self {
        case .invalidRequest(let message): return message
        case .ttlTooLong(let requested, let maximum):
            return "requested ttl \(requested)s exceeds the configured maximum of \(maximum)s"
        case .signingFailed: return "signing the token failed"
        }
    }
}
