import Foundation
import Testing

@testable import Gateway

/// Which token groups bind to config groups, and the provider-level claim requirements
/// (`trust_groups`, `require_groups`, `require_email_verified`).
@Suite("Identity group binding and claim requirements")
struct IdentityGroupBindingTests {
    static let issuerA = "https://a.example.test/"
    static let issuerB = "https://b.example.test/"

    let clock = TestClock()
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try directory.write("jwks.json", try TestJWK.standard())
    }

    func provider(_ name: String, _ issuer: String, configure: (inout OIDCProviderSettings) -> Void = { _ in }) throws
        -> OIDCTokenVerifier
    {
        var settings = OIDCProviderSettings(
            name: name, issuer: issuer, audiences: ["ringgate"], jwksFile: directory.file("jwks.json"))
        configure(&settings)
        return try OIDCTokenVerifier(settings: settings, clock: clock.function)
    }

    func token(_ issuer: String, _ overrides: [String: Any] = [:], removing: [String] = []) throws -> String {
        var claims: [String: Any] = [
            "iss": issuer, "aud": "ringgate", "sub": "mallory", "groups": ["dba"], "exp": clock.seconds + 300,
        ]
        claims.merge(overrides) { _, new in new }
        for name in removing { claims.removeValue(forKey: name) }
        return try TestJWT.make(claims, signer: .edDSA())
    }

    static let policyYAML = """
        resources:
          - name: pg-prod
            protocol: postgres
            listen: 127.0.0.1:7001
            upstream: 127.0.0.1:5432
            default: deny
        groups:
          - name: dba
            members: [alice]
        policies:
          - id: dba-all
            resources: [pg-prod]
            groups: [dba]
            allow: [read, write]
        """

    /// The decision `identity` gets for a read on pg-prod, resolved the way a session resolves it.
    func decide(_ identity: VerifiedIdentity) throws -> Decision {
        let snapshot = PolicySnapshot(compiling: try ConfigLoader.parse(yaml: Self.policyYAML, file: "p.yaml"))
        let store = PolicyStore(snapshot)
        var session = PolicySession(store: store, identity: identity.name, groups: identity.groups, resource: "pg-prod")
        return session.evaluate(classes: .read, statementLength: 10)
    }

    @Test("by default a provider's groups claim does not make its holder a member of a config group")
    func untrustedGroupsDoNotBind() async throws {
        defer { directory.remove() }
        let b = try provider("b", Self.issuerB)
        let authenticator = try IdentityAuthenticator(providers: [try provider("a", Self.issuerA), b], gatewayTokens: nil)
        let identity = try await authenticator.authenticate(try token(Self.issuerB), resource: "pg-prod").get()
        #expect(identity.groups.isEmpty)
        #expect(try decide(identity).action == .deny)
    }

    @Test("a provider with trust_groups: true binds its groups; the other provider's still do not")
    func trustedGroupsBind() async throws {
        defer { directory.remove() }
        let a = try provider("a", Self.issuerA) { $0.trustGroups = true }
        let b = try provider("b", Self.issuerB)
        let authenticator = try IdentityAuthenticator(providers: [a, b], gatewayTokens: nil)
        let fromA = try await authenticator.authenticate(try token(Self.issuerA), resource: "pg-prod").get()
        #expect(fromA.groups == ["dba"])
        #expect(try decide(fromA).action == .allow)
        let fromB = try await authenticator.authenticate(try token(Self.issuerB), resource: "pg-prod").get()
        #expect(fromB.groups.isEmpty)
        #expect(fromB.claimedGroups == ["dba"])
        #expect(try decide(fromB).action == .deny)
    }

    @Test("an untrusted provider's groups claim is still checked for shape")
    func untrustedGroupsStillValidated() async throws {
        defer { directory.remove() }
        let b = try provider("b", Self.issuerB)
        #expect(await b.verify(try token(Self.issuerB, ["groups": 42])).failureReason == .invalidClaim)
    }

    @Test("gateway-token groups are trusted: the gateway signed them")
    func gatewayTokenGroupsBind() async throws {
        defer { directory.remove() }
        let key = GatewaySigningKey.generate()
        let verifier = try await GatewayTokenVerifier(
            signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600, clockSkewSeconds: 30,
            revocations: RevocationList(tokenIDs: []), clock: clock.function)
        let issued = try await GatewayTokenIssuer(signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600, clock: clock.function)
            .issue(identity: "ci", groups: ["dba"], resources: ["pg-prod"], ttlSeconds: 60)
        let identity = try verifier.verify(issued.token, resource: "pg-prod").get()
        #expect(identity.groups == ["dba"])
        #expect(try decide(identity).action == .allow)
    }

    @Test("require_groups refuses a token without the groups claim; an empty list is present")
    func requireGroups() async throws {
        defer { directory.remove() }
        let strict = try provider("a", Self.issuerA) { $0.requireGroups = true }
        #expect(await strict.verify(try token(Self.issuerA, removing: ["groups"])).failureReason == .missingClaim)
        #expect(await strict.verify(try token(Self.issuerA, ["groups": NSNull()])).failureReason == .missingClaim)
        #expect(await strict.verify(try token(Self.issuerA, ["groups": [String]()])).isSuccess)
        #expect(await strict.verify(try token(Self.issuerA)).isSuccess)
        let nested = try provider("n", Self.issuerA) {
            $0.requireGroups = true
            $0.groupsClaim = "realm_access.roles"
        }
        #expect(await nested.verify(try token(Self.issuerA)).failureReason == .missingClaim)
        #expect(await nested.verify(try token(Self.issuerA, ["realm_access": ["roles": ["ops"]]])).isSuccess)
        // Off (the default): a missing claim means no groups.
        let lax = try provider("a", Self.issuerA)
        #expect(await lax.verify(try token(Self.issuerA, removing: ["groups"])).isSuccess)
    }

    @Test("require_email_verified accepts only email_verified: true (the JSON boolean)")
    func requireEmailVerified() async throws {
        defer { directory.remove() }
        let strict = try provider("a", Self.issuerA) { $0.requireEmailVerified = true }
        #expect(await strict.verify(try token(Self.issuerA, ["email_verified": true])).isSuccess)
        #expect(await strict.verify(try token(Self.issuerA)).failureReason == .missingClaim)
        #expect(await strict.verify(try token(Self.issuerA, ["email_verified": false])).failureReason == .invalidClaim)
        #expect(await strict.verify(try token(Self.issuerA, ["email_verified": "true"])).failureReason == .invalidClaim)
        #expect(await strict.verify(try token(Self.issuerA, ["email_verified": 1])).failureReason == .invalidClaim)
        let lax = try provider("a", Self.issuerA)
        #expect(await lax.verify(try token(Self.issuerA, ["email_verified": false])).isSuccess)
    }
}
