/// What one `bench tcp` run measures and for how long.
struct TCPBenchConfiguration: Sendable {
    /// Measured seconds per (target, connections, round).
    var durationSeconds: Double
    /// Unmeasured ping-pong before each measured stretch (and once per target before round 1).
    var warmupSeconds: Double
    var rounds: Int
    /// Connection counts, each with one message outstanding per connection.
    var connections: [Int]
    /// RingGate loops and haproxy threads (the same for both).
    var loops: Int
    /// An explicit ringgate executable; nil means the one next to the bench executable.
    var ringgatePath: String?
    /// Run `swift build --product ringgate` first when using the one next to the bench executable.
    var buildRingGate: Bool
    /// Which RingGate backends to measure (`io_uring`, `epoll`).
    var ringgateBackends: [String]
    var includeHAProxy: Bool
    /// Measure `direct` too (needed for added latency; profiling runs leave it out).
    var includeDirect: Bool = true
    /// The client speaks TLS 1.3 to every proxy, which terminates it and relays plaintext to the
    /// echo server; `direct` stays plaintext, so added latency includes the proxy's TLS work.
    var tls: Bool = false
    var quick: Bool
    /// Where proxy configs and logs go.
    var workDirectory: String
}

/// One system under test, started and ready: a port to connect to, and the process to measure
/// (nil for `direct`).
struct RunningTarget {
    let name: String
    let port: UInt16
    let process: ProxyProcess?
    /// Whether the client speaks TLS to it (every proxy in a `--tls` run; never `direct`).
    var usesTLS = false
}
