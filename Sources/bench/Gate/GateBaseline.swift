/// The CI latency gate's rules (perf/baselines/tcp.json, schema `ringgate-bench-tcp-gate/1`):
/// bounds on ratios measured side by side in one run, never on absolute times.
struct GateBaseline: Codable, Sendable {
    static let schemaName = "ringgate-bench-tcp-gate/1"

    var schema: String
    var description: String?
    /// How the gate runs `bench tcp`.
    var bench: BenchSettings
    var rules: [Rule]

    struct BenchSettings: Codable, Sendable {
        var durationSeconds: Double
        var warmupSeconds: Double
        var rounds: Int
        var connections: [Int]
        var loops: Int
    }

    /// One bound on one ratio.
    struct Rule: Codable, Sendable {
        /// One of `GateMetric`'s raw values.
        var metric: String
        var target: String
        var connections: Int
        /// The ratio must be at least this.
        var min: Double?
        /// The ratio must be at most this.
        var max: Double?
        /// When the ratio is missing (target skipped or failed): fail if true, skip if false.
        var required: Bool
        /// Why the bound is where it is.
        var note: String?
    }
}

/// The ratios a gate rule can bound.
enum GateMetric: String, CaseIterable, Sendable {
    /// A target's RT/s over direct's (per-round ratios, median).
    case roundTripsPerSecondRatioVsDirect = "round_trips_per_second_ratio_vs_direct"
    /// A target's p50 over direct's.
    case p50RatioVsDirect = "p50_ratio_vs_direct"
    /// A RingGate target's added p50 over haproxy's (at the single-connection count).
    case addedP50RatioVsHAProxy = "added_p50_ratio_vs_haproxy"
    /// A RingGate target's p50 over haproxy's (at the single-connection count).
    case p50RatioVsHAProxy = "p50_ratio_vs_haproxy"
    /// A RingGate target's RT/s over haproxy's (at 16 connections when measured, else the largest count).
    case roundTripsPerSecondRatioVsHAProxy = "round_trips_per_second_ratio_vs_haproxy"
    /// A RingGate target's CPU per round trip over haproxy's (at 16 connections when measured, else the largest count).
    case cpuPerRoundTripRatioVsHAProxy = "cpu_per_round_trip_ratio_vs_haproxy"

    /// The value of this metric in `report`, or nil when it was not measured.
    func value(in report: TCPBenchReport, target: String, connections: Int) -> Double? {
        switch self {
        case .roundTripsPerSecondRatioVsDirect, .p50RatioVsDirect:
            guard let series = report.series.first(where: { $0.target == target && $0.connections == connections }) else {
                return nil
            }
            return self == .p50RatioVsDirect ? series.p50RatioVsDirect : series.roundTripsPerSecondRatioVsDirect
        case .addedP50RatioVsHAProxy, .p50RatioVsHAProxy:
            guard let comparison = report.vsHaproxy.first(where: { $0.target == target }),
                  comparison.singleConnections == connections else { return nil }
            return self == .addedP50RatioVsHAProxy ? comparison.addedP50Ratio : comparison.p50Ratio
        case .roundTripsPerSecondRatioVsHAProxy, .cpuPerRoundTripRatioVsHAProxy:
            guard let comparison = report.vsHaproxy.first(where: { $0.target == target }),
                  comparison.multiConnections == connections else { return nil }
            return self == .cpuPerRoundTripRatioVsHAProxy ? comparison.cpuPerRoundTripRatio : comparison.roundTripsPerSecondRatio
        }
    }
}

/// What the gate concluded about one rule.
struct GateVerdict: Sendable {
    enum Outcome: String, Sendable { case pass = "PASS", fail = "FAIL", skip = "SKIP" }

    var rule: GateBaseline.Rule
    var value: Double?
    var outcome: Outcome
    var reason: String

    /// Checks every rule against `report`; `allowMissing` turns missing required ratios into skips.
    static func evaluate(_ baseline: GateBaseline, against report: TCPBenchReport, allowMissing: Bool) -> [GateVerdict] {
        baseline.rules.map { rule in
            let bounds = [rule.min.map { ">= \(Format.fixed($0, 2))" }, rule.max.map { "<= \(Format.fixed($0, 2))" }]
                .compactMap { $0 }.joined(separator: " and ")
            guard let metric = GateMetric(rawValue: rule.metric) else {
                return GateVerdict(rule: rule, value: nil, outcome: .fail, reason: "unknown metric '\(rule.metric)'")
            }
            guard let value = metric.value(in: report, target: rule.target, connections: rule.connections) else {
                let status = report.targets.first { $0.name == rule.target }
                let why = status.map { "\($0.name) \($0.status)\($0.reason.map { ": \($0)" } ?? "")" } ?? "\(rule.target) not in the run"
                let outcome: Outcome = rule.required && !allowMissing ? .fail : .skip
                return GateVerdict(rule: rule, value: nil, outcome: outcome, reason: "not measured (\(why))")
            }
            if let min = rule.min, value < min {
                return GateVerdict(rule: rule, value: value, outcome: .fail, reason: "\(Format.fixed(value, 2)) is below \(Format.fixed(min, 2))")
            }
            if let max = rule.max, value > max {
                return GateVerdict(rule: rule, value: value, outcome: .fail, reason: "\(Format.fixed(value, 2)) is above \(Format.fixed(max, 2))")
            }
            return GateVerdict(rule: rule, value: value, outcome: .pass, reason: "\(Format.fixed(value, 2)) within \(bounds)")
        }
    }
}
