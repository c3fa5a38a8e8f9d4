import ArgumentParser
import Foundation

/// `bench pg`: pgbench through ringgate (`tcp` relay and `postgres` with blocking and masking
/// on), pgbouncer and haproxy, against direct PostgreSQL 15, plus a large masked read.
struct PGBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg",
        abstract: "pgbench SELECT 1 and -S in simple, extended and prepared modes through ringgate and its peers, against direct.",
        discussion: """
            Starts its own PostgreSQL 15 (initdb in a temporary directory), ringgate serve with a tcp relay \
            and a postgres resource (token login, blocking rules, column and detector masks), pgbouncer \
            (session mode) and haproxy where installed. Every cell runs every target, the order rotating; \
            numbers are medians across rounds. Then a large result read by psql, direct and through ringgate.
            """
    )

    @Option(help: "Seconds per pgbench run (default 5, or 2 with --quick).")
    var duration: Double?

    @Option(help: "Interleaved rounds (default 1).")
    var rounds: Int = 1

    @Option(help: "Comma-separated client counts.")
    var clients: String = "1,16"

    @Option(help: "Comma-separated pgbench query modes.")
    var modes: String = "simple,extended,prepared"

    @Option(help: "Comma-separated scripts: select-1, select-only.")
    var scripts: String = "select-1,select-only"

    @Option(help: "Rows of the large masked read (0: skip; default 1000000, or 200000 with --quick).")
    var largeRows: Int?

    @Option(help: "The ringgate executable (default: the one next to the bench executable, rebuilt first).")
    var ringgate: String?

    @Option(help: "Another ringgate executable (an earlier build) to measure beside this one, same rounds and configuration (target baseline-postgres).")
    var baseline: String?

    @Flag(help: "Also measure this ringgate with the control API and its store on (target control-postgres).")
    var withControl = false

    @Flag(help: "Do not run `swift build --product ringgate` before measuring.")
    var noBuildRinggate = false

    @Flag(help: "Leave pgbouncer and haproxy out.")
    var noPeers = false

    @Option(help: "Where to write the JSON results (default: .build/bench/pg-latest.json in the package).")
    var json: String?

    @Flag(help: "A short run: 2 s per cell, a 200,000-row large result.")
    var quick = false

    func validate() throws {
        guard rounds >= 1, rounds <= 20 else { throw ValidationError("--rounds must be between 1 and 20") }
        for mode in modes.split(separator: ",") where !["simple", "extended", "prepared"].contains(String(mode)) {
            throw ValidationError("unknown mode '\(mode)' (simple, extended, prepared)")
        }
        for script in scripts.split(separator: ",") where PGBenchClient.Script(rawValue: String(script)) == nil {
            throw ValidationError("unknown script '\(script)' (select-1, select-only)")
        }
        if clients.split(separator: ",").contains(where: { Int($0).map { $0 < 1 || $0 > 100 } ?? true }) {
            throw ValidationError("--clients takes counts between 1 and 100")
        }
    }

    func run() throws {
        let report = try PGBench.run(configuration())
        print(report.render())
        let path = json ?? TCPBench.defaultJSONPath(name: "pg-latest.json")
        try PGBench.write(report, to: path)
        print("\nJSON: \(path)")
    }

    func configuration() throws -> PGBenchConfiguration {
        PGBenchConfiguration(
            secondsPerRun: duration ?? (quick ? 2 : 5), rounds: rounds,
            clients: clients.split(separator: ",").compactMap { Int($0) },
            modes: modes.split(separator: ",").map(String.init),
            scripts: scripts.split(separator: ",").compactMap { PGBenchClient.Script(rawValue: String($0)) },
            largeRows: largeRows ?? (quick ? 200_000 : 1_000_000),
            ringgatePath: try PGBench.ringgate(path: ringgate, build: !noBuildRinggate), baselinePath: baseline, withControl: withControl,
            includePeers: !noPeers, work: try TCPBench.makeWorkDirectory())
    }
}

enum PGBench {
    static func run(_ configuration: PGBenchConfiguration) throws -> PGBenchReport {
        signal(SIGPIPE, SIG_IGN)
        FileHandle.standardError.write(Data("[bench pg] configs and logs in \(configuration.work)\n".utf8))
        return try PGBenchRunner.run(configuration) { line in
            FileHandle.standardError.write(Data("[bench pg] \(line)\n".utf8))
        }
    }

    /// The ringgate executable: the given path, or the release build next to the bench (rebuilt).
    static func ringgate(path: String?, build: Bool) throws -> String {
        if let path { return path }
        guard let directory = RingGateBinary.benchDirectory() else { throw BenchError("cannot find the bench executable's directory") }
        if build, let root = RingGateBinary.packageRoot(from: directory) {
            let configuration = directory.hasSuffix("/debug") ? "debug" : "release"
            if let problem = RingGateBinary.build(packageRoot: root, configuration: configuration) { throw BenchError(problem) }
        }
        let candidate = directory + "/ringgate"
        guard access(candidate, X_OK) == 0 else { throw BenchError("no ringgate executable at \(candidate)") }
        return candidate
    }

    static func write(_ report: PGBenchReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    }
}
