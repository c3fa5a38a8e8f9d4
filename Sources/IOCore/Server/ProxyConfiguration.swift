import Glibc

/// Tuning of the data plane. Defaults suit a small gateway; every limit is per loop.
public struct ProxyConfiguration: Sendable {
    /// Which backend to run.
    public var backend: IOBackendSelection = .auto
    /// Number of event-loop threads (one per core by default).
    public var loopCount: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Connection slots per loop; accepted connections beyond this are closed at once.
    public var maxConnectionsPerLoop: Int = 4096
    /// Size of one pool buffer.
    public var bufferSize: Int = 16 * 1024
    /// Buffers per loop (power of two, at most 32768).
    public var buffersPerLoop: Int = 2048
    /// Of those, buffers kept off the receive path for bytes sessions synthesize or copy
    /// (protocol errors, the upstream login, reassembled statements); nil: an eighth.
    public var reservedBuffers: Int? = nil
    /// Events other threads may queue for a loop's sessions at once (``SessionMailbox``).
    public var mailboxCapacity: Int = 4096
    /// Bytes in flight per direction past which the loop stops reading the source.
    public var highWaterMark: Int = 256 * 1024
    /// Limit for the upstream TCP connect; nil waits for the kernel's own timeout.
    public var connectTimeout: Duration? = .seconds(10)
    /// SO_RCVBUF for both sockets of every connection; nil keeps the kernel's autotuning.
    /// It bounds how much an io_uring multishot recv can pull in before the loop stops it,
    /// so per-direction pool use stays within about `highWaterMark` + twice this value
    /// (the kernel doubles SO_RCVBUF).
    public var socketReceiveBufferSize: Int? = 256 * 1024
    /// Close connections on which nothing was received in either direction for this long.
    public var idleTimeout: Duration? = nil
    /// How long accept pauses after EMFILE/ENFILE or a full slot table.
    public var acceptRetryDelay: Duration = .milliseconds(100)
    /// Access records that may wait for a slow ``AccessLog`` sink; at the limit the loops pause
    /// accepting (retrying every `acceptRetryDelay`) instead of queuing without bound or
    /// dropping records.
    public var accessLogBacklogLimit: Int = 65_536
    /// io_uring submission queue entries (completion queue is 4x).
    public var ringEntries: Int = 1024
    /// Listen backlog.
    public var listenBacklog: Int32 = 4096
    /// Hooks for tests and diagnostics; leave at defaults in production.
    public var testing = TestingHooks()

    public init() {}

    /// Reserved buffers per loop, resolved.
    var reservedBuffersPerLoop: Int {
        min(buffersPerLoop - 1, max(0, reservedBuffers ?? buffersPerLoop / 8))
    }

    /// Switches for tests: fault injection and counters read on the loop thread.
    public struct TestingHooks: Sendable {
        /// Make every io_uring setup fail with EPERM (as under kernel.io_uring_disabled).
        /// The environment variable `RINGGATE_FORCE_URING_FAILURE=1` does the same.
        public var forceURingSetupFailure = false
        /// Called on each loop thread at the end of every iteration; its value is published
        /// as ``LoopStatistics/Snapshot/threadAllocations`` (pass a thread-local malloc counter).
        public var threadAllocationCounter: (@convention(c) () -> UInt64)? = nil

        public init() {}
    }

    /// The timer tick: a quarter of the shortest timeout, between 5 ms and 250 ms.
    static func tickNanoseconds(forShortestOf timeouts: [Duration?]) -> UInt64 {
        var shortest: UInt64 = 1_000_000_000
        for case let timeout? in timeouts { shortest = min(shortest, timeout.nanoseconds) }
        return min(max(shortest / 4, 5_000_000), 250_000_000)
    }
}
