import Foundation

/// What `bench pg` measured: one row per (script, mode, clients, target), medians across rounds,
/// and the large masked read.
struct PGBenchReport: Codable {
    struct Row: Codable {
        var script: PGBenchClient.Script
        var mode: String
        var clients: Int
        var target: String
        var tps: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var proxyCPUMicroseconds: Double?
        /// TPS relative to direct.
        var tpsRatioToDirect: Double?
        /// p50 minus direct's p50, in microseconds.
        var addedP50Microseconds: Double?
    }

    var startedAt: String
    var secondsPerRun: Double
    var rounds: Int
    var rows: [Row]
    var largeResult: [LargeResult.Sample]
    var largeResultLeaks: Int?
    var largeRounds: Int
    var skipped: [String]

    func row(_ script: PGBenchClient.Script, _ mode: String, _ clients: Int, _ target: String) -> Row? {
        rows.first { $0.script == script && $0.mode == mode && $0.clients == clients && $0.target == target }
    }

    /// The table printed at the end of a run.
    func render() -> String {
        var lines: [String] = []
        lines.append("bench pg: pgbench through each target, \(Format.fixed(secondsPerRun, 1)) s per run, median of \(rounds) round(s)")
        lines.append([
            Format.left("script", 12), Format.left("mode", 9), Format.right("clients", 7), "  " + Format.left("target", 18),
            Format.right("tps", 9), Format.right("p50 ms", 8), Format.right("p99 ms", 8), Format.right("vs direct", 9),
            Format.right("+p50 µs", 8), Format.right("cpu µs/tx", 9),
        ].joined(separator: " "))
        for row in rows {
            lines.append([
                Format.left(row.script.rawValue, 12), Format.left(row.mode, 9), Format.right("\(row.clients)", 7),
                "  " + Format.left(row.target, 18), Format.right(Format.fixed(row.tps, 0), 9),
                Format.right(Format.fixed(row.p50Milliseconds, 3), 8), Format.right(Format.fixed(row.p99Milliseconds, 3), 8),
                Format.right(Format.ratio(row.tpsRatioToDirect), 9), Format.right(Format.fixed(row.addedP50Microseconds, 0), 8),
                Format.right(Format.fixed(row.proxyCPUMicroseconds, 1), 9),
            ].joined(separator: " "))
        }
        lines.append("")
        lines.append("ringgate-postgres (blocking and masking on) against the targets, same cell:")
        for row in rows where row.target == "ringgate-postgres" {
            var parts: [String] = []
            if let relay = self.row(row.script, row.mode, row.clients, "ringgate-tcp") {
                parts.append("tps \(Format.ratio(row.tps / relay.tps)) of tcp relay")
            }
            if let bouncer = self.row(row.script, row.mode, row.clients, "pgbouncer") {
                parts.append("tps \(Format.ratio(row.tps / bouncer.tps)) of pgbouncer")
                if let mine = row.proxyCPUMicroseconds, let theirs = bouncer.proxyCPUMicroseconds, theirs > 0 {
                    parts.append("cpu/tx \(Format.ratio(mine / theirs)) of pgbouncer")
                }
                if let added = row.addedP50Microseconds, let theirs = bouncer.addedP50Microseconds {
                    parts.append("+p50 \(Format.fixed(added, 0)) µs vs pgbouncer \(Format.fixed(theirs, 0)) µs")
                }
            }
            lines.append("  \(row.script.rawValue) \(row.mode) \(row.clients) clients: " + parts.joined(separator: ", "))
        }
        for (variant, what) in [("baseline-postgres", "the --baseline build"), ("control-postgres", "control API and store on")] {
            let variantRows = rows.filter { $0.target == variant }
            guard !variantRows.isEmpty else { continue }
            lines.append("")
            lines.append("ringgate-postgres against \(variant) (\(what)), same cell:")
            for base in variantRows {
                guard let row = self.row(base.script, base.mode, base.clients, "ringgate-postgres") else { continue }
                var parts = ["tps \(Format.ratio(row.tps / base.tps))"]
                if let mine = row.proxyCPUMicroseconds, let theirs = base.proxyCPUMicroseconds, theirs > 0 {
                    parts.append("cpu/tx \(Format.ratio(mine / theirs))")
                }
                if let added = row.addedP50Microseconds, let theirs = base.addedP50Microseconds {
                    parts.append("+p50 \(Format.fixed(added, 0)) µs vs \(Format.fixed(theirs, 0)) µs")
                }
                lines.append("  \(row.script.rawValue) \(row.mode) \(row.clients) clients: " + parts.joined(separator: ", "))
            }
        }
        if !largeResult.isEmpty {
            lines.append("")
            lines.append("large result: SELECT * FROM big (\(largeResult.first?.rows ?? 0) rows) read by psql, best of \(largeRounds)")
            for sample in largeResult {
                lines.append("  " + Format.left(sample.target, 18) + Format.right(Format.fixed(sample.seconds, 3), 8) + " s "
                    + Format.right(Format.grouped(sample.rowsPerSecond), 12) + " rows/s"
                    + (sample.addedPercent.map { "  added " + Format.signed($0, 1) + "%" } ?? ""))
            }
            if let leaks = largeResultLeaks { lines.append("  unmasked card or e-mail values in the gateway's output: \(leaks)") }
        }
        lines.append("")
        lines.append("p50/p99 come from pgbench's per-transaction log; with more clients than cores pgbench reuses one")
        lines.append("timestamp for transactions it completes in one poll (0 µs latencies), so at 16 clients compare tps and cpu.")
        for line in skipped { lines.append("skipped: " + line) }
        return lines.joined(separator: "\n")
    }
}
