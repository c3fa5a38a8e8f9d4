import Foundation
import Synchronization
import Testing

@testable import Gateway

/// `jwks_max_age`: a key set whose refreshes keep failing stops being used once it is older
/// than the maximum age (driven by a test clock; no sleeps).
@Suite("JWKS maximum age")
struct JWKSMaxAgeTests {
    static let issuer = "https://idp.example.test/"
    let clock = TestClock()

    func token() throws -> String {
        try TestJWT.make(
            ["iss": Self.issuer, "aud": "ringgate", "sub": "svc", "exp": clock.seconds + 600, "iat": clock.seconds],
            signer: .edDSA())
    }

    @Test("keys are refused once older than jwks_max_age while refreshes fail; the expiry is reported once; a good fetch restores them")
    func expiry() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jwks.json", try TestJWK.standard())
        let expiries = Mutex<[String]>([])
        let cache = JWKSCache(
            fetcher: FileJWKSFetcher(path: directory.file("jwks.json")), refreshInterval: 60, maximumAge: 300,
            clock: clock.function, onExpiry: { message in expiries.withLock { $0.append(message) } })

        guard case .found = await cache.key(id: "ed-1", algorithm: .edDSA) else { Issue.record("first fetch"); return }
        // The endpoint breaks: stale keys stay in service up to the maximum age.
        try FileManager.default.removeItem(atPath: directory.file("jwks.json"))
        clock.advance(120)
        guard case .found = await cache.key(id: "ed-1", algorithm: .edDSA) else { Issue.record("within max age"); return }
        clock.advance(179)
        guard case .found = await cache.key(id: "ed-1", algorithm: .edDSA) else { Issue.record("just under max age"); return }
        #expect(expiries.withLock { $0 }.isEmpty)
        // Past the maximum age: refused, reported once however many lookups follow.
        clock.advance(2)
        guard case .unavailable(let error) = await cache.key(id: "ed-1", algorithm: .edDSA) else {
            Issue.record("expired keys were used")
            return
        }
        #expect(error.message.contains("expired"))
        clock.advance(10)
        guard case .unavailable = await cache.key(id: "ed-1", algorithm: .edDSA) else { Issue.record("expired keys were used"); return }
        #expect(expiries.withLock { $0 }.count == 1)
        // The endpoint recovers: keys are back, and a later expiry is reported again.
        try directory.write("jwks.json", try TestJWK.standard())
        clock.advance(10)
        guard case .found = await cache.key(id: "ed-1", algorithm: .edDSA) else { Issue.record("recovery"); return }
        try FileManager.default.removeItem(atPath: directory.file("jwks.json"))
        clock.advance(400)
        guard case .unavailable = await cache.key(id: "ed-1", algorithm: .edDSA) else { Issue.record("second expiry"); return }
        #expect(expiries.withLock { $0 }.count == 2)
    }

    @Test("the verifier refuses a provider's tokens once its keys expired (keySetUnavailable)")
    func verifierRefuses() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jwks.json", try TestJWK.standard())
        let settings = OIDCProviderSettings(
            name: "idp", issuer: Self.issuer, audiences: ["ringgate"], jwksFile: directory.file("jwks.json"),
            jwksRefreshSeconds: 60, jwksMaxAgeSeconds: 600)
        let verifier = try OIDCTokenVerifier(settings: settings, clock: clock.function)
        #expect(await verifier.verify(try token()).isSuccess)
        try FileManager.default.removeItem(atPath: directory.file("jwks.json"))
        clock.advance(599)
        #expect(await verifier.verify(try token()).isSuccess)
        clock.advance(2)
        #expect(await verifier.verify(try token()).failureReason == .keySetUnavailable)
    }

    @Test("jwks_max_age parses as a duration (default 24h) and may not be below jwks_refresh")
    func configuration() async throws {
        func provider(_ extra: String) throws -> OIDCProviderSettings {
            let yaml = validConfigYAML.replacingOccurrences(of: "    clock_skew: 2m\n", with: "    clock_skew: 2m\n" + extra)
            return try #require(try ConfigLoader.parse(yaml: yaml, file: "test.yaml").identityProviders.first)
        }
        #expect(try provider("").jwksMaxAgeSeconds == 86_400)
        #expect(try provider("    jwks_refresh: 10m\n    jwks_max_age: 6h\n").jwksMaxAgeSeconds == 21_600)
        #expect(throws: ConfigValidationError.self) { try provider("    jwks_refresh: 1h\n    jwks_max_age: 10m\n") }
        #expect(await JWKSCache(fetcher: FileJWKSFetcher(path: "unused"), refreshInterval: 600, maximumAge: 60).maximumAge == 600)
    }
}
