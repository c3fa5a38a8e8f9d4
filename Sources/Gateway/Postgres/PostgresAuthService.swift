import Synchronization

/// The control-plane side of a PostgreSQL client's login: token verification and SCRAM
/// key derivation, both off the event loop.
///
/// The loop calls ``verify(token:resource:clientAddress:completion:)`` or
/// ``deriveSaltedPassword(password:salt:iterations:cacheKey:completion:)`` and returns at
/// once; the work runs in a Swift concurrency `Task` (the control plane), and `completion`
/// is always called from that task, never synchronously from inside the call. The caller
/// hands the result back to its loop.
public final class PostgresAuthService: Sendable {
    public typealias Clock = @Sendable () -> ContinuousClock.Instant

    private let authenticatorState: Mutex<IdentityAuthenticator>
    public let limiter: AuthFailureLimiter
    public let saltedPasswords: SaltedPasswordCache
    private let now: Clock
    private let primitives = SwiftCryptoAuthPrimitives()
    /// Derivations in flight, with everyone waiting for them (one PBKDF2 per key at a time).
    private let derivations = Mutex<[SaltedPasswordCache.Key: [@Sendable ([UInt8]) -> Void]]>([:])

    /// - Parameter now: the clock the failure limiter reads (tests pass a fixed one).
    public init(authenticator: IdentityAuthenticator, limiter: AuthFailureLimiter = AuthFailureLimiter(),
                saltedPasswords: SaltedPasswordCache = SaltedPasswordCache(),
                now: @escaping Clock = { ContinuousClock.now }) {
        self.authenticatorState = Mutex(authenticator)
        self.limiter = limiter
        self.saltedPasswords = saltedPasswords
        self.now = now
    }

    /// The authenticator new verifications use.
    public var authenticator: IdentityAuthenticator { authenticatorState.withLock { $0 } }

    /// Swaps the authenticator (configuration reload); verifications already running finish
    /// with the one they started with.
    /// Installs the verifiers of a reloaded configuration; live sessions whose token it
    /// revokes are closed at their next statement (see ``isRevoked(_:)``).
    public func replaceAuthenticator(_ authenticator: IdentityAuthenticator) {
        authenticatorState.withLock { $0 = authenticator }
        revocationGenerationCounter.add(1, ordering: .releasing)
    }

    private let revocationGenerationCounter = Atomic<UInt64>(0)

    /// Moves whenever the set of revoked tokens may have changed (one relaxed load per statement).
    public var revocationGeneration: UInt64 { revocationGenerationCounter.load(ordering: .acquiring) }

    /// Whether the gateway token `tokenID` is revoked: by the current verifiers' list, or
    /// through the control store (``addSharedRevocations(_:)``).
    public func isRevoked(_ tokenID: String) -> Bool {
        authenticator.gatewayTokens?.revocations.contains(tokenID) ?? false || sharedRevocations.withLock { $0.contains(tokenID) }
    }

    /// Token ids revoked through the control store (the API of any replica); kept until the
    /// process ends. Live sessions holding one are closed at their next statement.
    private let sharedRevocations = Mutex<Set<String>>([])

    /// Adds token ids revoked through the control store.
    public func addSharedRevocations(_ tokenIDs: some Sequence<String>) {
        let added = sharedRevocations.withLock { set -> Bool in
            var added = false
            for id in tokenIDs where set.insert(id).inserted { added = true }
            return added
        }
        if added { revocationGenerationCounter.add(1, ordering: .releasing) }
    }

    /// Verifies `token` for `resource`. `clientAddress` (`host:port` or a bare host; failures
    /// are counted per host, see ``AuthFailureLimiter/host(of:)``; nil: not limited): a blocked
    /// host is refused with `.rateLimited` without examining the token; failures other than an
    /// unavailable key set (the identity provider's problem, not the caller's) count toward
    /// the block.
    public func verify(token: String, resource: String, clientAddress: String?,
                       completion: @escaping @Sendable (Result<VerifiedIdentity, AuthenticationFailure>) -> Void) {
        let authenticator = self.authenticator
        Task {
            completion(await self.verifyNow(token: token, resource: resource, clientAddress: clientAddress,
                                            authenticator: authenticator))
        }
    }

    /// The body of ``verify(token:resource:clientAddress:completion:)``, for async callers.
    public func verify(token: String, resource: String, clientAddress: String?) async
        -> Result<VerifiedIdentity, AuthenticationFailure> {
        await verifyNow(token: token, resource: resource, clientAddress: clientAddress, authenticator: authenticator)
    }

    private func verifyNow(token: String, resource: String, clientAddress: String?,
                           authenticator: IdentityAuthenticator) async -> Result<VerifiedIdentity, AuthenticationFailure> {
        let host = clientAddress.map(AuthFailureLimiter.host(of:))
        if let host, limiter.isBlocked(host, now: now()) {
            return .failure(AuthenticationFailure(.rateLimited, "too many failed attempts from \(host)"))
        }
        var result = await authenticator.authenticate(token, resource: resource)
        if case .success(let identity) = result, let tokenID = identity.tokenID, sharedRevocations.withLock({ $0.contains(tokenID) }) {
            result = .failure(AuthenticationFailure(.revoked, "the token was revoked"))
        }
        if let host {
            switch result {
            case .success:
                limiter.recordSuccess(host)
            case .failure(let failure) where failure.reason != .keySetUnavailable:
                limiter.recordFailure(host, now: now())
            case .failure:
                break
            }
        }
        return result
    }

    /// The cached salted password for these inputs, if a previous login derived it (cheap:
    /// one SHA-256 and a dictionary lookup; the loop may call it before going off-thread).
    public func cachedSaltedPassword(password: [UInt8], salt: [UInt8], iterations: Int, cacheKey: String) -> [UInt8]? {
        saltedPasswords.lookup(SaltedPasswordCache.Key(resource: cacheKey, salt: salt, iterations: iterations,
                                                       password: password, primitives: primitives))
    }

    /// Derives SCRAM's salted password (PBKDF2) off the caller's thread, through the cache
    /// (`cacheKey` is normally the resource name). Concurrent requests for the same key share
    /// one derivation.
    public func deriveSaltedPassword(password: [UInt8], salt: [UInt8], iterations: Int, cacheKey: String,
                                     completion: @escaping @Sendable ([UInt8]) -> Void) {
        let key = SaltedPasswordCache.Key(resource: cacheKey, salt: salt, iterations: iterations, password: password,
                                          primitives: primitives)
        let first = derivations.withLock { waiting -> Bool in
            if var list = waiting[key] {
                list.append(completion)
                waiting[key] = list
                return false
            }
            waiting[key] = [completion]
            return true
        }
        guard first else { return }
        let cache = saltedPasswords
        let primitives = self.primitives
        Task {
            let value = cache.saltedPassword(for: key) {
                PostgresUpstreamLogin.saltedPassword(password: password, salt: salt, iterations: iterations,
                                                     primitives: primitives)
            }
            let waiters = self.derivations.withLock { $0.removeValue(forKey: key) ?? [] }
            for waiter in waiters { waiter(value) }
        }
    }
}
