import Crypto
import Foundation
import Testing

@testable import Gateway

@Suite("Gateway-issued tokens")
struct GatewayTokenTests {
    let clock = TestClock()
    let key = GatewaySigningKey.generate()

    func issuer(maxTTL: Int = 3600) -> GatewayTokenIssuer {
        GatewayTokenIssuer(signingKey: key, issuer: "ringgate", maxTTLSeconds: maxTTL, clock: clock.function)
    }

    func verifier(maxTTL: Int = 3600, revoked: [String] = [], skew: Int = 30) async throws -> GatewayTokenVerifier {
        try await GatewayTokenVerifier(
            signingKey: key, issuer: "ringgate", maxTTLSeconds: maxTTL, clockSkewSeconds: skew,
            revocations: RevocationList(tokenIDs: revoked), clock: clock.function)
    }

    func issue(ttl: Int = 900, resources: [String] = ["pg-prod"]) async throws -> IssuedGatewayToken {
        try await issuer().issue(identity: "ci-runner-7", groups: ["deploy"], resources: resources, ttlSeconds: ttl)
    }

    @Test("an issued token verifies for a resource in its scope")
    func roundTrip() async throws {
        let issued = try await issue(resources: ["pg-prod", "pg-staging"])
        let identity = try await verifier().verify(issued.token, resource: "pg-staging").get()
        #expect(identity.name == "ci-runner-7")
        #expect(identity.groups == ["deploy"])
        #expect(identity.source == .gatewayToken)
        #expect(identity.tokenID == issued.tokenID)
        #expect(identity.resources == ["pg-prod", "pg-staging"])
        #expect(identity.expiresAt == Date(timeIntervalSince1970: Double(clock.seconds + 900)))
        #expect(issued.expiresAt == identity.expiresAt)
    }

    @Test("token ids are random and distinct")
    func distinctIDs() async throws {
        var ids = Set<String>()
        for _ in 0..<20 { ids.insert(try await issue().tokenID) }
        #expect(ids.count == 20)
        #expect(ids.allSatisfy { $0.count == 32 && RevocationList.isValidTokenID($0) })
        #expect(ids.allSatisfy { $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
    }

    @Test("a token id never starts with '-', even for the bytes whose base64url does")
    func tokenIDsNeverLookLikeOptions() {
        // 0xF8 0x00 ... in base64url is "-AAA...": an id a command line reads as an option.
        let dashBytes: [UInt8] = [0xF8] + Array(repeating: 0, count: 15)
        #expect(Base64URL.encode(dashBytes).hasPrefix("-"))
        let id = GatewayTokenIssuer.tokenID(from: dashBytes)
        #expect(id == "f8" + String(repeating: "0", count: 30))
        #expect(RevocationList.isValidTokenID(id))
        for first in [UInt8(0x00), 0x3E, 0xF8, 0xFB, 0xFC, 0xFF] {
            let id = GatewayTokenIssuer.tokenID(from: [first] + Array(repeating: 0xFF, count: 15))
            #expect(id.first.map { $0.isHexDigit && !$0.isUppercase } == true, "\(id)")
        }
    }

    @Test("a token is refused for a resource outside its scope")
    func scope() async throws {
        let issued = try await issue(resources: ["pg-prod"])
        let verifier = try await verifier()
        #expect(verifier.verify(issued.token, resource: "pg-prod-replica").failureReason == .outOfScope)
        #expect(verifier.verify(issued.token, resource: "").failureReason == .outOfScope)
        #expect(verifier.verify(issued.token, resource: "pg-prod").isSuccess)
    }

    @Test("expired tokens are refused, with the skew honoured exactly")
    func expiry() async throws {
        let issued = try await issue(ttl: 60)
        let verifier = try await verifier(skew: 30)
        clock.advance(60 + 29)
        #expect(verifier.verify(issued.token, resource: "pg-prod").isSuccess)
        clock.advance(1)
        #expect(verifier.verify(issued.token, resource: "pg-prod").failureReason == .expired)
    }

    @Test("a token issued by a clock far ahead is refused as not yet valid")
    func notYetValid() async throws {
        let issued = try await issue()
        let verifier = try await verifier(skew: 30)
        clock.advance(-31)
        #expect(verifier.verify(issued.token, resource: "pg-prod").failureReason == .notYetValid)
    }

