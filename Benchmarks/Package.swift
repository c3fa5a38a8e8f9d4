// swift-tools-version: 6.1
import PackageDescription

// RingGate micro-benchmarks (ordo-one/benchmark), kept in a nested package so the root
// build never pulls the benchmark plugin and its dependencies.
//
// One executable target per area, each in Benchmarks/<Target>/, each with a static
// threshold file per benchmark in Thresholds/<Target>.<Benchmark>.p90.json. Add a new
// area with `benchmarkTarget` below and a folder; shared fixtures go in Sources/BenchmarkSupport.
// Only Codecs is depended on: a Gateway dependency would compile its whole control-plane
// stack (NIO, Hummingbird, GRDB, postgres-nio) a second time in release, so policy decisions
// are measured by the root package's `bench policy` instead.
// Run: ../scripts/bench-check.sh (CI gate) — see that script for printing throughput.

let package = Package(
    name: "RingGateBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "RingGate", path: ".."),
        // MallocInterposer only: the default traits pull a package not available here.
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Codecs", package: "RingGate")],
            path: "Sources/BenchmarkSupport"
        ),
        benchmarkTarget("ScanMask"),
        benchmarkTarget("DataRowDecode"),
        benchmarkTarget("SQLClassify"),
    ]
)

/// A benchmark executable target in `Benchmarks/<name>`, discovered by the plugin.
/// `extra` adds product dependencies beyond `Codecs` (e.g. `Gateway`).
func benchmarkTarget(_ name: String, extra: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "BenchmarkSupport",
            .product(name: "Codecs", package: "RingGate"),
            .product(name: "Benchmark", package: "benchmark"),
        ] + extra,
        path: "Benchmarks/\(name)",
        swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])],
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
