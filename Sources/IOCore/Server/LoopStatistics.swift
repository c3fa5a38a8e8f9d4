import Glibc
import Synchronization

/// Counters one loop publishes at the end of every iteration (relaxed atomics: monitoring
/// and tests read them from other threads).
public final class LoopStatistics: Sendable {
    let activeConnections = Atomic<Int>(0)
    let buffersInUse = Atomic<Int>(0)
    let peakBuffersInUse = Atomic<Int>(0)
    let messagesForwarded = Atomic<UInt64>(0)
    let acceptedConnections = Atomic<UInt64>(0)
    let threadAllocations = Atomic<UInt64>(0)
    let iterations = Atomic<UInt64>(0)

    init() {}

    /// A point-in-time copy of one loop's counters.
    public struct Snapshot: Sendable, Equatable {
        /// Connections currently in the loop's slot table.
        public var activeConnections: Int
        /// Pool buffers held by user space now (queued or being written).
        public var buffersInUse: Int
        /// The most pool buffers held at once since start.
        public var peakBuffersInUse: Int
        /// Buffers received and forwarded (one per recv completion / read).
        public var messagesForwarded: UInt64
        /// Connections accepted since start.
        public var acceptedConnections: UInt64
        /// The loop thread's allocation counter (see ``ProxyConfiguration/TestingHooks``), 0 without one.
        public var threadAllocations: UInt64
        /// Loop iterations since start.
        public var iterations: UInt64
    }

    /// Reads all counters.
    public var snapshot: Snapshot {
        Snapshot(
            activeConnections: activeConnections.load(ordering: .relaxed),
            buffersInUse: buffersInUse.load(ordering: .relaxed),
            peakBuffersInUse: peakBuffersInUse.load(ordering: .relaxed),
            messagesForwarded: messagesForwarded.load(ordering: .relaxed),
            acceptedConnections: acceptedConnections.load(ordering: .relaxed),
            threadAllocations: threadAllocations.load(ordering: .relaxed),
            iterations: iterations.load(ordering: .relaxed)
        )
    }
}

/// Cross-thread control of one loop: the shutdown request and its wake-up descriptor.
final class LoopControl: Sendable {
    /// 0 while running; otherwise the monotonic deadline (ns) by which live sessions are cut.
    let drainDeadline = Atomic<UInt64>(0)
    /// eventfd the loop watches; written to wake it.
    let wakeFD: Int32

    init(wakeFD: Int32) { self.wakeFD = wakeFD }

    deinit { close(wakeFD) }
}
