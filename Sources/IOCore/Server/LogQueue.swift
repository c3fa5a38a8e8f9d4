import CLibURing
import Glibc
import Synchronization

/// Something a loop wants logged. Built on the loop once per connection (never per message)
/// and formatted on the logging thread.
enum LogEvent: Sendable {
    case connection(AccessLogRecord)
    case upstreamUnavailable(listener: String, upstream: SocketAddress, errno: Int32)
    case acceptPaused(listener: String, cause: AcceptPauseCause)
    case notice(String)
}

/// Why a loop stopped accepting on a listener for a while.
enum AcceptPauseCause: Sendable, Equatable, CustomStringConvertible {
    /// accept(2) or socket(2) failed for lack of descriptors or memory.
    case resources(errno: Int32)
    /// Every slot of the loop's connection table is in use.
    case connectionTableFull
    /// The access log is `accessLogBacklogLimit` records behind (see ``LogQueue``).
    case accessLogBacklog

    var description: String {
        switch self {
        case .resources(let errno): SystemError.name(of: errno)
        case .connectionTableFull: "connection table full"
        case .accessLogBacklog: "access log backlog full"
        }
    }
}

/// Moves log events from the loops to one logging thread, so a slow ``AccessLog`` never
/// stalls a loop.
///
/// Bounded without losing records: a connection's record is always queued (the connection
/// happened), and while `recordLimit` records wait for the sink the loops stop accepting new
/// connections (``isBackedUp``). Memory stays within the limit plus one record per live
/// connection, and no connection goes unrecorded because the sink stalled: the gateway fails
/// closed rather than serving unaudited.
final class LogQueue: Sendable {
    private let pending = Mutex<(events: [LogEvent], closed: Bool)>(([], false))
    /// Connection records queued and not yet delivered.
    private let backlog = Atomic<Int>(0)
    /// Connections refused because of the backlog since the last report.
    private let refusedForBacklog = Atomic<Int>(0)
    private let recordLimit: Int
    private let wakeFD: Int32

    init(recordLimit: Int = 65_536) throws(SystemError) {
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw .last("eventfd") }
        wakeFD = fd
        self.recordLimit = max(1, recordLimit)
    }

    /// True while `recordLimit` or more connection records wait for the sink (loops check it
    /// before accepting a connection).
    var isBackedUp: Bool { backlog.load(ordering: .relaxed) >= recordLimit }

    deinit { Glibc.close(wakeFD) }

    /// Counts a connection refused while ``isBackedUp`` (reported by the logging thread once
    /// the sink moves again, rather than queued behind the backlog it is about).
    func noteRefusedForBacklog() {
        refusedForBacklog.add(1, ordering: .relaxed)
    }

    /// Queues one event (called on loop threads).
    ///
    /// A pause for the backlog is not queued: a notice would wait behind the records it is
    /// about. The refusals are counted (``noteRefusedForBacklog()``) and reported once the
    /// sink moves.
    func enqueue(_ event: LogEvent) {
        switch event {
        case .connection: backlog.add(1, ordering: .relaxed)
        case .acceptPaused(_, .accessLogBacklog): return
        default: break
        }
        pending.withLock { $0.events.append(event) }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Ends ``drain(into:)`` once everything queued so far was delivered.
    func close() {
        pending.withLock { $0.closed = true }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Delivers events to `log` until ``close()``; runs on the logging thread.
    func drain(into log: some AccessLog) {
        while true {
            var counter: UInt64 = 0
            _ = read(wakeFD, &counter, 8)
            let (events, closed) = pending.withLock { state -> ([LogEvent], Bool) in
                let events = state.events
                state.events.removeAll(keepingCapacity: true)
                return (events, state.closed)
            }
            for event in events {
                switch event {
                case .connection(let record):
                    log.record(record)
                    backlog.subtract(1, ordering: .relaxed)
                case .upstreamUnavailable(let listener, let upstream, let errno):
                    log.notice("listener '\(listener)': upstream \(upstream) unavailable: \(SystemError.name(of: errno))")
                case .acceptPaused(let listener, let cause):
                    log.notice("listener '\(listener)': accept paused: \(cause)")
                case .notice(let message):
                    log.notice(message)
                }
            }
            let refused = refusedForBacklog.exchange(0, ordering: .relaxed)
            if refused > 0 {
                log.notice("access log sink fell \(recordLimit) records behind: accepting paused, \(refused) connection\(refused == 1 ? "" : "s") refused")
            }
            if closed { return }
        }
    }
}
