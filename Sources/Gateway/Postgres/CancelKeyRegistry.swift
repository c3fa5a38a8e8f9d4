import Synchronization

/// Maps the cancel keys the gateway gives its clients to the real upstream backends.
///
/// The client never sees the upstream's BackendKeyData: on login the session registers the
/// real key and sends the client the gateway key ``register(upstream:processID:secretKey:)``
/// returns. A CancelRequest from any connection carries a gateway key; ``lookup(processID:secretKey:)``
/// finds where to send the real CancelRequest. Gateway process IDs come from a counter (unique
/// among live registrations, always positive); secret keys from the system's random generator.
///
/// Thread-safe; shared by every loop. Cancel is rare, so one Mutex is enough.
public final class CancelKeyRegistry: Sendable {
    /// The real backend behind a gateway key.
    public struct Upstream: Sendable, Hashable {
        /// The upstream server's address, as the session connected to it (e.g. `10.0.0.5:5432`).
        public var address: String
        public var processID: Int32
        public var secretKey: Int32

        public init(address: String, processID: Int32, secretKey: Int32) {
            self.address = address
            self.processID = processID
            self.secretKey = secretKey
        }
    }

    private struct Entry {
        var secretKey: Int32
        var upstream: Upstream
    }

    private struct State {
        var nextProcessID: Int32
        var entries: [Int32: Entry] = [:]
    }

    private let state: Mutex<State>

    /// - Parameter firstProcessID: the first gateway process ID handed out (clamped to ≥ 1).
    public init(firstProcessID: Int32 = 1) {
        state = Mutex(State(nextProcessID: max(1, firstProcessID)))
    }

    /// Registers the upstream backend's key and returns the fresh gateway key for the client.
    public func register(upstream: String, processID: Int32, secretKey: Int32) -> (processID: Int32, secretKey: Int32) {
        var generator = SystemRandomNumberGenerator()
        let gatewaySecret = Int32(bitPattern: UInt32.random(in: .min ... .max, using: &generator))
        let entry = Entry(secretKey: gatewaySecret,
                          upstream: Upstream(address: upstream, processID: processID, secretKey: secretKey))
        let gatewayProcessID = state.withLock { state -> Int32 in
            // At most `entries.count` IDs are taken, so this finds a free one within count + 1 steps.
            var candidate = state.nextProcessID
            while state.entries[candidate] != nil {
                candidate = candidate == .max ? 1 : candidate + 1
            }
            state.nextProcessID = candidate == .max ? 1 : candidate + 1
            state.entries[candidate] = entry
            return candidate
        }
        return (gatewayProcessID, gatewaySecret)
    }

    /// The upstream backend for a gateway key, or nil when the process ID is unknown or the
    /// secret does not match.
    public func lookup(processID: Int32, secretKey: Int32) -> Upstream? {
        state.withLock { state -> Upstream? in
            guard let entry = state.entries[processID], entry.secretKey == secretKey else { return nil }
            return entry.upstream
        }
    }

    /// Forgets a gateway key (the session ended).
    public func remove(processID: Int32) {
        _ = state.withLock { $0.entries.removeValue(forKey: processID) }
    }

    /// The number of live registrations.
    public var count: Int { state.withLock { $0.entries.count } }
}
