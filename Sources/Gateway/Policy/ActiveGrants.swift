import Foundation
import Glibc
import Synchronization

/// The grants in force on this gateway, by identity and resource: what ``PolicySession``
/// adds to a caller's groups.
///
/// The control plane replaces the whole table whenever the store's grants change
/// (``replace(with:)``), which moves ``generation``; a session reads the generation once per
/// statement (a relaxed atomic load) and re-resolves its caller only when it moved, or when
/// the earliest of its own grants expires (it checks the wall clock itself, so a grant ends on
/// time even if the control plane is late).
public final class ActiveGrants: Sendable {
    /// One grant in force.
    public struct Entry: Sendable, Hashable {
        /// The grant's id in the store.
        public var id: String
        /// The grant definition's name (`grants[].name`).
        public var name: String
        public var expiresAt: Date
    }

    private struct Key: Hashable {
        var identity: String
        var resource: String
    }

    private struct State {
        var table: [Key: [Entry]] = [:]
        /// The earliest expiry in the table.
        var firstExpiry: Date?
    }

    private let state = Mutex(State())
    private let counter = Atomic<UInt64>(0)

    public init() {}

    /// Moves whenever the table is replaced.
    public var generation: UInt64 { counter.load(ordering: .acquiring) }

    /// Installs the grants the store has in force (approved, not revoked, not yet expired).
    public func replace(with grants: [AccessGrant]) {
        var next = State()
        for grant in grants {
            guard let expiresAt = grant.expiresAt else { continue }
            next.table[Key(identity: IdentityName.canonical(grant.identity), resource: grant.resource), default: []]
                .append(Entry(id: grant.id, name: grant.ruleSet, expiresAt: expiresAt))
            next.firstExpiry = min(next.firstExpiry ?? expiresAt, expiresAt)
        }
        state.withLock { $0 = next }
        counter.add(1, ordering: .releasing)
    }

    /// The grants `identity` holds on `resource` at `instant`, and when the first of them ends.
    public func lookup(identity: String, resource: String, at instant: Date) -> (names: [String], firstExpiry: Date?) {
        let entries = state.withLock { $0.table[Key(identity: IdentityName.canonical(identity), resource: resource)] } ?? []
        let live = entries.filter { $0.expiresAt > instant }
        return (live.map(\.name), live.map(\.expiresAt).min())
    }

    /// The earliest expiry among the installed grants (nil: none).
    public var firstExpiry: Date? { state.withLock { $0.firstExpiry } }

    /// The installed grants whose time is up at `instant` (they still wait to be replaced).
    public func ended(by instant: Date) -> [Entry] {
        state.withLock { $0.table.values.joined().filter { $0.expiresAt <= instant } }
    }

    /// The wall clock in nanoseconds since 1970 (`CLOCK_REALTIME`; no allocation).
    @inline(__always)
    static func wallNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
