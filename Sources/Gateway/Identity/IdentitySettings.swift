/// Settings for one OIDC / JWT issuer whose bearer tokens the gateway accepts.
///
/// Parsed from the `identity_providers` section of the configuration file; consumed by the
/// JWT verifier. Exactly one of ``jwksFile`` and ``jwksURL`` is set.
public struct OIDCProviderSettings: Sendable, Hashable {
    /// Name used in the configuration and in audit events.
    public var name: String
    /// Expected `iss` claim, compared exactly.
    public var issuer: String
    /// Accepted `aud` values; a token must name at least one.
    public var audiences: [String]
    /// A JWKS document on disk (re-read on reload).
    public var jwksFile: String?
    /// An HTTPS JWKS endpoint, fetched, cached and refreshed.
    public var jwksURL: String?
    /// The claim that carries the caller's groups (`groups` by default).
    public var groupsClaim: String
    /// The claim that names the caller (`sub` by default).
    public var identityClaim: String
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public var clockSkewSeconds: Int
    /// How often a fetched JWKS is refreshed, in seconds.
    public var jwksRefreshSeconds: Int
    /// How long a fetched JWKS stays usable while refreshes keep failing, in seconds
    /// (`jwks_max_age`); past it the provider's tokens are refused until a fetch succeeds.
    public var jwksMaxAgeSeconds: Int
    /// Signature algorithms accepted (a subset of RS256, ES256, EdDSA).
    public var algorithms: [String]
    /// Whether the groups this provider's tokens carry bind to config groups of the same name
    /// (`trust_groups`, default false). When false, the groups claim is still read and checked
    /// for shape, but it grants no membership: a provider cannot make its users members of a
    /// group that is meant for another provider's users (or for config `members`).
    public var trustGroups: Bool
    /// Refuse tokens whose groups claim is absent or null (`require_groups`, default false).
    public var requireGroups: Bool
    /// Refuse tokens unless `email_verified` is the JSON boolean `true`
    /// (`require_email_verified`, default false).
    public var requireEmailVerified: Bool

    public init(
        name: String, issuer: String, audiences: [String], jwksFile: String? = nil, jwksURL: String? = nil,
        groupsClaim: String = "groups", identityClaim: String = "sub", clockSkewSeconds: Int = 60,
        jwksRefreshSeconds: Int = 3600, algorithms: [String] = ["RS256", "ES256", "EdDSA"],
        trustGroups: Bool = false, requireGroups: Bool = false, requireEmailVerified: Bool = false,
        jwksMaxAgeSeconds: Int = 86_400
    ) {
        self.jwksMaxAgeSeconds = jwksMaxAgeSeconds
        self.trustGroups = trustGroups
        self.requireGroups = requireGroups
        self.requireEmailVerified = requireEmailVerified
        self.name = name
        self.issuer = issuer
        self.audiences = audiences
        self.jwksFile = jwksFile
        self.jwksURL = jwksURL
        self.groupsClaim = groupsClaim
        self.identityClaim = identityClaim
        self.clockSkewSeconds = clockSkewSeconds
        self.jwksRefreshSeconds = jwksRefreshSeconds
        self.algorithms = algorithms
    }
}

/// Settings for the short-lived tokens the gateway itself issues to automation.
///
/// Parsed from the `gateway_tokens` section of the configuration file.
public struct GatewayTokenSettings: Sendable, Hashable {
    /// Issuer name written into and required of every gateway token.
    public var issuer: String
    /// Path of the Ed25519 private signing key (PEM or raw 32-byte seed, base64).
    public var signingKeyFile: String
    /// The longest TTL a token may be issued with, in seconds; longer requests are refused.
    public var maxTTLSeconds: Int
    /// Token ids (`jti`) that are revoked even though they have not expired.
    public var revokedTokenIDs: [String]
    /// A file with one revoked token id per line (re-read on reload), if any.
    public var revocationFile: String?
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    public var clockSkewSeconds: Int

    public init(
        issuer: String = "ringgate", signingKeyFile: String, maxTTLSeconds: Int = 3600,
        revokedTokenIDs: [String] = [], revocationFile: String? = nil, clockSkewSeconds: Int = 30
    ) {
        self.issuer = issuer
        self.signingKeyFile = signingKeyFile
        self.maxTTLSeconds = maxTTLSeconds
        self.revokedTokenIDs = revokedTokenIDs
        self.revocationFile = revocationFile
        self.clockSkewSeconds = clockSkewSeconds
    }
}
