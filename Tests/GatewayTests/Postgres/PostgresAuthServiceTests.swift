import Foundation
import Synchronization
import Testing

@testable import Gateway

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A settable instant for the limiter (no sleeping, no wall clock).
final class ManualInstant: Sendable {
    private let current = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { current.withLock { $0 } }
    func advance(_ duration: Duration) { current.withLock { $0 = $0 + duration } }
    var function: @Sendable () -> ContinuousClock.Instant { { [self] in self.now } }
}

@Suite struct AuthFailureLimiterTests {
    let t0 = ContinuousClock.now

    @Test func blocksAfterNFailuresWithinTheWindowForTheWindow() {
        let limiter = AuthFailureLimiter(maximumFailures: 3, window: .seconds(60))
        #expect(!limiter.recordFailure("10.0.0.1", now: t0))
        #expect(!limiter.recordFailure("10.0.0.1", now: t0 + .seconds(10)))
        #expect(!limiter.isBlocked("10.0.0.1", now: t0 + .seconds(10)))
        #expect(limiter.recordFailure("10.0.0.1", now: t0 + .seconds(20)))
        #expect(limiter.isBlocked("10.0.0.1", now: t0 + .seconds(20)))
        #expect(limiter.isBlocked("10.0.0.1", now: t0 + .seconds(79)))
        #expect(!limiter.isBlocked("10.0.0.2", now: t0 + .seconds(20)), "other addresses are not affected")
        // The block lasts one window from the failure that caused it, then the address starts afresh.
        #expect(!limiter.isBlocked("10.0.0.1", now: t0 + .seconds(80)))
        #expect(!limiter.recordFailure("10.0.0.1", now: t0 + .seconds(81)))
    }

    @Test func failuresSpreadWiderThanTheWindowDoNotBlock() {
        let limiter = AuthFailureLimiter(maximumFailures: 2, window: .seconds(60))
        #expect(!limiter.recordFailure("a", now: t0))
        #expect(!limiter.recordFailure("a", now: t0 + .seconds(60)))
        #expect(!limiter.isBlocked("a", now: t0 + .seconds(61)))
        #expect(limiter.recordFailure("a", now: t0 + .seconds(61)))
    }

    @Test func successClearsTheCount() {
        let limiter = AuthFailureLimiter(maximumFailures: 2, window: .seconds(60))
        limiter.recordFailure("a", now: t0)
        limiter.recordSuccess("a")
        #expect(!limiter.recordFailure("a", now: t0 + .seconds(1)))
        #expect(limiter.trackedAddresses == 1)
    }

    @Test func defaultsAreFiveInSixtySeconds() {
        let limiter = AuthFailureLimiter()
        #expect(limiter.maximumFailures == 5 && limiter.window == .seconds(60))
        for i in 0..<4 { #expect(!limiter.recordFailure("x", now: t0 + .seconds(i))) }
        #expect(limiter.recordFailure("x", now: t0 + .seconds(4)))
    }

    @Test func hostOfAnAddress() {
        #expect(AuthFailureLimiter.host(of: "192.0.2.1:5000") == "192.0.2.1")
        #expect(AuthFailureLimiter.host(of: "192.0.2.1") == "192.0.2.1")
        #expect(AuthFailureLimiter.host(of: "[2001:db8::1]:5000") == "2001:db8::1")
        #expect(AuthFailureLimiter.host(of: "2001:db8::1") == "2001:db8::1")
        #expect(AuthFailureLimiter.host(of: "/run/ringgate.sock") == "/run/ringgate.sock")
    }

    @Test func trackedAddressesAreBounded() {
        let limiter = AuthFailureLimiter(maximumFailures: 5, window: .seconds(60), maximumTrackedAddresses: 3)
        for i in 0..<3 { limiter.recordFailure("old-\(i)", now: t0) }
        // Expired entries go first.
        limiter.recordFailure("new-0", now: t0 + .seconds(120))
        #expect(limiter.trackedAddresses == 1)
        for i in 1..<3 { limiter.recordFailure("new-\(i)", now: t0 + .seconds(120 + i)) }
        // None expired: the oldest goes.
        limiter.recordFailure("new-3", now: t0 + .seconds(130))
        #expect(limiter.trackedAddresses == 3)
    }
}

@Suite struct SaltedPasswordCacheTests {
    @Test func computesOncePerKeyAndSeparatesPasswords() {
        let cache = SaltedPasswordCache()
        let key = SaltedPasswordCache.Key(resource: "pg-prod", salt: b("salt"), iterations: 4096, password: b("pw"))
        var calls = 0
        let first = cache.saltedPassword(for: key) { calls += 1; return [1, 2, 3] }
        let second = cache.saltedPassword(for: key) { calls += 1; return [9] }
        #expect(first == [1, 2, 3] && second == [1, 2, 3] && calls == 1)
        let otherPassword = SaltedPasswordCache.Key(resource: "pg-prod", salt: b("salt"), iterations: 4096, password: b("new"))
        #expect(cache.lookup(otherPassword) == nil)
        #expect(!key.passwordFingerprint.isEmpty && key.passwordFingerprint != b("pw"))
        let otherResource = SaltedPasswordCache.Key(resource: "pg-dev", salt: b("salt"), iterations: 4096, password: b("pw"))
        #expect(cache.lookup(otherResource) == nil)
        cache.removeAll()
        #expect(cache.lookup(key) == nil)
    }

