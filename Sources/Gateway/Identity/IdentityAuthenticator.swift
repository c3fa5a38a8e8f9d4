/// Authenticates a bearer token against every configured identity source.
///
/// The token's (unverified) `iss` only selects which verifier runs; that verifier then checks
/// everything, `iss` included. Gateway tokens are selected when `iss` equals the gateway
/// issuer. Build a new authenticator on configuration reload.
public struct IdentityAuthenticator: Sendable {
    /// OIDC verifiers by issuer.
    public let providers: [String: OIDCTokenVerifier]
    /// The gateway-token verifier, when gateway tokens are configured.
    public let gatewayTokens: GatewayTokenVerifier?

    /// Creates an authenticator; two providers with the same issuer, or a provider whose
    /// issuer equals the gateway token issuer, are a configuration error.
    public init(providers: [OIDCTokenVerifier], gatewayTokens: GatewayTokenVerifier?) throws(IdentityConfigurationError) {
        var byIssuer: [String: OIDCTokenVerifier] = [:]
        for provider in providers {
            let issuer = provider.settings.issuer
            guard byIssuer[issuer] == nil else {
                throw IdentityConfigurationError("two identity providers share the issuer \(issuer)")
            }
            guard issuer != gatewayTokens?.issuer else {
                throw IdentityConfigurationError("identity provider \(provider.settings.name) uses the gateway token issuer \(issuer)")
            }
            byIssuer[issuer] = provider
        }
        self.providers = byIssuer
        self.gatewayTokens = gatewayTokens
    }

    /// Verifies `token` for a connection to `resource`. OIDC tokens are not resource-scoped
    /// (policy decides what they reach); gateway tokens must name `resource` in their scope.
    public func authenticate(_ token: String, resource: String) async -> Result<VerifiedIdentity, AuthenticationFailure> {
        let issuer: String
        do {
            let maximum = max(gatewayTokens?.maximumTokenSize ?? 0, providers.values.map(\.maximumTokenSize).max() ?? 0)
            let jwt = try CompactJWT(parsing: token, maximumSize: maximum)
            guard let claimed = jwt.claims["iss"]?.stringValue else {
                return .failure(AuthenticationFailure(.wrongIssuer, "iss missing or not a string"))
            }
            issuer = claimed
        } catch {
            return .failure(error)
        }
        if let gatewayTokens, issuer == gatewayTokens.issuer {
            return gatewayTokens.verify(token, resource: resource)
        }
        if let provider = providers[issuer] {
            return await provider.verify(token)
        }
        return .failure(AuthenticationFailure(.unknownIssuer, "no identity provider for iss \"\(issuer)\""))
    }
}
