import Synchronization

/// SCRAM salted passwords already derived, so that only the first upstream login per
/// resource pays PBKDF2.
///
/// The key is the resource, the server's salt and iteration count, and a SHA-256 fingerprint
/// of the password: a password changed in the configuration (while the server keeps its old
/// verifier and salt) must not keep logging in with the salted form of the old one.
/// Thread-safe; bounded (a server sending a fresh salt every time cannot grow it without limit).
public final class SaltedPasswordCache: Sendable {
    public struct Key: Sendable, Hashable {
        public var resource: String
        public var salt: [UInt8]
        public var iterations: Int
        /// SHA-256 of the password (never the password itself).
        public var passwordFingerprint: [UInt8]

        public init(resource: String, salt: [UInt8], iterations: Int, password: [UInt8],
                    primitives: SwiftCryptoAuthPrimitives = SwiftCryptoAuthPrimitives()) {
            self.resource = resource
            self.salt = salt
            self.iterations = iterations
            self.passwordFingerprint = primitives.sha256(password)
        }
    }

    /// The most entries kept; when full, an arbitrary entry makes room.
    public let capacity: Int
    private let entries = Mutex<[Key: [UInt8]]>([:])

    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    /// The cached salted password for `key`, if any.
    public func lookup(_ key: Key) -> [UInt8]? {
        entries.withLock { $0[key] }
    }

    /// Remembers `saltedPassword` for `key`.
    public func store(_ saltedPassword: [UInt8], for key: Key) {
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity, let victim = entries.keys.first {
                entries.removeValue(forKey: victim)
            }
            entries[key] = saltedPassword
        }
    }

    /// The cached value, or `compute()`'s result (computed outside the lock, then stored).
    public func saltedPassword(for key: Key, compute: () -> [UInt8]) -> [UInt8] {
        if let cached = lookup(key) { return cached }
        let value = compute()
        store(value, for: key)
        return value
    }

    /// Drops every entry (e.g. after a reload changed credentials).
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// The number of entries.
    public var count: Int { entries.withLock { $0.count } }
}
