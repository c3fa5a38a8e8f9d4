public import Foundation
import Crypto
import JWTKit

/// Verifies gateway-issued tokens (see ``GatewayTokenIssuer``).
///
/// Refuses, beyond the structural and signature checks: a wrong `iss`; expired, not-yet-valid
/// or future-issued tokens (with the configured skew); a lifetime `exp - iat` above the
/// configured maximum (so a token minted under a looser limit, or forged by a stolen old key
/// with a long `exp`, is refused once the limit is lower); a revoked `jti`; and a resource that
/// is not in the token's `resources` scope. Only `EdDSA` is accepted.
public struct GatewayTokenVerifier: Sendable {
    /// The name used for audit attribution.
    public static let providerName = "gateway-token"

    /// The issuer every token must name.
    public let issuer: String
    /// The longest lifetime accepted, in seconds.
    public let maxTTLSeconds: Int
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public let clockSkewSeconds: Int
    /// Revoked token ids.
    public let revocations: RevocationList
    /// The longest token accepted, in bytes.
    public let maximumTokenSize: Int
    private let key: VerificationKey
    private let clock: @Sendable () -> Date

    /// Creates a verifier for tokens signed by `signingKey`.
    public init(
        signingKey: GatewaySigningKey, issuer: String, maxTTLSeconds: Int, clockSkewSeconds: Int,
        revocations: RevocationList, maximumTokenSize: Int = 8 * 1024, clock: @escaping @Sendable () -> Date = { Date() }
    ) async throws(IdentityConfigurationError) {
        guard maxTTLSeconds > 0 else { throw IdentityConfigurationError("gateway tokens: max ttl must be positive") }
        guard clockSkewSeconds >= 0, clockSkewSeconds <= 300 else {
            throw IdentityConfigurationError("gateway tokens: clock skew must be between 0 and 300 seconds")
        }
        let keyID = signingKey.keyID
        let collection = JWTKeyCollection()
        await collection.add(eddsa: EdDSA.PublicKey(backing: signingKey.privateKey.publicKey), kid: JWKIdentifier(string: keyID))
        let verifier: any JWTAlgorithm
        do {
            verifier = try await collection.getKey(for: JWKIdentifier(string: keyID), alg: SignatureAlgorithm.edDSA.rawValue)
        } catch {
            throw IdentityConfigurationError("gateway tokens: cannot build the verification key")
        }
        self.key = VerificationKey(keyID: keyID, algorithm: .edDSA, verifier: verifier)
        self.issuer = issuer
        self.maxTTLSeconds = maxTTLSeconds
        self.clockSkewSeconds = clockSkewSeconds
        self.revocations = revocations
        self.maximumTokenSize = maximumTokenSize
        self.clock = clock
    }

    /// Loads the key and the revocation list named by `settings`. Build a new verifier on every
    /// configuration reload: that is what re-reads the revocation file.
    public init(settings: GatewayTokenSettings, clock: @escaping @Sendable () -> Date = { Date() }) async throws(IdentityConfigurationError) {
        try await self.init(
            signingKey: try GatewaySigningKey.load(path: settings.signingKeyFile), issuer: settings.issuer,
            maxTTLSeconds: settings.maxTTLSeconds, clockSkewSeconds: settings.clockSkewSeconds,
            revocations: try RevocationList(settings: settings), clock: clock)
    }

    /// Verifies `token` for a connection to `resource`. Pass failures through
    /// ``AuthenticationOutcome/resolve(_:audit:)`` before anything reaches the caller.
    public func verify(_ token: String, resource: String) -> Result<VerifiedIdentity, AuthenticationFailure> {
        do {
            return .success(try verifyThrowing(token, resource: resource))
        } catch {
            return .failure(error.attributed(to: Self.providerName))
        }
    }

    private func verifyThrowing(_ token: String, resource: String) throws(AuthenticationFailure) -> VerifiedIdentity {
        let jwt = try CompactJWT(parsing: token, maximumSize: maximumTokenSize)
        guard jwt.algorithm == SignatureAlgorithm.edDSA.rawValue else {
            throw AuthenticationFailure(.algorithmNotAllowed, "alg \(jwt.algorithm) is not allowed for gateway tokens")
        }
        guard jwt.keyID == nil || jwt.keyID == key.keyID else {
            throw AuthenticationFailure(.unknownKey, "kid \(jwt.keyID ?? "") is not the gateway signing key")
        }
        guard key.verifies(jwt.signature, over: jwt.signingInput) else {
            throw AuthenticationFailure(.badSignature, "signature does not verify with the gateway key")
        }
        let claims = jwt.claims
        try ClaimChecks.checkIssuer(claims, issuer)
        let times = try ClaimChecks.checkTimes(
            claims, now: clock(), skew: Double(clockSkewSeconds), requireIssuedAt: true)
        let issuedAt = times.issuedAt ?? times.expiresAt
        guard times.expiresAt - issuedAt <= Double(maxTTLSeconds) else {
            throw AuthenticationFailure(
                .ttlTooLong, "lifetime \(Int(times.expiresAt - issuedAt))s exceeds the maximum of \(maxTTLSeconds)s")
        }
        let tokenID = try ClaimChecks.requiredString("jti", in: claims)
        guard !revocations.contains(tokenID) else {
            throw AuthenticationFailure(.revoked, "jti \(tokenID) is revoked")
        }
        let name = try ClaimChecks.requiredString("sub", in: claims)
        let resources = try ClaimChecks.stringList("resources", in: claims)
        guard resources.contains(resource) else {
            throw AuthenticationFailure(.outOfScope, "token \(tokenID) is not scoped to resource \(resource)")
        }
        let groups = try ClaimChecks.stringList("groups", in: claims)
        return VerifiedIdentity(
            name: name, groups: groups, issuer: issuer, source: .gatewayToken,
            expiresAt: Date(timeIntervalSince1970: times.expiresAt), tokenID: tokenID, resources: resources)
    }
}
