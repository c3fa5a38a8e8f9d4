import CoreMetrics
import IOCore
import Metrics
import Prometheus
import Synchronization

/// The gateway's metrics in Prometheus text: swift-metrics handles backed by a
/// swift-prometheus registry of this gateway's own (no process-wide bootstrap, so several
/// gateways can live in one process). The data path never calls them: sessions bump
/// ``GatewayCounters`` and the loops publish ``LoopStatistics``; each scrape carries what
/// changed since the last one into the handles.
public final class GatewayMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let counters: GatewayCounters
    private let loops: @Sendable () -> [LoopStatistics.Snapshot]
    private let liveSessions: LiveSessions
    private let state: Mutex<State>

    private struct ResourceHandles {
        var sessions: CoreMetrics.Counter
        var active: CoreMetrics.Gauge
        var allowed: CoreMetrics.Counter
        var denied: CoreMetrics.Counter
        var reviewed: CoreMetrics.Counter
        var masked: CoreMetrics.Counter
        var bytesIn: CoreMetrics.Counter
        var bytesOut: CoreMetrics.Counter
    }

    private struct State {
        var resources: [ResourceHandles]
        var loops: [(connections: CoreMetrics.Gauge, buffers: CoreMetrics.Gauge, peakBuffers: CoreMetrics.Gauge, accepted: CoreMetrics.Counter, iterations: CoreMetrics.Counter)]
        var liveSessions: CoreMetrics.Gauge
        var last: [ResourceCounters.Snapshot]
        var lastLoops: [(accepted: UInt64, iterations: UInt64)]
    }

    init(counters: GatewayCounters, liveSessions: LiveSessions, loopCount: Int, loops: @escaping @Sendable () -> [LoopStatistics.Snapshot]) {
        self.counters = counters
        self.loops = loops
        self.liveSessions = liveSessions
        registry = counters.registry
        let factory = PrometheusMetricsFactory(registry: registry)
        let resources = counters.resources.map { name, _ -> ResourceHandles in
            let resource = [("resource", name)]
            return ResourceHandles(
                sessions: CoreMetrics.Counter(label: "ringgate_sessions_total", dimensions: resource, factory: factory),
                active: CoreMetrics.Gauge(label: "ringgate_sessions_active", dimensions: resource, factory: factory),
                allowed: CoreMetrics.Counter(label: "ringgate_statements_total", dimensions: resource + [("decision", "allow")], factory: factory),
                denied: CoreMetrics.Counter(label: "ringgate_statements_total", dimensions: resource + [("decision", "deny")], factory: factory),
                reviewed: CoreMetrics.Counter(label: "ringgate_statements_total", dimensions: resource + [("decision", "review")], factory: factory),
                masked: CoreMetrics.Counter(label: "ringgate_rows_masked_total", dimensions: resource, factory: factory),
                bytesIn: CoreMetrics.Counter(label: "ringgate_client_bytes_received_total", dimensions: resource, factory: factory),
                bytesOut: CoreMetrics.Counter(label: "ringgate_client_bytes_sent_total", dimensions: resource, factory: factory))
        }
        let loopHandles = (0..<loopCount).map { index in
            let loop = [("loop", String(index))]
            return (
                connections: CoreMetrics.Gauge(label: "ringgate_loop_connections", dimensions: loop, factory: factory),
                buffers: CoreMetrics.Gauge(label: "ringgate_loop_buffers_in_use", dimensions: loop, factory: factory),
                peakBuffers: CoreMetrics.Gauge(label: "ringgate_loop_buffers_peak", dimensions: loop, factory: factory),
                accepted: CoreMetrics.Counter(label: "ringgate_loop_accepted_total", dimensions: loop, factory: factory),
                iterations: CoreMetrics.Counter(label: "ringgate_loop_iterations_total", dimensions: loop, factory: factory))
        }
        state = Mutex(State(
            resources: resources, loops: loopHandles,
            liveSessions: CoreMetrics.Gauge(label: "ringgate_live_sessions", factory: factory),
            last: counters.resources.map { _ in ResourceCounters.Snapshot() },
            lastLoops: (0..<loopCount).map { _ in (accepted: 0, iterations: 0) }))
    }

    /// The metrics now, in the Prometheus text exposition format.
    public func render() -> String {
        let loopSnapshots = loops()
        let live = liveSessions.list.count
        state.withLock { state in
            for index in state.resources.indices {
                let now = counters.resources[index].counters.snapshot()
                let last = state.last[index]
                let handles = state.resources[index]
                handles.sessions.increment(by: Int64(now.sessionsStarted - last.sessionsStarted))
                handles.active.record(Double(now.sessionsStarted - now.sessionsEnded))
                handles.allowed.increment(by: Int64(now.statementsAllowed - last.statementsAllowed))
                handles.denied.increment(by: Int64(now.statementsDenied - last.statementsDenied))
                handles.reviewed.increment(by: Int64(now.statementsReviewed - last.statementsReviewed))
                handles.masked.increment(by: Int64(now.rowsMasked - last.rowsMasked))
                handles.bytesIn.increment(by: Int64(now.bytesFromClients - last.bytesFromClients))
                handles.bytesOut.increment(by: Int64(now.bytesToClients - last.bytesToClients))
                state.last[index] = now
            }
            for (index, snapshot) in loopSnapshots.enumerated() where index < state.loops.count {
                let handles = state.loops[index]
                let last = state.lastLoops[index]
                handles.connections.record(Double(snapshot.activeConnections))
                handles.buffers.record(Double(snapshot.buffersInUse))
                handles.peakBuffers.record(Double(snapshot.peakBuffersInUse))
                handles.accepted.increment(by: Int64(snapshot.acceptedConnections &- last.accepted))
                handles.iterations.increment(by: Int64(snapshot.iterations &- last.iterations))
                state.lastLoops[index] = (snapshot.acceptedConnections, snapshot.iterations)
            }
            state.liveSessions.record(Double(live))
        }
        return registry.emitToString()
    }
}
