import Crypto
import Foundation
import Testing

@testable import Gateway

/// Key rotation against a real HTTP server on loopback.
@Suite("JWKS fetching and rotation")
struct JWKSRotationTests {
    static let issuer = "https://idp.example.test/"

    let clock = TestClock()

    func claims() -> [String: Any] {
        ["iss": Self.issuer, "aud": "ringgate", "sub": "svc", "exp": clock.seconds + 600, "iat": clock.seconds]
    }

    func settings(url: String) -> OIDCProviderSettings {
        OIDCProviderSettings(name: "rotating", issuer: Self.issuer, audiences: ["ringgate"], jwksURL: url, jwksRefreshSeconds: 3600)
    }

    @Test("an unknown kid triggers one refetch that finds the rotated key; a second unknown kid within the window does not refetch")
    func rotation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let oldKey = Curve25519.Signing.PrivateKey()
        let newKey = Curve25519.Signing.PrivateKey()
        try directory.write("jwks.json", TestJWK.set([TestJWK.okp(oldKey.publicKey, kid: "2026-old")]))
        let server = try LoopbackHTTPServer(serving: directory)
        defer { server.stop() }

        let fetcher = CountingFetcher(try HTTPJWKSFetcher(url: server.url("jwks.json"), allowInsecureLoopback: true))
        let verifier = try OIDCTokenVerifier(settings: settings(url: server.url("jwks.json")), fetcher: fetcher, clock: clock.function)

        // First use loads the set.
        #expect(await verifier.verify(try TestJWT.make(claims(), signer: .edDSA(oldKey, kid: "2026-old"))).isSuccess)
        #expect(fetcher.count == 1)

        // The provider rotates: the new key is published, tokens start naming it.
        try directory.write("jwks.json", TestJWK.set([
            TestJWK.okp(oldKey.publicKey, kid: "2026-old"), TestJWK.okp(newKey.publicKey, kid: "2026-new"),
        ]))
        let rotated = try TestJWT.make(claims(), signer: .edDSA(newKey, kid: "2026-new"))
        #expect(try await verifier.verify(rotated).get().name == "svc")
        #expect(fetcher.count == 2)

        // A second unknown kid inside the 30 s window: refused without fetching.
        clock.advance(10)
        let stranger = try TestJWT.make(claims(), signer: .edDSA(Curve25519.Signing.PrivateKey(), kid: "attacker-spray"))
        #expect(await verifier.verify(stranger).failureReason == .unknownKey)
        #expect(fetcher.count == 2)
        // Known keys keep working without fetches.
        #expect(await verifier.verify(rotated).isSuccess)
        #expect(fetcher.count == 2)

