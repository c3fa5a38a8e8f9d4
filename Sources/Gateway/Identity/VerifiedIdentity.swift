public import Foundation

/// A caller whose bearer token passed every check.
///
/// Produced only by ``OIDCTokenVerifier`` and ``GatewayTokenVerifier``; policy code takes it as
/// proof of who is calling. It carries no token material.
public struct VerifiedIdentity: Sendable, Hashable {
    /// Where the identity came from.
    public enum Source: Sendable, Hashable {
        /// An OIDC / JWT bearer token from the named identity provider.
        case oidc(provider: String)
        /// A short-lived token the gateway issued itself (`ringgate token issue`).
        case gatewayToken
    }

    /// The caller's name (the configured identity claim, `sub` by default).
    public var name: String
    /// The caller's groups that policy may bind to config groups, in the order the token lists
    /// them: a gateway token's groups, or an OIDC token's groups when its provider sets
    /// `trust_groups: true`; empty otherwise. Pass these, never ``claimedGroups``, to policy.
    public var groups: [String]
    /// The groups the token claimed, trusted or not (for audit and diagnostics only).
    public var claimedGroups: [String]
    /// The identity provider whose groups ``groups`` are (pass it to policy with them), or
    /// `nil` for a gateway token.
    public var groupProvider: String? {
        if case .oidc(let provider) = source { return provider }
        return nil
    }
    /// The verified `iss` claim.
    public var issuer: String
    /// Which verifier accepted the token.
    public var source: Source
    /// When the token stops being valid (`exp`).
    public var expiresAt: Date
    /// The token id (`jti`), when the token has one.
    public var tokenID: String?
    /// The resources a gateway token is scoped to; `nil` for OIDC tokens, which are not resource-scoped.
    public var resources: [String]?

    public init(
        name: String, groups: [String], issuer: String, source: Source, expiresAt: Date,
        tokenID: String? = nil, resources: [String]? = nil, claimedGroups: [String]? = nil
    ) {
        self.name = name
        self.groups = groups
        self.claimedGroups = claimedGroups ?? groups
        self.issuer = issuer
        self.source = source
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.resources = resources
    }
}
