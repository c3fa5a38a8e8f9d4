import Foundation

/// One pgbench measurement: `pgbench -n -M MODE (-S | -f select1.sql) -c N -j N -T SECONDS -l`
/// against a target, with the per-transaction log read back for latency percentiles.
struct PGBenchSample: Codable {
    var transactions: Int
    var tps: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    /// The proxy's CPU time per transaction (nil for direct).
    var proxyCPUMicroseconds: Double?
}

enum PGBenchClient {
    enum Script: String, CaseIterable, Codable {
        case select1 = "select-1"
        case selectOnly = "select-only"
    }

    static func run(
        target: PGTarget, script: Script, mode: String, clients: Int, seconds: Double, work: String
    ) throws -> PGBenchSample {
        let logDirectory = work + "/pgbench-logs"
        try? FileManager.default.removeItem(atPath: logDirectory)
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        var arguments = ["pgbench", "-n", "-M", mode, "-c", "\(clients)", "-j", "\(clients)",
                         "-T", "\(max(1, Int(seconds.rounded())))", "-l", "--log-prefix=\(logDirectory)/tx",
                         "-h", "127.0.0.1", "-p", "\(target.port)", "-U", PGTargets.user, "bench"]
        switch script {
        case .select1: arguments.insert(contentsOf: ["-f", work + "/select1.sql"], at: 2)
        case .selectOnly: arguments.insert("-S", at: 2)
        }
        let before = try target.process?.cpuTime()
        let result = try Command.run(arguments, environment: ["PGPASSWORD": target.password], check: false)
        let after = try target.process?.cpuTime()
        guard result.status == 0, let tps = Self.value(after: "tps = ", in: result.output) else {
            throw BenchError("pgbench against \(target.name) failed (\(result.status)): \(result.error.suffix(1500))\(result.output.suffix(500))")
        }
        if let failed = Self.value(after: "number of failed transactions: ", in: result.output), failed > 0 {
            throw BenchError("pgbench against \(target.name): \(Int(failed)) failed transactions")
        }
        var latencies: [Int] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: logDirectory) {
            let text = try String(contentsOfFile: logDirectory + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count >= 3, let microseconds = Int(fields[2]) { latencies.append(microseconds) }
            }
        }
        guard !latencies.isEmpty else { throw BenchError("pgbench against \(target.name) logged no transaction") }
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000
        }
        var cpu: Double?
        if let before, let after { cpu = after.seconds(since: before) * 1e6 / Double(latencies.count) }
        return PGBenchSample(transactions: latencies.count, tps: tps, p50Milliseconds: percentile(0.5),
                             p99Milliseconds: percentile(0.99), proxyCPUMicroseconds: cpu)
    }

    /// The number after `label` on its line of pgbench's report.
    static func value(after label: String, in output: String) -> Double? {
        guard let range = output.range(of: label) else { return nil }
        let rest = output[range.upperBound...].prefix { $0 == "." || $0.isNumber }
        return Double(rest)
    }
}
