import Synchronization

/// Publishes the current ``PolicySnapshot`` to every event loop.
///
/// The data path reads ``generation`` with one relaxed atomic load per statement and takes
/// the lock to fetch the snapshot reference only when the generation moved (see
/// ``PolicySession``). Publishing a snapshot is a lock-protected swap followed by a
/// releasing increment of the generation.
public final class PolicyStore: Sendable {
    private let current: Mutex<PolicySnapshot>
    private let generationCounter: Atomic<UInt64>

    public init(_ snapshot: PolicySnapshot) {
        current = Mutex(snapshot)
        generationCounter = Atomic(1)
    }

    /// Increases by one each time a new snapshot is published.
    @inline(__always)
    public var generation: UInt64 { generationCounter.load(ordering: .relaxed) }

    /// The snapshot in force, and the generation it was published with.
    public func load() -> (snapshot: PolicySnapshot, generation: UInt64) {
        current.withLock { snapshot in (snapshot, generationCounter.load(ordering: .acquiring)) }
    }

    /// The snapshot in force.
    public var snapshot: PolicySnapshot { current.withLock { $0 } }

    /// Makes `snapshot` the one in force; sessions pick it up at their next statement.
    public func publish(_ snapshot: PolicySnapshot) {
        current.withLock { stored in
            stored = snapshot
            generationCounter.add(1, ordering: .releasing)
        }
    }
}
