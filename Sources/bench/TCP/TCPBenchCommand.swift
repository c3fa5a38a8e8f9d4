import ArgumentParser
import Foundation

/// `bench tcp`: 64-byte ping-pong latency and throughput, direct vs RingGate vs haproxy.
struct TCPBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcp",
        abstract: "64-byte TCP ping-pong through ringgate forward (io_uring, epoll) and haproxy, against direct.",
        discussion: """
            Starts an epoll echo server in the bench process, the proxies as child processes on free \
            loopback ports, and measures every target at each connection count in interleaved rounds. \
            Prints medians across rounds and writes the same numbers as JSON (schema in perf/README.md).
            """
    )

    @Option(help: "Measured seconds per target, connection count and round (default 3, or 0.5 with --quick).")
    var duration: Double?

    @Option(help: "Unmeasured warm-up seconds before each measurement (default 0.5, or 0.2 with --quick).")
    var warmup: Double?

    @Option(help: "Interleaved rounds; reported numbers are medians across them (default 3).")
    var rounds: Int?

    @Option(help: "Comma-separated connection counts.")
    var connections: String = "1,16"

    @Option(help: "Event loops for ringgate and threads for haproxy.")
    var loops: Int = 1

    @Option(help: "The ringgate executable (default: the one next to the bench executable, rebuilt first).")
    var ringgate: String?

    @Flag(help: "Do not run `swift build --product ringgate` before measuring.")
    var noBuildRinggate = false

    @Option(help: "Comma-separated ringgate backends to measure.")
    var backends: String = "io_uring,epoll"

    @Flag(help: "Leave haproxy out even when it is installed.")
    var noHaproxy = false

    @Flag(help: "Leave direct out (no added-latency columns); for profiling a proxy alone.")
    var noDirect = false

    @Option(help: "Where to write the JSON results (default: .build/bench/tcp-latest.json in the package).")
    var json: String?

    @Flag(help: "Keep the proxy configs and logs even when every target ran cleanly.")
    var keepLogs = false

    @Flag(help: "A short run for CI smoke tests and the latency gate.")
    var quick = false

    @Flag(help: "Client speaks TLS 1.3 to each proxy, which terminates it and relays plaintext to the echo server (direct stays plaintext). Certificates from scripts/make-test-certs.sh.")
    var tls = false

    func validate() throws {
        _ = try parsedConnections()
        guard loops >= 1, loops <= 64 else { throw ValidationError("--loops must be between 1 and 64") }
        if let rounds, rounds < 1 || rounds > 100 { throw ValidationError("--rounds must be between 1 and 100") }
        if let duration, !(duration > 0 && duration <= 600) { throw ValidationError("--duration must be in (0, 600] seconds") }
        if let warmup, !(warmup >= 0 && warmup <= 60) { throw ValidationError("--warmup must be in [0, 60] seconds") }
        for backend in parsedBackends() where backend != "io_uring" && backend != "epoll" {
            throw ValidationError("unknown backend '\(backend)' (io_uring, epoll)")
        }
    }

    func run() throws {
        let configuration = try benchConfiguration()
        let report = try TCPBench.run(configuration)
        TCPBench.cleanUp(configuration.workDirectory, after: report, keep: keepLogs)
        print(ResultTable.render(report))
        let path = json ?? TCPBench.defaultJSONPath(name: tls ? "tcp-tls-latest.json" : "tcp-latest.json")
        try TCPBench.write(report, to: path)
        print("\nJSON: \(path)")
    }

    func benchConfiguration() throws -> TCPBenchConfiguration {
        TCPBenchConfiguration(
            durationSeconds: duration ?? (quick ? 0.5 : 3),
            warmupSeconds: warmup ?? (quick ? 0.2 : 0.5),
            rounds: rounds ?? 3,
            connections: try parsedConnections(),
            loops: loops,
            ringgatePath: ringgate,
            buildRingGate: !noBuildRinggate,
            ringgateBackends: parsedBackends(),
            includeHAProxy: !noHaproxy,
            includeDirect: !noDirect,
            tls: tls,
            quick: quick,
            workDirectory: try TCPBench.makeWorkDirectory()
        )
    }

    private func parsedConnections() throws -> [Int] {
        var counts: [Int] = []
        for part in connections.split(separator: ",") {
            guard let count = Int(part.trimmingCharacters(in: .whitespaces)), count >= 1, count <= 10_000 else {
                throw ValidationError("--connections takes counts between 1 and 10000 separated by commas, got '\(connections)'")
            }
            if !counts.contains(count) { counts.append(count) }
        }
        guard !counts.isEmpty else { throw ValidationError("--connections is empty") }
        return counts
    }

    private func parsedBackends() -> [String] {
        backends.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// Running the TCP benchmark and storing its results; shared by `bench tcp` and `bench gate`.
enum TCPBench {
    /// Runs the whole benchmark with progress on stderr.
    static func run(_ configuration: TCPBenchConfiguration) throws -> TCPBenchReport {
        signal(SIGPIPE, SIG_IGN)
        let runner = TCPBenchRunner(configuration: configuration) { line in
            FileHandle.standardError.write(Data("[bench] \(line)\n".utf8))
        }
        FileHandle.standardError.write(Data("[bench] proxy configs and logs in \(configuration.workDirectory)\n".utf8))
        return try runner.run()
    }

    /// Removes the run's config and log directory when every target was measured (nothing to
    /// investigate) unless `keep`; otherwise says where the logs are.
    static func cleanUp(_ workDirectory: String, after report: TCPBenchReport, keep: Bool) {
        let clean = report.targets.allSatisfy { $0.status == "measured" }
        if clean, !keep {
            try? FileManager.default.removeItem(atPath: workDirectory)
        } else {
            FileHandle.standardError.write(Data("[bench] proxy configs and logs kept in \(workDirectory)\n".utf8))
        }
    }

    /// Writes the report as pretty, key-sorted JSON with snake_case keys, creating directories.
    static func write(_ report: TCPBenchReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(report).write(to: url)
    }

    /// Reads a report written by `write`.
    static func read(from path: String) throws -> TCPBenchReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(TCPBenchReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// `<package>/.build/bench/<name>` when the bench runs from a package build, else under /tmp.
    static func defaultJSONPath(name: String) -> String {
        if let directory = RingGateBinary.benchDirectory(), let root = RingGateBinary.packageRoot(from: directory) {
            return "\(root)/.build/bench/\(name)"
        }
        return "/tmp/ringgate-bench/\(name)"
    }

    /// A fresh private directory for proxy configs and logs.
    static func makeWorkDirectory() throws -> String {
        var template = Array("/tmp/ringgate-bench-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
            guard let base = buffer.baseAddress else { return nil }
            return mkdtemp(base)
        }
        guard let created = made else {
            throw SystemError("mkdtemp")
        }
        return String(cString: created)
    }
}