    @Test("revoked token ids are refused: from the configured list")
    func revokedList() async throws {
        let issued = try await issue()
        let other = try await issue()
        let verifier = try await verifier(revoked: [issued.tokenID])
        #expect(verifier.verify(issued.token, resource: "pg-prod").failureReason == .revoked)
        #expect(verifier.verify(other.token, resource: "pg-prod").isSuccess)
    }

    @Test("revoked token ids are refused: from the revocation file, re-read when the verifier is rebuilt")
    func revokedFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try key.write(toNewFile: directory.file("signing.pem"))
        try directory.write("revoked.txt", Array("# revoked tokens\n\nsome-old-id\n".utf8))
        let settings = GatewayTokenSettings(
            issuer: "ringgate", signingKeyFile: directory.file("signing.pem"), maxTTLSeconds: 3600,
            revokedTokenIDs: ["listed-id"], revocationFile: directory.file("revoked.txt"))
        let issued = try await issue()

        let before = try await GatewayTokenVerifier(settings: settings, clock: clock.function)
        #expect(before.revocations.tokenIDs == ["some-old-id", "listed-id"])
        #expect(before.verify(issued.token, resource: "pg-prod").isSuccess)

        try RevocationList.append(issued.tokenID, toFile: directory.file("revoked.txt"))
        let reloaded = try await GatewayTokenVerifier(settings: settings, clock: clock.function)
        #expect(reloaded.verify(issued.token, resource: "pg-prod").failureReason == .revoked)

