import Benchmark
import Gateway

/// Policy decisions per statement with Gateway's synthetic rule sets.
///
/// One operation decides one statement (the workload's eight statements in turn: reads,
/// writes with relations, DROP, DELETE without WHERE, ALTER, opaque, transaction control)
/// for `user7` (nested group member, two token groups) on the production resource `pg-2`.
/// Each sample runs 1,000 decisions (`scalingFactor: .kilo`): wall clock is per decision.
///
/// - `EvaluateTypical` / `EvaluateLarge`: the per-session bound path
///   (`PolicyBinding`, what a connection uses) with 50 rules / 20 groups and 5,000 rules /
///   500 groups.
/// - `EvaluateUnboundTypical` / `EvaluateUnboundLarge`: the unbound path (scans every rule
///   of the resource), for comparison.
///
/// Gated in CI on `mallocCountTotal` (0 at p90).
let benchmarks: @Sendable () -> Void = {
    nonisolated(unsafe) let typical = SyntheticPolicy.Workload(configuration: SyntheticPolicy.typical())
    nonisolated(unsafe) let large = SyntheticPolicy.Workload(configuration: SyntheticPolicy.large())
    // Warm-up: lazy metadata and first-touch paths, outside every measurement.
    for i in 0..<typical.statements.count {
        blackHole(typical.evaluate(i).rule)
        blackHole(typical.evaluateUnbound(i).rule)
        blackHole(large.evaluate(i).rule)
        blackHole(large.evaluateUnbound(i).rule)
    }

    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )

    Benchmark("EvaluateTypical", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(typical.evaluate(i).rule) }
    }
    Benchmark("EvaluateLarge", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(large.evaluate(i).rule) }
    }
    Benchmark("EvaluateUnboundTypical", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(typical.evaluateUnbound(i).rule) }
    }
    Benchmark("EvaluateUnboundLarge", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(large.evaluateUnbound(i).rule) }
    }
}
