import ArgumentParser
import CAllocCounter
import Foundation
import Gateway

/// `bench policy`: policy decisions per statement with Gateway's synthetic rule sets, and the
/// heap allocations they make (the release build's proof that deciding allocates nothing).
///
/// One operation decides one statement (the workload's statements in turn: reads, writes
/// with relations, DROP, DELETE without WHERE, ALTER, opaque, transaction control) for
/// `user7` (nested group member, two token groups) on the production resource `pg-2`:
/// the per-connection bound path (what a session uses) and the unbound path (scans every
/// rule of the resource), with 50 rules / 20 groups and 5,000 rules / 500 groups.
struct PolicyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Policy decisions per statement (ns per decision) and their heap allocations (must be 0).")

    @Option(help: "Seconds per case (default 1).")
    var seconds: Double = 1

    @Flag(help: "Exit 1 when any case allocates (the CI gate).")
    var check = false

    func run() throws {
        let typical = SyntheticPolicy.Workload(configuration: SyntheticPolicy.typical())
        let large = SyntheticPolicy.Workload(configuration: SyntheticPolicy.large())
        let cases: [(name: String, workload: SyntheticPolicy.Workload, bound: Bool)] = [
            ("bound, 50 rules", typical, true), ("bound, 5,000 rules", large, true),
            ("unbound, 50 rules", typical, false), ("unbound, 5,000 rules", large, false),
        ]
        print("bench policy: one decision per operation, batches of 1,000, \(Format.fixed(seconds, 1)) s per case")
        print([Format.left("case", 22), Format.right("ns p50", 9), Format.right("ns p90", 9), Format.right("decisions/s", 13),
               Format.right("allocs", 7)].joined(separator: " "))
        var allocating: [String] = []
        for item in cases {
            let result = Self.measure(item.workload, bound: item.bound, seconds: seconds)
            print([Format.left(item.name, 22), Format.right(Format.fixed(result.p50, 1), 9), Format.right(Format.fixed(result.p90, 1), 9),
                   Format.right(Format.grouped(1e9 / result.p50), 13), Format.right("\(result.allocations)", 7)].joined(separator: " "))
            if result.allocations != 0 { allocating.append(item.name) }
        }
        if !allocating.isEmpty {
            print("allocating: \(allocating.joined(separator: ", "))")
            if check { throw ExitCode(1) }
        }
    }

    /// Nanoseconds per decision (p50 and p90 over batches of 1,000) and the allocations made
    /// while measuring.
    static func measure(_ workload: SyntheticPolicy.Workload, bound: Bool, seconds: Double)
        -> (p50: Double, p90: Double, allocations: UInt64)
    {
        var sink: Int32 = 0
        // Warm-up: lazy metadata and first-touch paths, outside the measurement.
        for i in 0..<1_000 { sink &+= bound ? workload.evaluate(i).rule : workload.evaluateUnbound(i).rule }
        var batches = [Double]()
        batches.reserveCapacity(100_000)
        let end = MonotonicClock.nanoseconds() &+ MonotonicClock.nanoseconds(seconds: seconds)
        let allocationsBefore = rg_total_allocation_count()
        var index = 0
        while batches.count < batches.capacity {
            let start = MonotonicClock.nanoseconds()
            for _ in 0..<1_000 {
                sink &+= bound ? workload.evaluate(index).rule : workload.evaluateUnbound(index).rule
                index &+= 1
            }
            let now = MonotonicClock.nanoseconds()
            batches.append(Double(now &- start) / 1_000)
            if now >= end { break }
        }
        let allocations = rg_total_allocation_count() &- allocationsBefore
        if sink == .min { print("") }
        batches.sort()
        return (batches[batches.count / 2], batches[batches.count * 9 / 10], allocations)
    }
}
