/// Renders a `TCPBenchReport` as the plain-text table `bench tcp` prints.
enum ResultTable {
    static func render(_ report: TCPBenchReport) -> String {
        let config = report.configuration
        var lines: [String] = []
        lines.append(
            "TCP ping-pong, \(config.messageBytes)-byte messages over loopback, one message outstanding per connection; "
                + "medians of \(config.rounds) interleaved round(s) × \(Format.fixed(config.durationSeconds, 1)) s "
                + "(warm-up \(Format.fixed(config.warmupSeconds, 2)) s); proxies: \(config.loops) loop(s)/thread(s); "
                + "host: \(report.host.cpus) CPUs, Linux \(report.host.kernel)"
                + (report.host.loadAverageStart.map { ", load average \(Format.fixed($0, 2)) at start" } ?? "")
        )
        if config.tls == true {
            lines.append(
                "TLS 1.3 between client and proxies (handshakes at set-up, not measured); proxies relay plaintext "
                    + "to the echo server; direct is plaintext, so added latency includes the proxy's TLS work"
            )
        }
        lines.append("")
        let columns: [(String, Int)] = [
            ("target", 20), ("conns", 5), ("p50 µs", 9), ("p99 µs", 9), ("p99.9 µs", 9), ("RT/s", 10),
            ("+p50 µs", 9), ("+p99 µs", 9), ("p50/direct", 11), ("CPU µs/RT", 10),
        ]
        lines.append(row(columns.map(\.0), widths: columns.map(\.1)))
        lines.append(String(repeating: "-", count: columns.map(\.1).reduce(0, +) + columns.count - 1))
        for series in report.series {
            lines.append(row([
                series.target,
                "\(series.connections)",
                Format.fixed(series.p50Microseconds, 1),
                Format.fixed(series.p99Microseconds, 1),
                Format.fixed(series.p999Microseconds, 1),
                Format.grouped(series.roundTripsPerSecond),
                Format.signed(series.addedP50Microseconds, 1),
                Format.signed(series.addedP99Microseconds, 1),
                Format.ratio(series.p50RatioVsDirect),
                Format.fixed(series.cpuMicrosecondsPerRoundTrip, 2),
            ], widths: columns.map(\.1)))
        }
        if config.tls == true { lines.append(tlsAllocationLine(report)) }
        for target in report.targets where target.status != "measured" {
            lines.append("\(target.name): \(target.status) — \(target.reason ?? "no reason recorded")")
        }
        if report.vsHaproxy.isEmpty {
            let haproxyMeasured = report.series.contains { $0.target == "haproxy" }
            let ringgateMeasured = report.series.contains { $0.target.hasPrefix("ringgate-") }
            if !haproxyMeasured || !ringgateMeasured {
                lines.append("")
                lines.append("vs haproxy: not available (\(!ringgateMeasured ? "no ringgate target measured" : "haproxy not measured"))")
            }
        }
        for comparison in report.vsHaproxy {
            lines.append("")
            lines.append(
                "\(comparison.target) vs haproxy: p50 \(Format.ratio(comparison.p50Ratio)) at \(comparison.singleConnections) conn; "
                    + "added p50 \(Format.ratio(comparison.addedP50Ratio)) at \(comparison.singleConnections) conn; "
                    + "RT/s \(Format.ratio(comparison.roundTripsPerSecondRatio)) and CPU/RT \(Format.ratio(comparison.cpuPerRoundTripRatio)) "
                    + "at \(comparison.multiConnections) conns"
            )
            // Issue 2 states its goals for the io_uring backend in plaintext; the rest is shown for information.
            let label = comparison.target == "ringgate-io_uring" && config.tls != true ? "goal" : "info"
            for goal in comparison.goals {
                let verdict = goal.met.map { $0 ? "MET" : "NOT MET" } ?? "n/a"
                lines.append("  \(label) \(Format.left(verdict, 7)) \(goal.description): \(Format.ratio(goal.ratio)) (needs \(goal.comparison) \(Format.ratio(goal.limit)))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The client's allocations while measuring: the bench's own, and OpenSSL's per round trip.
    private static func tlsAllocationLine(_ report: TCPBenchReport) -> String {
        let samples = report.series.flatMap(\.samples)
        let own = samples.reduce(UInt64(0)) { $0 + ($1.benchAllocations &- ($1.tlsLibraryAllocations ?? 0)) }
        let tlsSamples = samples.filter { $0.tlsLibraryAllocations != nil }
        let library = tlsSamples.reduce(UInt64(0)) { $0 + ($1.tlsLibraryAllocations ?? 0) }
        let roundTrips = tlsSamples.reduce(UInt64(0)) { $0 + $1.roundTrips }
        let perRoundTrip = roundTrips > 0 ? Format.fixed(Double(library) / Double(roundTrips), 2) : "-"
        return "bench allocations while measuring: \(own) outside OpenSSL, \(library) inside SSL_read/SSL_write "
            + "(\(perRoundTrip) per TLS round trip)"
    }

    private static func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).enumerated().map { index, pair in
            index == 0 ? Format.left(pair.0, pair.1) : Format.right(pair.0, pair.1)
        }.joined(separator: " ")
    }
}