        #expect(throws: IdentityConfigurationError.self) { try RevocationList.append("bad\nid", toFile: directory.file("revoked.txt")) }
        var missing = settings
        missing.revocationFile = directory.file("absent.txt")
        await #expect(throws: IdentityConfigurationError.self) { try await GatewayTokenVerifier(settings: missing) }
    }

    @Test("a TTL above the maximum is refused at issue time")
    func ttlCapAtIssue() async throws {
        await #expect(throws: GatewayTokenIssueError.ttlTooLong(requested: 3601, maximum: 3600)) {
            try await issuer(maxTTL: 3600).issue(identity: "ci", groups: [], resources: ["pg-prod"], ttlSeconds: 3601)
        }
        await #expect(throws: GatewayTokenIssueError.self) {
            try await issuer().issue(identity: "ci", groups: [], resources: [], ttlSeconds: 60)
        }
        await #expect(throws: GatewayTokenIssueError.self) {
            try await issuer().issue(identity: "", groups: [], resources: ["pg-prod"], ttlSeconds: 60)
        }
        await #expect(throws: GatewayTokenIssueError.self) {
            try await issuer().issue(identity: "ci", groups: [], resources: ["pg-prod"], ttlSeconds: 0)
        }
    }

    @Test("a TTL above the maximum is refused at verification (limit lowered after issue)")
    func ttlCapAtVerify() async throws {
        let issued = try await issuer(maxTTL: 7200).issue(identity: "ci", groups: [], resources: ["pg-prod"], ttlSeconds: 7200)
        #expect(try await verifier(maxTTL: 3600).verify(issued.token, resource: "pg-prod").failureReason == .ttlTooLong)
        #expect(try await verifier(maxTTL: 7200).verify(issued.token, resource: "pg-prod").isSuccess)
    }

    @Test("a validly signed token with a forged long lifetime or without iat is refused")
    func forgedLifetime() async throws {
        let signer = TestSigner.edDSA(key.privateKey, kid: key.keyID)
        let base: [String: Any] = [
            "iss": "ringgate", "sub": "ci", "groups": [String](), "resources": ["pg-prod"], "jti": "abc",
            "iat": clock.seconds, "nbf": clock.seconds,
        ]
        var forever = base
        forever["exp"] = clock.seconds + 10 * 365 * 86_400
        let verifier = try await verifier()
        #expect(verifier.verify(try TestJWT.make(forever, signer: signer), resource: "pg-prod").failureReason == .ttlTooLong)
        var noIAT = base
        noIAT["exp"] = clock.seconds + 60
        noIAT.removeValue(forKey: "iat")
        #expect(verifier.verify(try TestJWT.make(noIAT, signer: signer), resource: "pg-prod").failureReason == .missingClaim)
        var noJTI = base
        noJTI["exp"] = clock.seconds + 60
        noJTI.removeValue(forKey: "jti")
        #expect(verifier.verify(try TestJWT.make(noJTI, signer: signer), resource: "pg-prod").failureReason == .missingClaim)
        var fine = base
        fine["exp"] = clock.seconds + 60
        #expect(verifier.verify(try TestJWT.make(fine, signer: signer), resource: "pg-prod").isSuccess)
    }

    @Test("a validly signed token with out-of-range numeric dates is refused, never traps",
          arguments: [("exp", -1e300), ("exp", 1e300), ("nbf", -1e300), ("nbf", 1e300), ("iat", -1e300), ("iat", 1e300)])
    func outOfRangeDates(name: String, value: Double) async throws {
        let signer = TestSigner.edDSA(key.privateKey, kid: key.keyID)
        var claims: [String: Any] = [
            "iss": "ringgate", "sub": "ci", "groups": [String](), "resources": ["pg-prod"], "jti": "abc",
            "iat": clock.seconds, "nbf": clock.seconds, "exp": clock.seconds + 60,
        ]
        claims[name] = value
        let verifier = try await verifier()
        #expect(verifier.verify(try TestJWT.make(claims, signer: signer), resource: "pg-prod").failureReason == .invalidClaim)
    }

    @Test("tokens from another key, another issuer, or other algorithms are refused")
    func foreignTokens() async throws {
        let verifier = try await verifier()
        let stranger = GatewayTokenIssuer(signingKey: .generate(), issuer: "ringgate", maxTTLSeconds: 3600, clock: clock.function)
        let foreign = try await stranger.issue(identity: "ci", groups: [], resources: ["pg-prod"], ttlSeconds: 60)
        #expect(verifier.verify(foreign.token, resource: "pg-prod").failureReason == .unknownKey)

        let otherIssuer = GatewayTokenIssuer(signingKey: key, issuer: "someone-else", maxTTLSeconds: 3600, clock: clock.function)
        let wrongIss = try await otherIssuer.issue(identity: "ci", groups: [], resources: ["pg-prod"], ttlSeconds: 60)
        #expect(verifier.verify(wrongIss.token, resource: "pg-prod").failureReason == .wrongIssuer)

        let claims: [String: Any] = [
            "iss": "ringgate", "sub": "ci", "resources": ["pg-prod"], "jti": "x", "iat": clock.seconds, "exp": clock.seconds + 60,
        ]
        let rawPublic = Array(key.privateKey.publicKey.rawRepresentation)
        let hmac = try TestJWT.make(claims, signer: .hs256(secret: rawPublic, kid: key.keyID))
        #expect(verifier.verify(hmac, resource: "pg-prod").failureReason == .algorithmNotAllowed)
        #expect(verifier.verify(TestJWT.unsigned(claims, kid: key.keyID), resource: "pg-prod").failureReason == .algorithmNotAllowed)

        // Tampering with the scope breaks the signature.
        let issued = try await issue(resources: ["pg-staging"])
        let parts = issued.token.split(separator: ".").map(String.init)
        let payload = try #require(Base64URL.decode(Array(parts[1].utf8)))
        let widened = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "pg-staging", with: "pg-prod")
        let forged = parts[0] + "." + TestJWT.b64url(Array(widened.utf8)) + "." + parts[2]
        #expect(verifier.verify(forged, resource: "pg-prod").failureReason == .badSignature)
        #expect(verifier.verify(String(repeating: "A", count: 9000), resource: "pg-prod").failureReason == .tooLarge)
    }

    @Test("signing keys: PEM round trip, base64 seed, mode 0600 on write, loose permissions refused")
    func signingKeyFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("key.pem")
        try key.write(toNewFile: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try GatewaySigningKey.load(path: path).keyID == key.keyID)
        #expect(throws: IdentityConfigurationError.self) { try key.write(toNewFile: path) }

        let seed = key.privateKey.rawRepresentation.base64EncodedString()
        #expect(try GatewaySigningKey(parsing: seed + "\n").keyID == key.keyID)
        #expect(throws: IdentityConfigurationError.self) { try GatewaySigningKey(parsing: "not a key") }

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: IdentityConfigurationError.self) { try GatewaySigningKey.load(path: path) }
    }
}