        // After the window another unknown kid may refetch once.
        clock.advance(25)
        #expect(await verifier.verify(stranger).failureReason == .unknownKey)
        #expect(fetcher.count == 3)
    }

    @Test("concurrent unknown-kid lookups share one refetch")
    func coalescing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = Curve25519.Signing.PrivateKey()
        try directory.write("jwks.json", TestJWK.set([TestJWK.okp(key.publicKey, kid: "k1")]))
        let server = try LoopbackHTTPServer(serving: directory)
        defer { server.stop() }
        let fetcher = CountingFetcher(try HTTPJWKSFetcher(url: server.url("jwks.json"), allowInsecureLoopback: true))
        let verifier = try OIDCTokenVerifier(settings: settings(url: server.url("jwks.json")), fetcher: fetcher, clock: clock.function)
        #expect(await verifier.verify(try TestJWT.make(claims(), signer: .edDSA(key, kid: "k1"))).isSuccess)

        let newKey = Curve25519.Signing.PrivateKey()
        try directory.write("jwks.json", TestJWK.set([TestJWK.okp(newKey.publicKey, kid: "k2")]))
        let token = try TestJWT.make(claims(), signer: .edDSA(newKey, kid: "k2"))
        let successes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 { group.addTask { await verifier.verify(token).isSuccess } }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(successes == 16)
        #expect(fetcher.count == 2)
    }

    @Test("the key set is refreshed after the refresh interval; a failed refresh keeps the old keys")
    func periodicRefresh() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = Curve25519.Signing.PrivateKey()
        try directory.write("jwks.json", TestJWK.set([TestJWK.okp(key.publicKey, kid: "k1")]))
        let fetcher = CountingFetcher(FileJWKSFetcher(path: directory.file("jwks.json")))
        var provider = settings(url: "unused")
        provider.jwksRefreshSeconds = 60
        let verifier = try OIDCTokenVerifier(settings: provider, fetcher: fetcher, clock: clock.function)
        let token = try TestJWT.make(claims(), signer: .edDSA(key, kid: "k1"))
        #expect(await verifier.verify(token).isSuccess)
        clock.advance(30)
        #expect(await verifier.verify(token).isSuccess)
        #expect(fetcher.count == 1)
        clock.advance(31)
        try FileManager.default.removeItem(atPath: directory.file("jwks.json"))
        #expect(await verifier.verify(token).isSuccess)
        #expect(fetcher.count == 2)
        // The failed refresh is not retried on every token.
        clock.advance(1)
        #expect(await verifier.verify(token).isSuccess)
        #expect(fetcher.count == 2)
        clock.advance(JWKSCache.failureBackoff)
        #expect(await verifier.verify(token).isSuccess)
        #expect(fetcher.count == 3)
    }

    @Test("an unknown kid on the very first lookup costs one fetch, not two")
    func unknownKidOnFirstLoad() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jwks.json", TestJWK.set([TestJWK.okp(TestKeys.ed25519.publicKey, kid: "ed-1")]))
        let fetcher = CountingFetcher(FileJWKSFetcher(path: directory.file("jwks.json")))
        let verifier = try OIDCTokenVerifier(settings: settings(url: "unused"), fetcher: fetcher, clock: clock.function)
        let token = try TestJWT.make(claims(), signer: .edDSA(kid: "not-there"))
        #expect(await verifier.verify(token).failureReason == .unknownKey)
        #expect(fetcher.count == 1)
    }

    @Test("redirects are not followed")
    func redirectsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jwks.json", TestJWK.set([TestJWK.okp(TestKeys.ed25519.publicKey, kid: "ed-1")]))
        let server = try LoopbackHTTPServer(serving: directory)
        defer { server.stop() }
        let direct = try HTTPJWKSFetcher(url: server.url("jwks.json"), allowInsecureLoopback: true)
        #expect(try await JWKSKeySet.parse(direct.fetchJWKS()).keys.count == 1)
        // /redirect/jwks.json answers 302 with an absolute Location to the same document.
        let redirected = try HTTPJWKSFetcher(url: server.url("redirect/jwks.json"), allowInsecureLoopback: true)
        await #expect(throws: JWKSError.self) { try await redirected.fetchJWKS() }
    }

    @Test("JWKS URLs must be https; plain http only to loopback with the explicit flag")
    func urlPolicy() throws {
        #expect(throws: Never.self) { try HTTPJWKSFetcher(url: "https://idp.example.test/jwks") }
        #expect(throws: JWKSError.self) { try HTTPJWKSFetcher(url: "http://127.0.0.1:8080/jwks") }
        #expect(throws: Never.self) { try HTTPJWKSFetcher(url: "http://127.0.0.1:8080/jwks", allowInsecureLoopback: true) }
        #expect(throws: Never.self) { try HTTPJWKSFetcher(url: "http://[::1]:8080/jwks", allowInsecureLoopback: true) }
        #expect(throws: Never.self) { try HTTPJWKSFetcher(url: "http://localhost:8080/jwks", allowInsecureLoopback: true) }
        #expect(throws: JWKSError.self) { try HTTPJWKSFetcher(url: "http://idp.example.test/jwks", allowInsecureLoopback: true) }
        #expect(throws: JWKSError.self) { try HTTPJWKSFetcher(url: "http://127.0.0.1.evil.test/jwks", allowInsecureLoopback: true) }
        #expect(throws: JWKSError.self) { try HTTPJWKSFetcher(url: "file:///etc/passwd", allowInsecureLoopback: true) }
        #expect(throws: JWKSError.self) { try HTTPJWKSFetcher(url: "not a url") }
        #expect(throws: IdentityConfigurationError.self) {
            try OIDCTokenVerifier(settings: settings(url: "http://idp.example.test/jwks"))
        }
    }

    @Test("an HTTP error status from the JWKS endpoint is keySetUnavailable")
    func httpError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try LoopbackHTTPServer(serving: directory)
        defer { server.stop() }
        let verifier = try OIDCTokenVerifier(
            settings: settings(url: server.url("missing.json")), allowInsecureLoopback: true, clock: clock.function)
        let token = try TestJWT.make(claims(), signer: .edDSA())
        #expect(await verifier.verify(token).failureReason == .keySetUnavailable)
    }
}

@Suite("JWKS over HTTPS")
struct JWKSHTTPSTests {
    @Test("an HTTPS JWKS endpoint whose certificate is not trusted is refused (TLS verification is on)")
    func untrustedCertificate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jwks.json", TestJWK.set([TestJWK.okp(TestKeys.ed25519.publicKey, kid: "ed-1")]))
        let server = try LoopbackTLSServer(serving: directory)
        defer { server.stop() }

        // Control: a client that trusts the test certificate gets the document.
        let control = try runCommand([
            "python3", "-c",
            "import ssl, sys, urllib.request; ctx = ssl.create_default_context(cafile=sys.argv[2]); "
                + "print(urllib.request.urlopen(sys.argv[1], context=ctx).read().decode())",
            server.url("jwks.json"), server.certificatePath,
        ])
        #expect(control.status == 0)
        #expect(control.output.contains("\"ed-1\""))

        // RingGate's fetcher uses the system trust store: the self-signed server is refused.
        let fetcher = try HTTPJWKSFetcher(url: server.url("jwks.json"), timeoutSeconds: 5)
        await #expect(throws: JWKSError.self) { try await fetcher.fetchJWKS() }
        let clock = TestClock()
        let verifier = try OIDCTokenVerifier(
            settings: OIDCProviderSettings(
                name: "tls", issuer: "https://idp.example.test/", audiences: ["ringgate"], jwksURL: server.url("jwks.json")),
            clock: clock.function)
        let token = try TestJWT.make(
            ["iss": "https://idp.example.test/", "aud": "ringgate", "sub": "x", "exp": clock.seconds + 60], signer: .edDSA())
        #expect(await verifier.verify(token).failureReason == .keySetUnavailable)
    }
}
