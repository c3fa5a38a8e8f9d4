import CAllocCounter
import COpenSSLMemory
import Histogram

#if canImport(Glibc)
import Glibc
#endif

/// Runs the TCP ping-pong benchmark: starts the echo server and the proxies, warms each up,
/// then measures every (target, connections) pair in interleaved rounds (the order rotates
/// each round, so no target always runs first or last) and builds the report.
///
/// With `tls` set it first makes a throwaway certificate set, starts the proxies terminating
/// TLS with it, and connects to them through a ``TLSClientContext`` that trusts only its CA.
final class TCPBenchRunner {
    private let configuration: TCPBenchConfiguration
    private let log: (String) -> Void
    /// The certificates and client context of a `--tls` run; nil for plaintext.
    private var certificates: TLSBenchCertificates?
    private var tlsClient: TLSClientContext?
    private var statuses: [TCPBenchReport.TargetStatus] = []
    private var running: [RunningTarget] = []
    /// Samples by target name, then connection count.
    private var samples: [String: [Int: [TCPBenchReport.Sample]]] = [:]

    init(configuration: TCPBenchConfiguration, log: @escaping (String) -> Void) {
        self.configuration = configuration
        self.log = log
    }

    func run() throws -> TCPBenchReport {
        let startedAt = Self.utcTimestamp()
        let loadAtStart = Self.loadAverage()
        let echo = try EchoServer()
        defer { echo.stop() }
        defer { for target in running { target.process?.stop() } }
        if configuration.tls {
            let made = try TLSBenchCertificates.make(in: configuration.workDirectory)
            certificates = made
            tlsClient = try TLSClientContext(caFile: made.caFile)
            log("TLS 1.3 between client and proxies; certificates in \(made.directory); direct stays plaintext")
            if rg_openssl_memory_installed() != 1 {
                log("warning: OpenSSL's small-block cache is not installed; OpenSSL will allocate per TLS record")
            }
        }

        if configuration.includeDirect {
            running.append(RunningTarget(name: "direct", port: echo.port, process: nil))
            statuses.append(.init(name: "direct", status: "measured", reason: nil, command: nil))
        }
        startRingGate(upstreamPort: echo.port)
        startHAProxy(upstreamPort: echo.port)

        let maxConnections = configuration.connections.max() ?? 1
        for target in running {
            log("warming up \(target.name)")
            do {
                _ = try measure(target, connections: maxConnections, round: 0, seconds: configuration.warmupSeconds)
            } catch {
                fail(target.name, error)
            }
        }

        for round in 1...configuration.rounds {
            let live = running.filter { target in statuses.contains { $0.name == target.name && $0.status == "measured" } }
            guard !live.isEmpty else { break }
            let shift = (round - 1) % live.count
            let order = Array(live[shift...] + live[..<shift])
            for target in order {
                for connections in configuration.connections {
                    guard isMeasured(target.name) else { continue }
                    do {
                        let sample = try measure(target, connections: connections, round: round, seconds: configuration.durationSeconds)
                        samples[target.name, default: [:]][connections, default: []].append(sample)
                        log(Self.progressLine(round: round, of: configuration.rounds, target: target.name, connections: connections, sample: sample))
                        let own = sample.benchAllocations &- (sample.tlsLibraryAllocations ?? 0)
                        if own > 0 {
                            log("warning: the bench itself allocated \(own) time(s) while measuring (outside OpenSSL); its numbers carry that cost")
                        }
                        if let library = sample.tlsLibraryAllocations, library > 0 {
                            log("warning: OpenSSL allocated \(library) time(s) inside SSL_read/SSL_write while measuring; its numbers carry that cost")
                        }
                    } catch {
                        fail(target.name, error)
                    }
                }
            }
        }
        for target in running { target.process?.stop() }

        return TCPBenchReportBuilder(
            targetOrder: statuses.map(\.name),
            connections: configuration.connections,
            samples: samples
        ).report(
            startedAt: startedAt,
            host: .init(
                cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), kernel: Self.kernelRelease(),
                loadAverageStart: loadAtStart, loadAverageEnd: Self.loadAverage()),
            configuration: .init(
                messageBytes: PingPongClient.messageSize,
                durationSeconds: configuration.durationSeconds,
                warmupSeconds: configuration.warmupSeconds,
                rounds: configuration.rounds,
                connections: configuration.connections,
                loops: configuration.loops,
                quick: configuration.quick,
                tls: configuration.tls
            ),
            targets: statuses
        )
    }

    /// One measured stretch: connect, warm up, read the proxy's CPU, measure, read it again.
    private func measure(_ target: RunningTarget, connections: Int, round: Int, seconds: Double) throws -> TCPBenchReport.Sample {
        let client = try PingPongClient(port: target.port, connections: connections, tls: target.usesTLS ? tlsClient : nil)
        defer { client.finish() }
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        try client.start()
        let warmup = MonotonicClock.nanoseconds(seconds: min(configuration.warmupSeconds, max(seconds / 4, 0.05)))
        _ = try client.run(nanoseconds: warmup, recording: false, into: &histogram)
        let cpuBefore = try target.process?.cpuTime()
        let allocationsBefore = rg_total_allocation_count()
        let counts = try client.run(nanoseconds: MonotonicClock.nanoseconds(seconds: seconds), recording: true, into: &histogram)
        let allocations = rg_total_allocation_count() &- allocationsBefore
        let cpuAfter = try target.process?.cpuTime()

        let elapsed = Double(counts.elapsedNanoseconds) / 1e9
        let cpuSeconds = cpuAfter.flatMap { after in cpuBefore.map { after.seconds(since: $0) } }
        let microseconds = { (nanoseconds: UInt64) in Double(nanoseconds) / 1000 }
        return TCPBenchReport.Sample(
            round: round,
            p50Microseconds: microseconds(histogram.valueAtPercentile(50)),
            p99Microseconds: microseconds(histogram.valueAtPercentile(99)),
            p999Microseconds: microseconds(histogram.valueAtPercentile(99.9)),
            maxMicroseconds: microseconds(histogram.max),
            meanMicroseconds: histogram.mean / 1000,
            roundTrips: counts.roundTrips,
            seconds: elapsed,
            roundTripsPerSecond: elapsed > 0 ? Double(counts.roundTrips) / elapsed : 0,
            proxyCpuSeconds: cpuSeconds,
            proxyCpuSecondsFromStat: cpuAfter.flatMap { after in cpuBefore.map { after.tickSeconds(since: $0) } },
            cpuMicrosecondsPerRoundTrip: cpuSeconds.flatMap { counts.roundTrips > 0 ? $0 * 1e6 / Double(counts.roundTrips) : nil },
            benchAllocations: allocations,
            tlsLibraryAllocations: target.usesTLS ? counts.tlsLibraryAllocations : nil
        )
    }

    private func startRingGate(upstreamPort: UInt16) {
        let backends = configuration.ringgateBackends
        guard !backends.isEmpty else { return }
        let names = backends.map { "ringgate-\($0)" }
        let executable: String
        if let explicit = configuration.ringgatePath {
            executable = explicit
        } else if let directory = RingGateBinary.benchDirectory() {
            executable = "\(directory)/ringgate"
            if configuration.buildRingGate, let root = RingGateBinary.packageRoot(from: directory) {
                let buildConfiguration = directory.hasSuffix("/debug") ? "debug" : "release"
                log("building ringgate (\(buildConfiguration)) so the measured binary is current; --no-build-ringgate skips this")
                if let problem = RingGateBinary.build(packageRoot: root, configuration: buildConfiguration) {
                    log("warning: \(problem); using whatever binary is there")
                }
            }
        } else {
            for name in names { skip(name, "cannot locate the bench executable's directory; pass --ringgate PATH") }
            return
        }
        if let problem = RingGateBinary.problem(with: executable, workDirectory: configuration.workDirectory, tls: certificates != nil) {
            log("skipping \(names.joined(separator: ", ")): \(problem)")
            for name in names { skip(name, problem) }
            return
        }
        for backend in backends {
            let name = "ringgate-\(backend)"
            let logPath = "\(configuration.workDirectory)/\(name).log"
            do {
                let process = try RingGateBinary.start(
                    executable: executable, backend: backend, upstreamPort: upstreamPort,
                    loops: configuration.loops, logPath: logPath, tls: certificates
                )
                running.append(RunningTarget(name: name, port: process.listenPort, process: process, usesTLS: certificates != nil))
                let arguments = RingGateBinary.forwardArguments(
                    listenPort: process.listenPort, upstreamPort: upstreamPort, backend: backend,
                    loops: configuration.loops, tls: certificates)
                statuses.append(.init(name: name, status: "measured", reason: nil, command: [executable, "forward"] + arguments))
                log("\(name) (pid \(process.pid)) listening on 127.0.0.1:\(process.listenPort); stderr in \(logPath)")
            } catch {
                log("skipping \(name): \(error)")
                skip(name, "\(error)")
            }
        }
    }

    private func startHAProxy(upstreamPort: UInt16) {
        guard configuration.includeHAProxy else { return }
        guard let executable = HAProxy.locate() else {
            log("skipping haproxy: not on PATH (apt-get install -y haproxy)")
            skip("haproxy", "haproxy is not on PATH")
            return
        }
        do {
            let process = try HAProxy.start(
                executable: executable, upstreamPort: upstreamPort,
                threads: configuration.loops, workDirectory: configuration.workDirectory,
                certificateFile: certificates?.serverCombinedFile
            )
            running.append(RunningTarget(name: "haproxy", port: process.listenPort, process: process, usesTLS: certificates != nil))
            statuses.append(.init(name: "haproxy", status: "measured", reason: nil, command: [executable, "-db", "-f", "\(configuration.workDirectory)/haproxy.cfg"]))
            log("haproxy (pid \(process.pid), \(configuration.loops) thread(s)) listening on 127.0.0.1:\(process.listenPort)")
        } catch {
            log("skipping haproxy: \(error)")
            skip("haproxy", "\(error)")
        }
    }

    private func isMeasured(_ name: String) -> Bool {
        statuses.contains { $0.name == name && $0.status == "measured" }
    }

    private func skip(_ name: String, _ reason: String) {
        statuses.append(.init(name: name, status: "skipped", reason: reason, command: nil))
    }

    /// Marks a target failed mid-run: it is stopped and left out of later rounds.
    private func fail(_ name: String, _ error: any Error) {
        log("\(name) failed: \(error); leaving it out of the remaining rounds")
        if let index = statuses.firstIndex(where: { $0.name == name }) {
            statuses[index].status = "failed"
            statuses[index].reason = "\(error)"
        }
        running.first { $0.name == name }?.process?.stop()
    }

    private static func progressLine(round: Int, of rounds: Int, target: String, connections: Int, sample: TCPBenchReport.Sample) -> String {
        let cpu = sample.cpuMicrosecondsPerRoundTrip.map { ", CPU \(Format.fixed($0, 2)) µs/RT" } ?? ""
        return "round \(round)/\(rounds) \(target) ×\(connections): p50 \(Format.fixed(sample.p50Microseconds, 1)) µs, "
            + "p99 \(Format.fixed(sample.p99Microseconds, 1)) µs, \(Format.fixed(sample.roundTripsPerSecond, 0)) RT/s\(cpu)"
    }

    /// The 1-minute load average from /proc/loadavg (how busy the machine was around the run).
    private static func loadAverage() -> Double? {
        guard let file = fopen("/proc/loadavg", "r") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = fread(&bytes, 1, bytes.count, file)
        return Double(String(decoding: bytes[..<count].prefix { $0 != 0x20 }, as: UTF8.self))
    }

    private static func kernelRelease() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func utcTimestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
