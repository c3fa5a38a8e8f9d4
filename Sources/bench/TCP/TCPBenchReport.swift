/// The results of one `bench tcp` run: what the table shows and the JSON holds
/// (schema `ringgate-bench-tcp/1`, documented in perf/README.md; keys are snake_case).
struct TCPBenchReport: Codable, Sendable {
    static let schemaName = "ringgate-bench-tcp/1"

    var schema = Self.schemaName
    /// UTC start time, ISO 8601.
    var startedAt: String
    var host: HostInfo
    var configuration: Configuration
    /// Every target the run knows, measured or not (with the reason when not).
    var targets: [TargetStatus]
    /// One entry per measured (target, connections): medians across rounds, plus every round.
    var series: [Series]
    /// Each RingGate target against haproxy, with the goals evaluated.
    var vsHaproxy: [HAProxyComparison]

    struct HostInfo: Codable, Sendable {
        var cpus: Int
        var kernel: String
        /// 1-minute load average when the run started and when it ended (the run's own
        /// processes count in the second); nil where /proc/loadavg is unreadable.
        var loadAverageStart: Double?
        var loadAverageEnd: Double?
    }

    struct Configuration: Codable, Sendable {
        var messageBytes: Int
        var durationSeconds: Double
        var warmupSeconds: Double
        var rounds: Int
        var connections: [Int]
        var loops: Int
        var quick: Bool
        /// True for a `--tls` run (client ↔ proxy TLS 1.3, `direct` plaintext); absent in
        /// reports written before the option existed (plaintext).
        var tls: Bool?
    }

    struct TargetStatus: Codable, Sendable {
        /// `direct`, `ringgate-io_uring`, `ringgate-epoll` or `haproxy`.
        var name: String
        /// `measured`, `skipped` (could not start) or `failed` (stopped working mid-run).
        var status: String
        var reason: String?
        /// The command line that started the proxy (absent for `direct`).
        var command: [String]?
    }

    /// One measured stretch of ping-pong.
    struct Sample: Codable, Sendable {
        var round: Int
        var p50Microseconds: Double
        var p99Microseconds: Double
        var p999Microseconds: Double
        var maxMicroseconds: Double
        var meanMicroseconds: Double
        var roundTrips: UInt64
        var seconds: Double
        var roundTripsPerSecond: Double
        /// The proxy's CPU seconds during the stretch, all threads (absent for `direct`): from
        /// `/proc/PID/task/*/schedstat` (ns) where readable, else `utime + stime`.
        var proxyCpuSeconds: Double?
        /// The same stretch from `/proc/PID/stat` `utime + stime` (10 ms ticks), as a cross-check.
        var proxyCpuSecondsFromStat: Double?
        var cpuMicrosecondsPerRoundTrip: Double?
        /// Heap allocations in the bench process (client and echo server threads) during the
        /// measured stretch, including ``tlsLibraryAllocations``; 0 for plaintext unless something
        /// is wrong with the harness.
        var benchAllocations: UInt64
        /// TLS runs: the client thread's allocations inside `SSL_read`/`SSL_write` during the
        /// stretch (OpenSSL 3.0 takes a few small blocks per record, served by COpenSSLMemory's
        /// per-thread cache, so 0 in steady state). Absent for plaintext targets.
        var tlsLibraryAllocations: UInt64?
    }

    /// A target at one connection count: medians across rounds.
    struct Series: Codable, Sendable {
        var target: String
        var connections: Int
        var p50Microseconds: Double
        var p99Microseconds: Double
        var p999Microseconds: Double
        var roundTripsPerSecond: Double
        var cpuMicrosecondsPerRoundTrip: Double?
        /// Median over rounds of (this p50 − direct's p50 in the same round).
        var addedP50Microseconds: Double?
        /// Median over rounds of (this p99 − direct's p99 in the same round).
        var addedP99Microseconds: Double?
        /// Median over rounds of this p50 / direct's p50.
        var p50RatioVsDirect: Double?
        /// Median over rounds of this RT/s / direct's RT/s.
        var roundTripsPerSecondRatioVsDirect: Double?
        var samples: [Sample]
    }

    /// A RingGate target against haproxy in the same run.
    struct HAProxyComparison: Codable, Sendable {
        var target: String
        /// The connection count for latency goals (1 when measured).
        var singleConnections: Int
        /// The connection count for throughput goals (16 when measured, else the largest).
        var multiConnections: Int
        /// This target's added p50 / haproxy's added p50 at `singleConnections` (medians).
        var addedP50Ratio: Double?
        /// This target's p50 / haproxy's p50 at `singleConnections` (median of per-round ratios).
        var p50Ratio: Double?
        /// This target's RT/s / haproxy's at `multiConnections` (median of per-round ratios).
        var roundTripsPerSecondRatio: Double?
        /// This target's CPU per RT / haproxy's at `multiConnections` (median of per-round ratios).
        var cpuPerRoundTripRatio: Double?
        var goals: [Goal]
    }

    /// One of issue 2's targets, evaluated.
    struct Goal: Codable, Sendable {
        /// `added_p50_single`, `round_trips_per_second_multi` or `cpu_per_round_trip_multi`.
        var name: String
        var description: String
        /// The measured ratio against haproxy (absent when it could not be formed).
        var ratio: Double?
        /// The ratio the goal asks for.
        var limit: Double
        /// `<=` or `>=`.
        var comparison: String
        var met: Bool?
    }
}

/// Order statistics over a handful of rounds.
enum Statistics {
    /// The median (mean of the middle two for an even count); nil for no values.
    static func median(_ values: [Double]) -> Double? {
        let finite = values.filter(\.isFinite).sorted()
        guard !finite.isEmpty else { return nil }
        let middle = finite.count / 2
        return finite.count % 2 == 1 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2
    }

    /// `numerator / denominator`, or nil when the denominator is not positive.
    static func ratio(_ numerator: Double?, _ denominator: Double?) -> Double? {
        guard let numerator, let denominator, denominator > 0 else { return nil }
        return numerator / denominator
    }
}
