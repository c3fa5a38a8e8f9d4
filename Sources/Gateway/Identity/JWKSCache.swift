public import Foundation

/// A provider's key set, fetched on first use, refreshed periodically, and refetched at most
/// once per ``unknownKeyRefetchInterval`` when a token names a key id it does not hold
/// (key rotation).
///
/// Concurrent callers that need a fetch share one: at most one fetch is in flight at a time.
/// A failed refresh keeps the previous key set in service, but only for ``maximumAge`` seconds
/// after it was last fetched: past that, lookups fail (`unavailable`) until a fetch succeeds,
/// and ``onExpiry`` is called once per expiry (the caller logs it).
public actor JWKSCache {
    /// Result of looking up a key id.
    public enum Lookup: Sendable {
        /// The key set holds the key.
        case found(VerificationKey)
        /// The key set (possibly just refetched) does not hold it.
        case unknown
        /// No key set could be loaded at all.
        case unavailable(JWKSError)
    }

    private let fetcher: any JWKSFetcher
    /// Seconds after which a fetched key set is refreshed on next use.
    public let refreshInterval: Double
    /// The least number of seconds between two refetches triggered by unknown key ids.
    public let unknownKeyRefetchInterval: Double
    /// Seconds after the last successful fetch past which the key set is no longer used (never
    /// less than ``refreshInterval``: a set is not refused before it was due for a refresh).
    public let maximumAge: Double
    private let clock: @Sendable () -> Date
    private let onExpiry: @Sendable (String) -> Void
    /// When the key set in hand was fetched (not reset by ``markStale()``).
    private var keySetFetchedAt: Date?
    private var expiryReported = false

    private var keySet: JWKSKeySet?
    private var fetchedAt: Date?
    private var lastUnknownKeyRefetch: Date?
    private var lastFailedFetch: Date?
    /// Seconds to wait after a failed fetch before a lookup tries again (an unreachable
    /// identity provider must not be hammered once per token).
    public static let failureBackoff: Double = 5
    private var inFlight: Task<Result<JWKSKeySet, JWKSError>, Never>?
    /// How many fetches have been started (for audit metrics and tests).
    public private(set) var fetchCount = 0

    public init(
        fetcher: any JWKSFetcher, refreshInterval: Double = 3600, unknownKeyRefetchInterval: Double = 30,
        maximumAge: Double = 86_400, clock: @escaping @Sendable () -> Date = { Date() },
        onExpiry: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.fetcher = fetcher
        self.refreshInterval = refreshInterval
        self.unknownKeyRefetchInterval = unknownKeyRefetchInterval
        self.maximumAge = max(maximumAge, refreshInterval)
        self.clock = clock
        self.onExpiry = onExpiry
    }

    /// Looks up `keyID` (or, when the token names none, the only key for `algorithm`).
    ///
    /// Loads the key set if none is held, refreshes it if stale, and on a miss triggers one
    /// rate-limited refetch and looks again.
    public func key(id keyID: String?, algorithm: SignatureAlgorithm) async -> Lookup {
        let fetchesBefore = fetchCount
        let current: JWKSKeySet
        switch await usableKeySet() {
        case .success(let set): current = set
        case .failure(let error): return .unavailable(error)
        }
        if let key = Self.find(keyID, algorithm, in: current) { return .found(key) }
        // A set fetched for this very lookup is as fresh as a refetch would be.
        guard fetchCount == fetchesBefore, let refreshed = await refetchForUnknownKey() else { return .unknown }
        if let key = Self.find(keyID, algorithm, in: refreshed) { return .found(key) }
        return .unknown
    }

    /// Drops nothing but forces the next lookup to refresh (used on configuration reload).
    public func markStale() { fetchedAt = nil }

    private static func find(_ keyID: String?, _ algorithm: SignatureAlgorithm, in set: JWKSKeySet) -> VerificationKey? {
        if let keyID { return set.keys[keyID] }
        // No kid: acceptable only when exactly one key could have made the signature.
        let candidates = set.keys.values.filter { $0.algorithm == algorithm }
        return candidates.count == 1 ? candidates.first : nil
    }

    private func usableKeySet() async -> Result<JWKSKeySet, JWKSError> {
        if let keySet, let fetchedAt, clock().timeIntervalSince(fetchedAt) < refreshInterval {
            return .success(keySet)
        }
        if inFlight == nil, let lastFailedFetch, clock().timeIntervalSince(lastFailedFetch) < Self.failureBackoff {
            return previousKeySet() ?? .failure(JWKSError("JWKS unavailable (last fetch failed less than \(Int(Self.failureBackoff))s ago)"))
        }
        let result = await fetch()
        if case .failure = result, let previous = previousKeySet() { return previous }
        return result
    }

    /// The key set in hand after a failed (or backed-off) refresh: itself while younger than
    /// ``maximumAge``, an expiry failure once older, `nil` when none was ever fetched.
    private func previousKeySet() -> Result<JWKSKeySet, JWKSError>? {
        guard let keySet, let keySetFetchedAt else { return nil }
        let age = clock().timeIntervalSince(keySetFetchedAt)
        if age < maximumAge { return .success(keySet) }
        let message = "JWKS expired: last fetched \(Int(age))s ago, refreshes keep failing (maximum age \(Int(maximumAge))s)"
        if !expiryReported {
            expiryReported = true
            onExpiry(message)
        }
        return .failure(JWKSError(message))
    }

    /// Refetches once if the rate limit allows; joins a fetch already in flight. Returns `nil`
    /// when rate-limited (the caller must not retry).
    private func refetchForUnknownKey() async -> JWKSKeySet? {
        if inFlight == nil {
            let now = clock()
            if let last = lastUnknownKeyRefetch, now.timeIntervalSince(last) < unknownKeyRefetchInterval {
                return nil
            }
            lastUnknownKeyRefetch = now
        }
        if case .success(let set) = await fetch() { return set }
        return nil
    }

    private func fetch() async -> Result<JWKSKeySet, JWKSError> {
        if let inFlight { return await inFlight.value }
        fetchCount += 1
        let fetcher = self.fetcher
        let task = Task<Result<JWKSKeySet, JWKSError>, Never> {
            do throws(JWKSError) {
                let document = try await fetcher.fetchJWKS()
                return .success(try await JWKSKeySet.parse(document))
            } catch {
                return .failure(error)
            }
        }
        inFlight = task
        let result = await task.value
        inFlight = nil
        switch result {
        case .success(let set):
            keySet = set
            fetchedAt = clock()
            keySetFetchedAt = fetchedAt
            expiryReported = false
            lastFailedFetch = nil
        case .failure:
            lastFailedFetch = clock()
        }
        return result
    }
}
