/// Turns per-round samples into the report: medians across rounds, added latency over `direct`
/// paired round by round, and each RingGate target against haproxy with issue 2's goals.
struct TCPBenchReportBuilder {
    typealias Sample = TCPBenchReport.Sample

    /// Target names in the order rows are shown.
    let targetOrder: [String]
    let connections: [Int]
    /// Samples by target name, then connection count.
    let samples: [String: [Int: [Sample]]]

    /// Issue 2: RingGate (io_uring) RT/s at 16 connections must reach this multiple of haproxy's.
    static let throughputGoal = 1.2

    func report(
        startedAt: String,
        host: TCPBenchReport.HostInfo,
        configuration: TCPBenchReport.Configuration,
        targets: [TCPBenchReport.TargetStatus]
    ) -> TCPBenchReport {
        var seriesList: [TCPBenchReport.Series] = []
        for target in targetOrder {
            for count in connections {
                if let series = series(target: target, connections: count) { seriesList.append(series) }
            }
        }
        let comparisons = targetOrder
            .filter { $0.hasPrefix("ringgate-") }
            .compactMap { comparison(target: $0, series: seriesList) }
        return TCPBenchReport(
            startedAt: startedAt, host: host, configuration: configuration,
            targets: targets, series: seriesList, vsHaproxy: comparisons
        )
    }

    func series(target: String, connections count: Int) -> TCPBenchReport.Series? {
        guard let own = samples[target]?[count], !own.isEmpty else { return nil }
        let direct = target == "direct" ? [] : (samples["direct"]?[count] ?? [])
        let pairs = Self.pairByRound(own, direct)
        let median = { (metric: (Sample) -> Double?) in Statistics.median(own.compactMap(metric)) }
        let pairedMedian = { (metric: (Sample, Sample) -> Double?) -> Double? in
            pairs.isEmpty ? nil : Statistics.median(pairs.compactMap(metric))
        }
        return TCPBenchReport.Series(
            target: target,
            connections: count,
            p50Microseconds: median(\.p50Microseconds) ?? 0,
            p99Microseconds: median(\.p99Microseconds) ?? 0,
            p999Microseconds: median(\.p999Microseconds) ?? 0,
            roundTripsPerSecond: median(\.roundTripsPerSecond) ?? 0,
            cpuMicrosecondsPerRoundTrip: median(\.cpuMicrosecondsPerRoundTrip),
            addedP50Microseconds: pairedMedian { $0.p50Microseconds - $1.p50Microseconds },
            addedP99Microseconds: pairedMedian { $0.p99Microseconds - $1.p99Microseconds },
            p50RatioVsDirect: pairedMedian { Statistics.ratio($0.p50Microseconds, $1.p50Microseconds) },
            roundTripsPerSecondRatioVsDirect: pairedMedian { Statistics.ratio($0.roundTripsPerSecond, $1.roundTripsPerSecond) },
            samples: own
        )
    }

    func comparison(target: String, series seriesList: [TCPBenchReport.Series]) -> TCPBenchReport.HAProxyComparison? {
        guard samples["haproxy"] != nil, samples[target] != nil, let largest = connections.max(), let smallest = connections.min() else {
            return nil
        }
        // Issue 2 states its goals at 1 and 16 connections; other counts stand in when those were not run.
        let single = connections.contains(1) ? 1 : smallest
        let multi = connections.contains(16) ? 16 : largest
        let find = { (name: String, count: Int) in seriesList.first { $0.target == name && $0.connections == count } }
        let ownSingle = find(target, single)
        let peerSingle = find("haproxy", single)
        let pairedRatio = { (count: Int, metric: (Sample) -> Double?) -> Double? in
            let pairs = Self.pairByRound(samples[target]?[count] ?? [], samples["haproxy"]?[count] ?? [])
            return pairs.isEmpty ? nil : Statistics.median(pairs.compactMap { Statistics.ratio(metric($0), metric($1)) })
        }

        let addedOwn = ownSingle?.addedP50Microseconds
        let addedPeer = peerSingle?.addedP50Microseconds
        let addedRatio = Statistics.ratio(addedOwn, addedPeer)
        let throughputRatio = pairedRatio(multi) { $0.roundTripsPerSecond }
        let cpuRatio = pairedRatio(multi) { $0.cpuMicrosecondsPerRoundTrip }

        let addedMet: Bool? = {
            guard let addedOwn, let addedPeer else { return nil }
            return addedOwn <= addedPeer
        }()
        let goals = [
            TCPBenchReport.Goal(
                name: "added_p50_single",
                description: "p50 added latency at \(single) connection(s) no more than haproxy's",
                ratio: addedRatio, limit: 1.0, comparison: "<=", met: addedMet
            ),
            TCPBenchReport.Goal(
                name: "round_trips_per_second_multi",
                description: "round trips per second at \(multi) connections at least \(Format.fixed(Self.throughputGoal, 1))x haproxy's",
                ratio: throughputRatio, limit: Self.throughputGoal, comparison: ">=",
                met: throughputRatio.map { $0 >= Self.throughputGoal }
            ),
            TCPBenchReport.Goal(
                name: "cpu_per_round_trip_multi",
                description: "proxy CPU per round trip at \(multi) connections no more than haproxy's",
                ratio: cpuRatio, limit: 1.0, comparison: "<=", met: cpuRatio.map { $0 <= 1.0 }
            ),
        ]
        return TCPBenchReport.HAProxyComparison(
            target: target,
            singleConnections: single,
            multiConnections: multi,
            addedP50Ratio: addedRatio,
            p50Ratio: pairedRatio(single) { $0.p50Microseconds },
            roundTripsPerSecondRatio: throughputRatio,
            cpuPerRoundTripRatio: cpuRatio,
            goals: goals
        )
    }

    /// Samples of two targets taken in the same round, side by side.
    static func pairByRound(_ first: [Sample], _ second: [Sample]) -> [(Sample, Sample)] {
        first.compactMap { sample in second.first { $0.round == sample.round }.map { (sample, $0) } }
    }
}
