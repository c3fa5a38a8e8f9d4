import ArgumentParser
import Foundation

/// `bench gate`: the CI latency gate. Runs a short `bench tcp` (or reads its JSON) and fails only
/// when a ratio leaves the bounds in perf/baselines/tcp.json; absolute times never fail it.
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "CI latency gate: fail when a ratio from a short bench tcp run leaves its baseline bounds."
    )

    @Option(help: "The gate rules (default: perf/baselines/tcp.json in the package).")
    var baseline: String?

    @Option(help: "Evaluate this bench tcp JSON instead of running the benchmark.")
    var results: String?

    @Option(help: "Runs before failing: a rule fails the gate only when it fails in every attempt (noise).")
    var attempts: Int = 2

    @Flag(help: "Skip, rather than fail, rules whose target was not measured (e.g. before ringgate forward exists).")
    var allowMissing = false

    @Option(help: "The ringgate executable (default: the one next to the bench executable, rebuilt first).")
    var ringgate: String?

    @Flag(help: "Do not run `swift build --product ringgate` before measuring.")
    var noBuildRinggate = false

    @Option(help: "Where to write the JSON of the last run (default: .build/bench/tcp-gate.json).")
    var json: String?

    func validate() throws {
        guard attempts >= 1, attempts <= 5 else { throw ValidationError("--attempts must be between 1 and 5") }
    }

    func run() throws {
        let baselinePath = baseline ?? Self.defaultBaselinePath()
        let rules = try Self.readBaseline(baselinePath)
        print("latency gate: \(rules.rules.count) rule(s) from \(baselinePath)")

        var verdicts: [GateVerdict] = []
        if let results {
            verdicts = GateVerdict.evaluate(rules, against: try TCPBench.read(from: results), allowMissing: allowMissing)
            printVerdicts(verdicts, heading: "results from \(results)")
        } else {
            let outputPath = json ?? TCPBench.defaultJSONPath(name: "tcp-gate.json")
            for attempt in 1...attempts {
                let configuration = try benchConfiguration(rules.bench)
                let report = try TCPBench.run(configuration)
                TCPBench.cleanUp(configuration.workDirectory, after: report, keep: false)
                try TCPBench.write(report, to: outputPath)
                print(ResultTable.render(report))
                verdicts = GateVerdict.evaluate(rules, against: report, allowMissing: allowMissing)
                printVerdicts(verdicts, heading: "attempt \(attempt)/\(attempts) (JSON: \(outputPath))")
                if !verdicts.contains(where: { $0.outcome == .fail }) { break }
                // A measured ratio out of bounds may be noise: measure again. A missing target will not come back.
                if !verdicts.contains(where: { $0.outcome == .fail && $0.value != nil }) { break }
            }
        }
        let failed = verdicts.filter { $0.outcome == .fail }
        if failed.isEmpty {
            print("latency gate: PASS")
        } else {
            print("latency gate: FAIL (\(failed.count) rule(s))")
            throw ExitCode.failure
        }
    }

    private func printVerdicts(_ verdicts: [GateVerdict], heading: String) {
        print("\nlatency gate, \(heading):")
        for verdict in verdicts {
            let rule = verdict.rule
            print("  \(Format.left(verdict.outcome.rawValue, 4)) \(rule.metric) \(rule.target) ×\(rule.connections): \(verdict.reason)")
        }
    }

    private func benchConfiguration(_ settings: GateBaseline.BenchSettings) throws -> TCPBenchConfiguration {
        TCPBenchConfiguration(
            durationSeconds: settings.durationSeconds,
            warmupSeconds: settings.warmupSeconds,
            rounds: settings.rounds,
            connections: settings.connections,
            loops: settings.loops,
            ringgatePath: ringgate,
            buildRingGate: !noBuildRinggate,
            ringgateBackends: ["io_uring", "epoll"],
            includeHAProxy: true,
            quick: true,
            workDirectory: try TCPBench.makeWorkDirectory()
        )
    }

    static func readBaseline(_ path: String) throws -> GateBaseline {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let baseline: GateBaseline
        do {
            baseline = try decoder.decode(GateBaseline.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw BenchError("cannot read the gate baseline \(path): \(error)")
        }
        guard baseline.schema == GateBaseline.schemaName else {
            throw BenchError("\(path): schema '\(baseline.schema)', expected '\(GateBaseline.schemaName)'")
        }
        let settings = baseline.bench
        guard settings.durationSeconds > 0, settings.durationSeconds <= 60, settings.warmupSeconds >= 0,
              settings.rounds >= 1, settings.rounds <= 20, !settings.connections.isEmpty,
              settings.connections.allSatisfy({ $0 >= 1 && $0 <= 10_000 }), settings.loops >= 1, settings.loops <= 64
        else { throw BenchError("\(path): bench settings out of range") }
        for rule in baseline.rules where GateMetric(rawValue: rule.metric) == nil || (rule.min == nil && rule.max == nil) {
            throw BenchError("\(path): rule '\(rule.metric)' for \(rule.target) needs a known metric and a min or max")
        }
        return baseline
    }

    static func defaultBaselinePath() -> String {
        if let directory = RingGateBinary.benchDirectory(), let root = RingGateBinary.packageRoot(from: directory) {
            return "\(root)/perf/baselines/tcp.json"
        }
        return "perf/baselines/tcp.json"
    }
}
