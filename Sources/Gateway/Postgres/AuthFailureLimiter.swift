import Synchronization

/// Refuses authentication attempts from a client address that failed too often.
///
/// Addresses are opaque keys here; pass the host without the port (see ``host(of:)``).
///
/// After ``maximumFailures`` failures within ``window`` (counted from the first failure of
/// the run), the address is blocked for ``window`` from the last of them: attempts are refused
/// at once, without examining the token, and are not counted. A success clears the address.
///
/// Time is passed in (`now`), so callers and tests decide the clock. Thread-safe. At most
/// ``maximumTrackedAddresses`` addresses are remembered: expired entries go first, then the
/// oldest.
public final class AuthFailureLimiter: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public let maximumFailures: Int
    public let window: Duration
    public let maximumTrackedAddresses: Int

    struct Entry {
        var failures: Int
        var windowStart: Instant
        var blockedUntil: Instant?
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init(maximumFailures: Int = 5, window: Duration = .seconds(60), maximumTrackedAddresses: Int = 10_000) {
        self.maximumFailures = max(1, maximumFailures)
        self.window = window
        self.maximumTrackedAddresses = max(1, maximumTrackedAddresses)
    }

    /// Whether attempts from `address` are refused at `now`.
    public func isBlocked(_ address: String, now: Instant) -> Bool {
        entries.withLock { entries in
            guard let blockedUntil = entries[address]?.blockedUntil else { return false }
            if now < blockedUntil { return true }
            entries.removeValue(forKey: address)
            return false
        }
    }

    /// Records a failed attempt from `address` at `now`; returns whether the address is now blocked.
    @discardableResult
    public func recordFailure(_ address: String, now: Instant) -> Bool {
        entries.withLock { entries in
            var entry = entries[address] ?? Entry(failures: 0, windowStart: now, blockedUntil: nil)
            if let blockedUntil = entry.blockedUntil {
                if now < blockedUntil { return true }
                entry = Entry(failures: 0, windowStart: now, blockedUntil: nil)
            }
            if now - entry.windowStart >= window {
                entry = Entry(failures: 0, windowStart: now, blockedUntil: nil)
            }
            entry.failures += 1
            if entry.failures >= maximumFailures {
                entry.blockedUntil = now + window
            }
            if entries[address] == nil, entries.count >= maximumTrackedAddresses {
                makeRoom(&entries, now: now)
            }
            entries[address] = entry
            return entry.blockedUntil != nil
        }
    }

    /// Records a successful attempt: the address's failures are forgotten.
    public func recordSuccess(_ address: String) {
        _ = entries.withLock { $0.removeValue(forKey: address) }
    }

    /// The host part of a client address, the key to count failures under: `192.0.2.1:5000`
    /// → `192.0.2.1`, `[2001:db8::1]:5000` → `2001:db8::1`; anything else (a bare IPv6 or
    /// IPv4 address, a Unix socket path) unchanged. Counting per host and port would let every
    /// new connection (a new source port) start afresh.
    public static func host(of address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        let colons = address.utf8.lazy.filter { $0 == UInt8(ascii: ":") }.count
        if colons == 1, let colon = address.firstIndex(of: ":") {
            return String(address[..<colon])
        }
        return address
    }

    /// The number of addresses remembered.
    public var trackedAddresses: Int { entries.withLock { $0.count } }

    private func makeRoom(_ entries: inout [String: Entry], now: Instant) {
        let window = self.window
        entries = entries.filter { _, entry in
            if let blockedUntil = entry.blockedUntil { return now < blockedUntil }
            return now - entry.windowStart < window
        }
        if entries.count >= maximumTrackedAddresses,
           let oldest = entries.min(by: { $0.value.windowStart < $1.value.windowStart })?.key {
            entries.removeValue(forKey: oldest)
        }
    }
}
