import Foundation

/// Starts PostgreSQL and the proxies, then runs every (script, mode, clients) cell against
/// every target in interleaved rounds (the target order rotates per cell and round).
struct PGBenchConfiguration {
    var secondsPerRun: Double
    var rounds: Int
    var clients: [Int]
    var modes: [String]
    var scripts: [PGBenchClient.Script]
    var largeRows: Int
    var ringgatePath: String
    /// An earlier ringgate build measured beside ``ringgatePath`` (target `baseline-postgres`).
    var baselinePath: String?
    /// Also measure ``ringgatePath`` with the control API and store on (target `control-postgres`).
    var withControl = false
    var includePeers: Bool
    var work: String
}

enum PGBenchRunner {
    static func run(_ configuration: PGBenchConfiguration, log: (String) -> Void) throws -> PGBenchReport {
        let work = configuration.work
        let startedAt = ISO8601DateFormatter().string(from: Date())
        log("PostgreSQL 15 in \(work)/pg")
        let cluster = try PostgresCluster(workDirectory: work)
        defer { cluster.stop() }
        try cluster.psql("CREATE ROLE \(PGTargets.user) LOGIN PASSWORD '\(PGTargets.password)'")
        try cluster.psql("CREATE DATABASE bench OWNER \(PGTargets.user)")
        try Command.run(["pgbench", "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-p", "\(cluster.port)", "-U", PGTargets.user, "bench"],
                        environment: ["PGPASSWORD": PGTargets.password])
        try "SELECT 1;\n".write(toFile: work + "/select1.sql", atomically: true, encoding: .utf8)
        if configuration.largeRows > 0 {
            log("large result table: \(configuration.largeRows) rows")
            try LargeResult.prepare(cluster, rows: configuration.largeRows)
        }

        var targets = [PGTarget(name: "direct", port: cluster.port, password: PGTargets.password, process: nil)]
        targets += try PGTargets.startRingGate(executable: configuration.ringgatePath, work: work, upstreamPort: cluster.port)
        if let baseline = configuration.baselinePath {
            targets += try PGTargets.startRingGate(executable: baseline, work: work, upstreamPort: cluster.port, variant: "baseline")
        }
        if configuration.withControl {
            targets += try PGTargets.startRingGate(
                executable: configuration.ringgatePath, work: work, upstreamPort: cluster.port, variant: "control")
        }
        var skipped: [String] = []
        if configuration.includePeers {
            if let bouncer = try PGTargets.startPgBouncer(work: work, upstreamPort: cluster.port) { targets.append(bouncer) }
            else { skipped.append("pgbouncer (not installed)") }
            if let haproxy = try PGTargets.startHAProxy(work: work, upstreamPort: cluster.port) { targets.append(haproxy) }
            else { skipped.append("haproxy (not installed)") }
        }
        defer { for target in targets { target.process?.stop() } }

        var samples: [String: [PGBenchSample]] = [:]
        func key(_ script: PGBenchClient.Script, _ mode: String, _ clients: Int, _ target: String) -> String {
            "\(script.rawValue)|\(mode)|\(clients)|\(target)"
        }
        var cell = 0
        for round in 1...configuration.rounds {
            for script in configuration.scripts {
                for mode in configuration.modes {
                    for clients in configuration.clients {
                        let shift = (cell + round) % targets.count
                        cell += 1
                        for target in Array(targets[shift...] + targets[..<shift]) {
                            let sample = try PGBenchClient.run(target: target, script: script, mode: mode, clients: clients,
                                                               seconds: configuration.secondsPerRun, work: work)
                            samples[key(script, mode, clients, target.name), default: []].append(sample)
                            log("round \(round) \(script.rawValue) \(mode) \(clients)c \(target.name): \(Int(sample.tps)) tps, "
                                + "p50 \(Format.fixed(sample.p50Milliseconds, 3)) ms")
                        }
                    }
                }
            }
        }

        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var rows: [PGBenchReport.Row] = []
        for script in configuration.scripts {
            for mode in configuration.modes {
                for clients in configuration.clients {
                    let direct = samples[key(script, mode, clients, "direct")]
                    for target in targets {
                        guard let runs = samples[key(script, mode, clients, target.name)], !runs.isEmpty else { continue }
                        let tps = median(runs.map(\.tps))
                        let p50 = median(runs.map(\.p50Milliseconds))
                        let cpu = runs.compactMap(\.proxyCPUMicroseconds)
                        rows.append(PGBenchReport.Row(
                            script: script, mode: mode, clients: clients, target: target.name, tps: tps, p50Milliseconds: p50,
                            p99Milliseconds: median(runs.map(\.p99Milliseconds)), proxyCPUMicroseconds: cpu.isEmpty ? nil : median(cpu),
                            tpsRatioToDirect: direct.map { tps / median($0.map(\.tps)) },
                            addedP50Microseconds: direct.map { (p50 - median($0.map(\.p50Milliseconds))) * 1000 }))
                    }
                }
            }
        }

        var large: [LargeResult.Sample] = []
        let largeRounds = max(configuration.rounds, 3)
        var leaks: Int?
        if configuration.largeRows > 0 {
            let readers = targets.filter { ["direct", "ringgate-tcp", "ringgate-postgres"].contains($0.name) }
            log("large result: \(configuration.largeRows) rows through \(readers.map(\.name).joined(separator: ", "))")
            large = try LargeResult.measure(targets: readers, rows: configuration.largeRows, rounds: largeRounds, work: work)
            leaks = LargeResult.leakedValues(work: work)
        }
        return PGBenchReport(startedAt: startedAt, secondsPerRun: configuration.secondsPerRun, rounds: configuration.rounds,
                             rows: rows, largeResult: large, largeResultLeaks: leaks, largeRounds: largeRounds, skipped: skipped)
    }
}
