public import Foundation
import Logging

/// Verifies OIDC / JWT bearer tokens from one identity provider.
///
/// Order of checks: size (before parsing), structure, `alg` against the allowed set, key
/// lookup by `kid` (with one rate-limited JWKS refetch on a miss), `alg` against the key's own
/// algorithm, signature, then `iss`, `aud`, `exp`/`nbf`/`iat` with the configured skew, the
/// identity claim, `email_verified` (when required), and the groups claim (present when
/// required; always well-formed; granted to policy only when the provider trusts its groups).
/// Runs on the control plane.
public struct OIDCTokenVerifier: Sendable {
    /// The provider's settings.
    public let settings: OIDCProviderSettings
    /// The accepted algorithms, parsed from ``settings``.
    public let allowedAlgorithms: Set<SignatureAlgorithm>
    /// The provider's key cache.
    public let keys: JWKSCache
    /// The longest token accepted, in bytes.
    public let maximumTokenSize: Int
    private let clock: @Sendable () -> Date

    /// Creates a verifier with an explicit key source.
    public init(
        settings: OIDCProviderSettings, fetcher: any JWKSFetcher, maximumTokenSize: Int = 8 * 1024,
        unknownKeyRefetchInterval: Double = 30, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(IdentityConfigurationError) {
        guard !settings.issuer.isEmpty else { throw IdentityConfigurationError("provider \(settings.name): issuer is empty") }
        guard !settings.audiences.isEmpty else {
            throw IdentityConfigurationError("provider \(settings.name): at least one audience is required")
        }
        guard settings.clockSkewSeconds >= 0, settings.clockSkewSeconds <= 300 else {
            throw IdentityConfigurationError("provider \(settings.name): clock skew must be between 0 and 300 seconds")
        }
        self.settings = settings
        self.allowedAlgorithms = try SignatureAlgorithm.parseList(settings.algorithms)
        let refresh = Double(max(settings.jwksRefreshSeconds, 1))
        let provider = settings.name
        self.keys = JWKSCache(
            fetcher: fetcher, refreshInterval: refresh, unknownKeyRefetchInterval: unknownKeyRefetchInterval,
            maximumAge: max(Double(settings.jwksMaxAgeSeconds), refresh), clock: clock,
            onExpiry: { message in
                Logger(label: "ringgate.identity").error(
                    "identity provider's keys expired; its tokens are refused until a JWKS fetch succeeds",
                    metadata: ["provider": "\(provider)", "reason": "\(message)"])
            })
        self.maximumTokenSize = maximumTokenSize
        self.clock = clock
    }

    /// Creates a verifier whose key source follows the settings: `jwksFile` or `jwksURL`.
    ///
    /// `allowInsecureLoopback` admits `http://` JWKS URLs on loopback hosts (tests and local
    /// development only); see ``HTTPJWKSFetcher``.
    public init(
        settings: OIDCProviderSettings, allowInsecureLoopback: Bool = false,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(IdentityConfigurationError) {
        let fetcher: any JWKSFetcher
        switch (settings.jwksFile, settings.jwksURL) {
        case (let path?, nil):
            fetcher = FileJWKSFetcher(path: path)
        case (nil, let url?):
            do {
                fetcher = try HTTPJWKSFetcher(url: url, allowInsecureLoopback: allowInsecureLoopback)
            } catch {
                throw IdentityConfigurationError("provider \(settings.name): \(error.message)")
            }
        default:
            throw IdentityConfigurationError("provider \(settings.name): exactly one of jwks_file and jwks_url is required")
        }
        try self.init(settings: settings, fetcher: fetcher, clock: clock)
    }

    /// Verifies `token`. A failure names its reason for the audit log; pass the result through
    /// ``AuthenticationOutcome/resolve(_:audit:)`` before anything reaches the caller.
    public func verify(_ token: String) async -> Result<VerifiedIdentity, AuthenticationFailure> {
        do {
            return .success(try await verifyThrowing(token))
        } catch {
            return .failure(error.attributed(to: settings.name))
        }
    }

    private func verifyThrowing(_ token: String) async throws(AuthenticationFailure) -> VerifiedIdentity {
        let jwt = try CompactJWT(parsing: token, maximumSize: maximumTokenSize)
        guard let algorithm = SignatureAlgorithm(rawValue: jwt.algorithm), allowedAlgorithms.contains(algorithm) else {
            throw AuthenticationFailure(.algorithmNotAllowed, "alg \(jwt.algorithm) is not allowed")
        }
        let key: VerificationKey
        switch await keys.key(id: jwt.keyID, algorithm: algorithm) {
        case .found(let found): key = found
        case .unknown: throw AuthenticationFailure(.unknownKey, "kid \(jwt.keyID ?? "(none)") is not in the key set")
        case .unavailable(let error): throw AuthenticationFailure(.keySetUnavailable, error.message)
        }
        guard key.algorithm == algorithm else {
            throw AuthenticationFailure(
                .algorithmNotAllowed, "alg \(algorithm.rawValue) does not match key \(key.keyID) (\(key.algorithm.rawValue))")
        }
        guard key.verifies(jwt.signature, over: jwt.signingInput) else {
            throw AuthenticationFailure(.badSignature, "signature does not verify with key \(key.keyID)")
        }
        let claims = jwt.claims
        try ClaimChecks.checkIssuer(claims, settings.issuer)
        try ClaimChecks.checkAudience(claims, settings.audiences)
        let times = try ClaimChecks.checkTimes(claims, now: clock(), skew: Double(settings.clockSkewSeconds))
        let name = try ClaimChecks.requiredString(settings.identityClaim, in: claims)
        if settings.requireEmailVerified {
            switch claims["email_verified"] {
            case .bool(true)?: break
            case nil, .null?: throw AuthenticationFailure(.missingClaim, "email_verified")
            default: throw AuthenticationFailure(.invalidClaim, "email_verified is not true")
            }
        }
        if settings.requireGroups {
            switch claims.claim(named: settings.groupsClaim) {
            case nil, .null?: throw AuthenticationFailure(.missingClaim, settings.groupsClaim)
            default: break
            }
        }
        let claimed = try ClaimChecks.stringList(settings.groupsClaim, in: claims)
        return VerifiedIdentity(
            name: name, groups: settings.trustGroups ? claimed : [], issuer: settings.issuer,
            source: .oidc(provider: settings.name), expiresAt: Date(timeIntervalSince1970: times.expiresAt),
            tokenID: claims["jti"]?.stringValue, claimedGroups: claimed)
    }
}
