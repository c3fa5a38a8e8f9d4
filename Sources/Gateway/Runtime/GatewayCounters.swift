import Prometheus
import Synchronization

/// What one resource's sessions counted: relaxed atomics the sessions bump on their loop
/// threads (no lock, no allocation, no existential per statement) and the metrics endpoint
/// reads. Referenced from the resource's ``PostgresResourceContext``.
public final class ResourceCounters: Sendable {
    /// What was counted so far.
    public struct Snapshot: Sendable, Hashable {
        public var sessionsStarted: UInt64 = 0
        public var sessionsEnded: UInt64 = 0
        public var statementsAllowed: UInt64 = 0
        public var statementsDenied: UInt64 = 0
        public var statementsReviewed: UInt64 = 0
        public var rowsMasked: UInt64 = 0
        public var bytesFromClients: UInt64 = 0
        public var bytesToClients: UInt64 = 0
    }

    /// Upper bounds of the added-latency buckets.
    public static let latencyBuckets: [Duration] = [
        .microseconds(1), .microseconds(2.5), .microseconds(5), .microseconds(10), .microseconds(25),
        .microseconds(50), .microseconds(100), .microseconds(250), .milliseconds(1), .milliseconds(10),
    ]

    private let sessionsStarted = Atomic<UInt64>(0)
    private let sessionsEnded = Atomic<UInt64>(0)
    private let allowed = Atomic<UInt64>(0)
    private let denied = Atomic<UInt64>(0)
    private let reviewed = Atomic<UInt64>(0)
    private let masked = Atomic<UInt64>(0)
    private let bytesIn = Atomic<UInt64>(0)
    private let bytesOut = Atomic<UInt64>(0)
    /// Statements by how long the gateway held them between the loop taking their bytes and
    /// queueing them upstream: a Prometheus histogram the loops record into directly (a
    /// concrete class, an uncontended lock, no allocation), once per forwarded statement.
    let addedLatency: DurationHistogram
    /// How long held statements waited for their approval request to end (any outcome).
    let approvalWait: DurationHistogram

    /// Upper bounds of the approval-wait buckets.
    public static let approvalWaitBuckets: [Duration] = [
        .seconds(1), .seconds(5), .seconds(15), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
        .seconds(1800), .seconds(3600),
    ]

    /// Counters for `resource`, its histogram registered in `registry`.
    public init(resource: String, registry: PrometheusCollectorRegistry) {
        addedLatency = registry.makeDurationHistogram(
            name: "ringgate_added_latency_seconds", labels: [("resource", resource)], buckets: Self.latencyBuckets,
            help: "Time a statement spent in the gateway, from the loop taking its bytes to queueing them upstream")
        approvalWait = registry.makeDurationHistogram(
            name: "ringgate_approval_wait_seconds", labels: [("resource", resource)], buckets: Self.approvalWaitBuckets,
            help: "Time held statements waited for their approval request to be approved, denied, expired or failed")
    }

    /// Counts a held statement's wait for its request's outcome.
    func approvalEnded(after nanoseconds: UInt64) {
        approvalWait.record(.nanoseconds(Int64(truncatingIfNeeded: nanoseconds)))
    }

    func sessionStarted() { sessionsStarted.add(1, ordering: .relaxed) }

    func sessionEnded(bytesFromClient: UInt64, bytesToClient: UInt64) {
        sessionsEnded.add(1, ordering: .relaxed)
        bytesIn.add(bytesFromClient, ordering: .relaxed)
        bytesOut.add(bytesToClient, ordering: .relaxed)
    }

    @inline(__always)
    func statementDecided(_ action: PolicyAction) {
        switch action {
        case .allow: allowed.add(1, ordering: .relaxed)
        case .deny: denied.add(1, ordering: .relaxed)
        case .review: reviewed.add(1, ordering: .relaxed)
        }
    }

    @inline(__always)
    func rowMasked() { masked.add(1, ordering: .relaxed) }

    /// Counts a statement the gateway held for `nanoseconds` between the loop taking its bytes
    /// and queueing them upstream.
    @inline(__always)
    func statementForwarded(after nanoseconds: UInt64) {
        addedLatency.record(.nanoseconds(Int64(truncatingIfNeeded: nanoseconds)))
    }

    /// What was counted so far (allocates: for the metrics endpoint).
    public func snapshot() -> Snapshot {
        Snapshot(
            sessionsStarted: sessionsStarted.load(ordering: .relaxed), sessionsEnded: sessionsEnded.load(ordering: .relaxed),
            statementsAllowed: allowed.load(ordering: .relaxed), statementsDenied: denied.load(ordering: .relaxed),
            statementsReviewed: reviewed.load(ordering: .relaxed), rowsMasked: masked.load(ordering: .relaxed),
            bytesFromClients: bytesIn.load(ordering: .relaxed), bytesToClients: bytesOut.load(ordering: .relaxed))
    }
}

/// The counters of every `postgres` resource, by name, for the metrics endpoint.
public final class GatewayCounters: Sendable {
    /// Where the metrics are registered (histograms the loops record into included).
    public let registry: PrometheusCollectorRegistry
    /// The resources and their counters, in listener order.
    public let resources: [(name: String, counters: ResourceCounters)]

    public init(resources: [String]) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.resources = resources.map { ($0, ResourceCounters(resource: $0, registry: registry)) }
    }
}
