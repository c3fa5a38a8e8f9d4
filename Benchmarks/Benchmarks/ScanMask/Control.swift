import Benchmark

/// Control benchmarks: what the harness itself costs, so a count in a real benchmark can
/// be told apart from the framework's own.
func controlBenchmarks() {
    Benchmark(
        "EmptyIterationTimed",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            scalingFactor: .one, maxDuration: .seconds(1), maxIterations: 1_000,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])])
    ) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(0) }
    }
    Benchmark(
        "EmptyIterationMallocOnly",
        configuration: .init(
            metrics: [.mallocCountTotal],
            scalingFactor: .one, maxDuration: .seconds(1), maxIterations: 1_000,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])])
    ) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(0) }
    }
}
