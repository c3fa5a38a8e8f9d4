/// Everything a loop thread needs, handed over when it starts.
struct LoopContext: Sendable {
    var index: Int
    var listeners: [ListenerSpec]
    /// One SO_REUSEPORT listening socket per listener, owned by this loop.
    var listenerFDs: [Int32]
    var configuration: ProxyConfiguration
    var statistics: LoopStatistics
    var control: LoopControl
    var log: LogQueue
}
