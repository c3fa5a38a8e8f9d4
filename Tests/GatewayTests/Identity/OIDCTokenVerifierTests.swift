import Crypto
import CryptoExtras
import Foundation
import Testing

@testable import Gateway

@Suite("OIDC token verification")
struct OIDCTokenVerifierTests {
    static let issuer = "https://idp.example.test/"
    static let audience = "ringgate"

    let clock = TestClock()
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try directory.write("jwks.json", try TestJWK.standard())
    }

    func settings(algorithms: [String] = ["RS256", "ES256", "EdDSA"], skew: Int = 60, groupsClaim: String = "groups")
        -> OIDCProviderSettings
    {
        OIDCProviderSettings(
            name: "corp", issuer: Self.issuer, audiences: [Self.audience, "other-app"], jwksFile: directory.file("jwks.json"),
            groupsClaim: groupsClaim, clockSkewSeconds: skew, algorithms: algorithms, trustGroups: true)
    }

    func verifier(_ settings: OIDCProviderSettings? = nil) throws -> OIDCTokenVerifier {
        try OIDCTokenVerifier(settings: settings ?? self.settings(), clock: clock.function)
    }

    func claims(_ overrides: [String: Any] = [:], removing: [String] = []) -> [String: Any] {
        var claims: [String: Any] = [
            "iss": Self.issuer, "aud": Self.audience, "sub": "alice", "groups": ["dba", "oncall"],
            "iat": clock.seconds - 10, "nbf": clock.seconds - 10, "exp": clock.seconds + 300, "jti": "t-1",
        ]
        claims.merge(overrides) { _, new in new }
        for name in removing { claims.removeValue(forKey: name) }
        return claims
    }

    func reason(_ token: String, _ verifier: OIDCTokenVerifier? = nil) async throws -> AuthenticationFailure.Reason? {
        let verifier = try verifier ?? self.verifier()
        return await verifier.verify(token).failureReason
    }

    // MARK: valid tokens

    @Test("valid RS256, ES256 and EdDSA tokens verify", arguments: ["RS256", "ES256", "EdDSA"])
    func validTokens(alg: String) async throws {
        defer { directory.remove() }
        let signer: TestSigner = alg == "RS256" ? .rs256() : alg == "ES256" ? .es256() : .edDSA()
        let token = try TestJWT.make(claims(), signer: signer)
        let identity = try await verifier().verify(token).get()
        #expect(identity.name == "alice")
        #expect(identity.groups == ["dba", "oncall"])
        #expect(identity.issuer == Self.issuer)
        #expect(identity.source == .oidc(provider: "corp"))
        #expect(identity.tokenID == "t-1")
        #expect(identity.expiresAt == Date(timeIntervalSince1970: Double(clock.seconds + 300)))
    }

    @Test("an algorithm left out of the configured subset is refused even with a valid signature")
    func algorithmSubset() async throws {
        defer { directory.remove() }
        let only = try verifier(settings(algorithms: ["EdDSA"]))
        #expect(try await reason(TestJWT.make(claims(), signer: .rs256()), only) == .algorithmNotAllowed)
        #expect(await only.verify(try TestJWT.make(claims(), signer: .edDSA())).isSuccess)
        #expect(throws: IdentityConfigurationError.self) { try verifier(settings(algorithms: ["HS256"])) }
    }

    @Test("audience as an array containing a configured audience is accepted")
    func audienceArray() async throws {
        defer { directory.remove() }
        let token = try TestJWT.make(claims(["aud": ["someone-else", "other-app"]]), signer: .es256())
        #expect(try await verifier().verify(token).isSuccess)
    }

    // MARK: time

    @Test("expired tokens are refused; exp is honoured up to the skew, exactly")
    func expiry() async throws {
        defer { directory.remove() }
        let verifier = try verifier(settings(skew: 60))
        let exp = clock.seconds + 100
        let token = try TestJWT.make(claims(["exp": exp]), signer: .edDSA())
        #expect(await verifier.verify(token).isSuccess)
        clock.advance(100 + 59)  // now = exp + 59 < exp + skew
        #expect(await verifier.verify(token).isSuccess)
        clock.advance(1)  // now = exp + 60 = exp + skew: refused
        #expect(await verifier.verify(token).failureReason == .expired)
    }

    @Test("not-yet-valid tokens are refused; nbf is honoured down to the skew, exactly")
    func notBefore() async throws {
        defer { directory.remove() }
        let verifier = try verifier(settings(skew: 30))
        let tooEarly = try TestJWT.make(claims(["nbf": clock.seconds + 31, "iat": clock.seconds]), signer: .edDSA())
        #expect(await verifier.verify(tooEarly).failureReason == .notYetValid)
        let withinSkew = try TestJWT.make(claims(["nbf": clock.seconds + 30, "iat": clock.seconds]), signer: .edDSA())
        #expect(await verifier.verify(withinSkew).isSuccess)
    }

    @Test("iat in the future beyond the skew is refused")
    func issuedInFuture() async throws {
        defer { directory.remove() }
        let verifier = try verifier(settings(skew: 30))
        #expect(try await reason(TestJWT.make(claims(["iat": clock.seconds + 31]), signer: .edDSA()), verifier) == .issuedInFuture)
        #expect(await verifier.verify(try TestJWT.make(claims(["iat": clock.seconds + 30]), signer: .edDSA())).isSuccess)
    }

    @Test("a token without exp is refused")
    func missingExpiry() async throws {
        defer { directory.remove() }
        #expect(try await reason(TestJWT.make(claims(removing: ["exp"]), signer: .edDSA())) == .missingClaim)
        #expect(try await reason(TestJWT.make(claims(["exp": "tomorrow"]), signer: .edDSA())) == .invalidClaim)
    }

    static let outOfRangeDates: [(String, Double)] = [
        ("exp", -1e300), ("exp", 1e300), ("exp", -1), ("exp", 1e15),
        ("nbf", -1e300), ("nbf", 1e300), ("iat", -1e300), ("iat", 1e300),
    ]

    @Test("out-of-range numeric dates are refused as invalid claims, never trap", arguments: 0..<8)
    func outOfRangeDates(index: Int) async throws {
        defer { directory.remove() }
        let (name, value) = Self.outOfRangeDates[index]
        let token = try TestJWT.make(claims([name: value]), signer: .edDSA())
        #expect(try await reason(token) == .invalidClaim)
    }

    @Test("clock skew configuration is bounded")
    func skewBounds() throws {
        defer { directory.remove() }
        #expect(throws: IdentityConfigurationError.self) { try verifier(settings(skew: 3600)) }
        #expect(throws: IdentityConfigurationError.self) { try verifier(settings(skew: -1)) }
    }

    // MARK: issuer and audience

    static func badAudience(_ index: Int) -> Any {
        [("not-ringgate" as Any), ["a", "b"], 42, ["ringgate", 1] as [Any], ["x": "ringgate"]][index]
    }

    @Test("wrong audience is refused", arguments: 0..<5)
    func wrongAudience(index: Int) async throws {
        defer { directory.remove() }
        #expect(try await reason(TestJWT.make(claims(["aud": Self.badAudience(index)]), signer: .es256())) == .wrongAudience)
    }

    @Test("missing audience is refused")
    func missingAudience() async throws {
        defer { directory.remove() }
        #expect(try await reason(TestJWT.make(claims(removing: ["aud"]), signer: .es256())) == .wrongAudience)
    }

    @Test("wrong issuer is refused, including near misses", arguments: [
        "https://idp.example.test", "https://IDP.example.test/", "https://evil.test/", "",
    ])
    func wrongIssuer(iss: String) async throws {
        defer { directory.remove() }
        #expect(try await reason(TestJWT.make(claims(["iss": iss]), signer: .rs256())) == .wrongIssuer)
    }

    // MARK: signatures and keys

    @Test("a tampered payload fails the signature check", arguments: ["RS256", "ES256", "EdDSA"])
    func tamperedPayload(alg: String) async throws {
        defer { directory.remove() }
        let signer: TestSigner = alg == "RS256" ? .rs256() : alg == "ES256" ? .es256() : .edDSA()
        let token = try TestJWT.make(claims(), signer: signer)
        let parts = token.split(separator: ".").map(String.init)
        let forgedPayload = TestJWT.b64url(TestJWT.json(claims(["sub": "root", "groups": ["admin"]])))
        let forged = parts[0] + "." + forgedPayload + "." + parts[2]
        #expect(try await reason(forged) == .badSignature)
    }

    @Test("a token signed by a key outside the set, under a known kid, fails the signature check")
    func foreignKeyKnownKid() async throws {
        defer { directory.remove() }
        let token = try TestJWT.make(claims(), signer: .edDSA(Curve25519.Signing.PrivateKey(), kid: "ed-1"))
        #expect(try await reason(token) == .badSignature)
    }

    @Test("a kid not in the key set is refused")
    func unknownKid() async throws {
        defer { directory.remove() }
        let token = try TestJWT.make(claims(), signer: .edDSA(kid: "nobody"))
        #expect(try await reason(token) == .unknownKey)
    }

    @Test("a header alg that does not match the key's type is refused before verification")
    func algorithmKeyMismatch() async throws {
        defer { directory.remove() }
        // ES256 header naming the RSA key, signed with the EC key.
        let token = try TestJWT.make(claims(), signer: TestSigner.es256().claiming(kid: "rsa-1"))
        #expect(try await reason(token) == .algorithmNotAllowed)
        // RS256 header naming the Ed25519 key.
        let other = try TestJWT.make(claims(), signer: TestSigner.rs256().claiming(kid: "ed-1"))
        #expect(try await reason(other) == .algorithmNotAllowed)
    }

    // MARK: algorithm confusion

    @Test("alg none is refused, with or without a signature, under any kid", arguments: ["rsa-1", "ed-1", nil] as [String?])
    func algNone(kid: String?) async throws {
        defer { directory.remove() }
        #expect(try await reason(TestJWT.unsigned(claims(), kid: kid)) == .algorithmNotAllowed)
        let withSignature = try TestJWT.make(claims(), signer: TestSigner.edDSA(kid: kid).claiming(alg: "none"))
        #expect(try await reason(withSignature) == .algorithmNotAllowed)
        for spelling in ["None", "NONE", "nOnE"] {
            let variant = try TestJWT.make(claims(), signer: TestSigner.edDSA(kid: kid).claiming(alg: spelling))
            #expect(try await reason(variant) == .algorithmNotAllowed)
        }
    }

    @Test("HS256 signed with the RSA public key as the HMAC secret is refused")
    func hs256WithPublicKey() async throws {
        defer { directory.remove() }
        let publicKey = TestKeys.rsa.publicKey
        let secrets: [[UInt8]] = [
            Array(publicKey.pemRepresentation.utf8), Array(publicKey.derRepresentation),
            Array((publicKey.pemRepresentation + "\n").utf8), try JSONSerialization.data(withJSONObject: TestJWK.rsa(publicKey, kid: "rsa-1")).map { $0 },
        ]
        for secret in secrets {
            for alg in ["HS256", "HS384", "HS512"] {
                let token = try TestJWT.make(claims(), signer: TestSigner.hs256(secret: secret, kid: "rsa-1").claiming(alg: alg))
                #expect(try await reason(token) == .algorithmNotAllowed)
            }
        }
    }

    @Test("header-embedded keys (jwk, jku, x5u, x5c) and crit extensions are refused")
    func headerKeys() async throws {
        defer { directory.remove() }
        let attacker = Curve25519.Signing.PrivateKey()
        let embedded = try TestJWT.make(
            claims(), signer: .edDSA(attacker, kid: "ed-1"),
            extraHeader: ["jwk": TestJWK.okp(attacker.publicKey, kid: "ed-1")])
        #expect(try await reason(embedded) == .malformed)
        #expect(try await reason(TestJWT.make(claims(), signer: .edDSA(), extraHeader: ["jku": "https://evil.test/jwks"])) == .malformed)
        #expect(try await reason(TestJWT.make(claims(), signer: .edDSA(), extraHeader: ["crit": ["exp"]])) == .malformed)
    }

    // MARK: size and structure

    @Test("oversized tokens are refused before parsing")
    func oversized() async throws {
        defer { directory.remove() }
        let big = try TestJWT.make(claims(["padding": String(repeating: "x", count: 9000)]), signer: .edDSA())
        #expect(try await reason(big) == .tooLarge)
        // Garbage over the limit is also tooLarge, proving size is checked first.
        #expect(try await reason(String(repeating: "%", count: 8193)) == .tooLarge)
        #expect(try await reason(String(repeating: "%", count: 8192)) == .malformed)
    }

    @Test("malformed tokens are refused as malformed", arguments: [
        "", "abc", "a.b", "a.b.c.d", "...", "!!!.eyJ9.sig", "eyJhbGciOiJFZERTQSJ9.%%%.c2ln",
        "eyJhbGciOiJFZERTQSJ9.e30=.c2ln",
    ])
    func malformed(token: String) async throws {
        defer { directory.remove() }
        #expect(try await reason(token) == .malformed)
    }

    @Test("JSON garbage in header or payload is malformed")
    func jsonGarbage() async throws {
        defer { directory.remove() }
        let goodHeader = TestJWT.b64url(TestJWT.json(["alg": "EdDSA", "kid": "ed-1"]))
        let goodPayload = TestJWT.b64url(TestJWT.json(claims()))
        let garbage = TestJWT.b64url(Array("{\"alg\": EdDSA".utf8))
        let array = TestJWT.b64url(Array("[1,2]".utf8))
        #expect(try await reason(garbage + "." + goodPayload + ".c2ln") == .malformed)
        #expect(try await reason(goodHeader + "." + garbage + ".c2ln") == .malformed)
        #expect(try await reason(goodHeader + "." + array + ".c2ln") == .malformed)
        let noAlg = TestJWT.b64url(TestJWT.json(["kid": "ed-1"]))
        #expect(try await reason(noAlg + "." + goodPayload + ".c2ln") == .malformed)
        let numericKid = TestJWT.b64url(TestJWT.json(["alg": "EdDSA", "kid": 7]))
        #expect(try await reason(numericKid + "." + goodPayload + ".c2ln") == .malformed)
        // Deep nesting inside the size limit is refused cleanly (no stack exhaustion).
        let deep = TestJWT.b64url(Array(("{\"a\":" + String(repeating: "[", count: 2500) + String(repeating: "]", count: 2500) + "}").utf8))
        #expect(try await reason(goodHeader + "." + deep + ".c2ln") == .malformed)
        let deepHeader = TestJWT.b64url(Array(("{\"alg\":\"EdDSA\",\"x\":" + String(repeating: "{\"a\":", count: 800) + "1" + String(repeating: "}", count: 800) + "}").utf8))
        #expect(try await reason(deepHeader + "." + goodPayload + ".c2ln") == .malformed)
    }

    // MARK: claims

    @Test("groups: array of strings, single string, absent, nested path, namespaced name")
    func groupShapes() async throws {
        defer { directory.remove() }
        let verifier = try verifier()
        #expect(try await verifier.verify(TestJWT.make(claims(["groups": "dba"]), signer: .edDSA())).get().groups == ["dba"])
        #expect(try await verifier.verify(TestJWT.make(claims(["groups": [String]()]), signer: .edDSA())).get().groups == [])
        #expect(try await verifier.verify(TestJWT.make(claims(removing: ["groups"]), signer: .edDSA())).get().groups == [])

        let nested = try self.verifier(settings(groupsClaim: "realm_access.roles"))
        let nestedToken = try TestJWT.make(claims(["realm_access": ["roles": ["ops", "read"]]]), signer: .edDSA())
        #expect(try await nested.verify(nestedToken).get().groups == ["ops", "read"])

        let namespaced = try self.verifier(settings(groupsClaim: "https://ringgate.test/groups"))
        let namespacedToken = try TestJWT.make(claims(["https://ringgate.test/groups": ["x.y"]]), signer: .edDSA())
        #expect(try await namespaced.verify(namespacedToken).get().groups == ["x.y"])
    }

    static func badGroups(_ index: Int) -> Any {
        [(42 as Any), ["dba", 1] as [Any], ["nested": "x"], true, [["dba"]]][index]
    }

    @Test("groups of the wrong shape are refused, not silently dropped", arguments: 0..<5)
    func badGroupShapes(index: Int) async throws {
        defer { directory.remove() }
        #expect(try await reason(TestJWT.make(claims(["groups": Self.badGroups(index)]), signer: .edDSA())) == .invalidClaim)
    }

    @Test("the identity comes from the configured claim")
    func identityClaim() async throws {
        defer { directory.remove() }
        var custom = settings()
        custom.identityClaim = "email"
        let verifier = try verifier(custom)
        let token = try TestJWT.make(claims(["email": "alice@example.test"]), signer: .edDSA())
        #expect(try await verifier.verify(token).get().name == "alice@example.test")
        #expect(try await reason(TestJWT.make(claims(), signer: .edDSA()), verifier) == .missingClaim)
        #expect(try await reason(TestJWT.make(claims(["email": ""]), signer: .edDSA()), verifier) == .invalidClaim)
    }

    // MARK: key set

    @Test("unusable JWKS entries are skipped: encryption keys, small RSA, mismatched alg, private keys")
    func keySetFiltering() async throws {
        defer { directory.remove() }
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        var privateOKP = TestJWK.okp(Curve25519.Signing.PrivateKey().publicKey, kid: "private")
        privateOKP["d"] = TestJWT.b64url([UInt8](repeating: 1, count: 32))
        var encryption = TestJWK.ec(P256.Signing.PrivateKey().publicKey, kid: "enc")
        encryption["use"] = "enc"
        let document = TestJWK.set([
            try TestJWK.rsa(small.publicKey, kid: "small"),
            try TestJWK.rsa(TestKeys.rsa.publicKey, kid: "rsa-as-es", alg: "ES256"),
            try TestJWK.rsa(TestKeys.rsa.publicKey, kid: "rsa-ps", alg: "PS256"),
            ["kty": "oct", "kid": "hmac", "k": "c2VjcmV0"],
            privateOKP, encryption,
            TestJWK.okp(TestKeys.ed25519.publicKey, kid: "ed-1"),
        ])
        let set = try await JWKSKeySet.parse(document)
        #expect(Set(set.keys.keys) == ["ed-1"])
        #expect(set.skippedKeyCount == 6)
        await #expect(throws: JWKSError.self) { try await JWKSKeySet.parse(Array("{\"keys\": []}".utf8)) }
        await #expect(throws: JWKSError.self) { try await JWKSKeySet.parse(Array("not json".utf8)) }
    }

    @Test("a token without kid is accepted only when exactly one key fits its algorithm")
    func missingKid() async throws {
        defer { directory.remove() }
        let verifier = try verifier()
        #expect(await verifier.verify(try TestJWT.make(claims(), signer: .edDSA(kid: nil))).isSuccess)
        try directory.write("jwks.json", TestJWK.set([
            TestJWK.okp(TestKeys.ed25519.publicKey, kid: "ed-1"),
            TestJWK.okp(Curve25519.Signing.PrivateKey().publicKey, kid: "ed-2"),
        ]))
        let ambiguous = try self.verifier()
        #expect(await ambiguous.verify(try TestJWT.make(claims(), signer: .edDSA(kid: nil))).failureReason == .unknownKey)
    }

    @Test("a missing JWKS file is reported as keySetUnavailable")
    func missingKeySet() async throws {
        defer { directory.remove() }
        var broken = settings()
        broken.jwksFile = directory.file("absent.json")
        #expect(try await reason(TestJWT.make(claims(), signer: .edDSA()), verifier(broken)) == .keySetUnavailable)
    }
}
