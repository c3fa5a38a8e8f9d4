import Foundation
import Testing

@testable import Gateway

@Suite("Identity authenticator routing")
struct IdentityAuthenticatorTests {
    @Test("tokens are routed by issuer to the OIDC provider or the gateway-token verifier")
    func routing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jwks.json", try TestJWK.standard())
        let clock = TestClock()
        let provider = try OIDCTokenVerifier(
            settings: OIDCProviderSettings(
                name: "corp", issuer: "https://idp.example.test/", audiences: ["ringgate"], jwksFile: directory.file("jwks.json")),
            clock: clock.function)
        let key = GatewaySigningKey.generate()
        let gateway = try await GatewayTokenVerifier(
            signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600, clockSkewSeconds: 30, revocations: RevocationList(tokenIDs: []),
            clock: clock.function)
        let authenticator = try IdentityAuthenticator(providers: [provider], gatewayTokens: gateway)

        let oidc = try TestJWT.make(
            ["iss": "https://idp.example.test/", "aud": "ringgate", "sub": "alice", "exp": clock.seconds + 60], signer: .es256())
        #expect(try await authenticator.authenticate(oidc, resource: "pg-prod").get().source == .oidc(provider: "corp"))

        let issued = try await GatewayTokenIssuer(signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600, clock: clock.function)
            .issue(identity: "ci", groups: [], resources: ["pg-prod"], ttlSeconds: 60)
        #expect(try await authenticator.authenticate(issued.token, resource: "pg-prod").get().source == .gatewayToken)
        #expect(await authenticator.authenticate(issued.token, resource: "mysql").failureReason == .outOfScope)

        let stranger = try TestJWT.make(["iss": "https://other.test/", "sub": "x", "exp": clock.seconds + 60], signer: .es256())
        #expect(await authenticator.authenticate(stranger, resource: "pg-prod").failureReason == .unknownIssuer)
        #expect(await authenticator.authenticate("garbage", resource: "pg-prod").failureReason == .malformed)

        #expect(throws: IdentityConfigurationError.self) {
            try IdentityAuthenticator(providers: [provider, provider], gatewayTokens: nil)
        }
    }
}