    @Test func isBounded() {
        let cache = SaltedPasswordCache(capacity: 2)
        for i in 0..<5 {
            cache.store([UInt8(i)], for: .init(resource: "r", salt: [UInt8(i)], iterations: 4096, password: b("pw")))
        }
        #expect(cache.count == 2)
    }
}

@Suite struct PostgresAuthServiceTests {
    struct Fixture {
        let clock = TestClock()
        let instant = ManualInstant()
        let key = GatewaySigningKey.generate()
        let service: PostgresAuthService
        let issuer: GatewayTokenIssuer

        init(maximumFailures: Int = 2) async throws {
            let verifier = try await GatewayTokenVerifier(
                signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600, clockSkewSeconds: 30,
                revocations: RevocationList(tokenIDs: []), clock: clock.function)
            service = PostgresAuthService(
                authenticator: try IdentityAuthenticator(providers: [], gatewayTokens: verifier),
                limiter: AuthFailureLimiter(maximumFailures: maximumFailures, window: .seconds(60)), now: instant.function)
            issuer = GatewayTokenIssuer(signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600, clock: clock.function)
        }

        func token(resources: [String] = ["pg-prod"]) async throws -> String {
            try await issuer.issue(identity: "ci-bot", groups: ["deployers"], resources: resources, ttlSeconds: 600).token
        }
    }

    /// Calls the completion-based API and waits for its completion.
    func verify(_ service: PostgresAuthService, _ token: String, address: String?) async
        -> Result<VerifiedIdentity, AuthenticationFailure> {
        await withCheckedContinuation { continuation in
            service.verify(token: token, resource: "pg-prod", clientAddress: address) { continuation.resume(returning: $0) }
        }
    }

    @Test func verifiesOffTheCallersThreadThroughTheCompletion() async throws {
        let fixture = try await Fixture()
        let result = await verify(fixture.service, try await fixture.token(), address: "192.0.2.1:5000")
        let identity = try result.get()
        #expect(identity.name == "ci-bot" && identity.groups == ["deployers"])
    }

    @Test func repeatedFailuresBlockTheAddressUntilTheWindowPasses() async throws {
        let fixture = try await Fixture(maximumFailures: 2)
        let good = try await fixture.token()
        let outOfScope = try await fixture.token(resources: ["mysql"])
        #expect(await verify(fixture.service, "garbage", address: "198.51.100.7").failureReason == .malformed)
        // A new connection from the same host has a new source port: it still counts.
        #expect(await verify(fixture.service, outOfScope, address: "198.51.100.7:40001").failureReason == .outOfScope)
        // Blocked: even a good token is refused without being examined.
        let blocked = await verify(fixture.service, good, address: "198.51.100.7")
        #expect(blocked.failureReason == .rateLimited)
        if case .failure(let failure) = blocked { #expect(!failure.auditDescription.contains(good)) }
        // Another address, or no address, is unaffected.
        #expect(await verify(fixture.service, good, address: "198.51.100.8").isSuccess)
        #expect(await verify(fixture.service, good, address: nil).isSuccess)
        fixture.instant.advance(.seconds(61))
        #expect(await verify(fixture.service, good, address: "198.51.100.7").isSuccess)
    }

    @Test func authenticatorCanBeSwappedOnReload() async throws {
        let fixture = try await Fixture()
        let token = try await fixture.token()
        #expect(await verify(fixture.service, token, address: nil).isSuccess)
        let otherKey = GatewaySigningKey.generate()
        let rotated = try await GatewayTokenVerifier(
            signingKey: otherKey, issuer: "ringgate", maxTTLSeconds: 3600, clockSkewSeconds: 30,
            revocations: RevocationList(tokenIDs: []), clock: fixture.clock.function)
        fixture.service.replaceAuthenticator(try IdentityAuthenticator(providers: [], gatewayTokens: rotated))
        let after = await verify(fixture.service, token, address: nil)
        #expect(after.failureReason == .unknownKey, "\(after)")
    }

    @Test func derivesSaltedPasswordsOffThreadThroughTheCache() async throws {
        let fixture = try await Fixture()
        let service = fixture.service
        let salt = b("NaCl-salt")
        #expect(service.cachedSaltedPassword(password: b("pw"), salt: salt, iterations: 4096, cacheKey: "pg-prod") == nil)
        let results = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        service.deriveSaltedPassword(password: b("pw"), salt: salt, iterations: 4096, cacheKey: "pg-prod") {
                            continuation.resume(returning: $0)
                        }
                    }
                }
            }
            var all: [[UInt8]] = []
            for await value in group { all.append(value) }
            return all
        }
        let expected = PostgresUpstreamLogin.saltedPassword(password: b("pw"), salt: salt, iterations: 4096)
        #expect(results.count == 4 && results.allSatisfy { $0 == expected })
        #expect(service.cachedSaltedPassword(password: b("pw"), salt: salt, iterations: 4096, cacheKey: "pg-prod") == expected)
        #expect(service.cachedSaltedPassword(password: b("other"), salt: salt, iterations: 4096, cacheKey: "pg-prod") == nil)
        #expect(service.saltedPasswords.count == 1)
    }
}
