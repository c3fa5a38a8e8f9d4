import CLibURing
import Glibc
import Synchronization

/// Something a loop wants logged. Built on the loop once per connection (never per message)
/// and formatted on the logging thread.
enum LogEvent: Sendable {
    case connection(AccessLogRecord)
    case upstreamUnavailable(listener: String, upstream: SocketAddress, errno: Int32)
    /// errno 0: the loop's connection table is full.
    case acceptPaused(listener: String, errno: Int32)
    case notice(String)
}

/// Moves log events from the loops to one logging thread, so a slow ``AccessLog`` never
/// stalls a loop.
final class LogQueue: Sendable {
    private let pending = Mutex<(events: [LogEvent], closed: Bool)>(([], false))
    private let wakeFD: Int32

    init() throws(SystemError) {
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw .last("eventfd") }
        wakeFD = fd
    }

    deinit { Glibc.close(wakeFD) }

    /// Queues one event (called on loop threads).
    func enqueue(_ event: LogEvent) {
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
                case .upstreamUnavailable(let listener, let upstream, let errno):
                    log.notice("listener '\(listener)': upstream \(upstream) unavailable: \(SystemError.name(of: errno))")
                case .acceptPaused(let listener, let errno):
                    let cause = errno == 0 ? "connection table full" : SystemError.name(of: errno)
                    log.notice("listener '\(listener)': accept paused: \(cause)")
                case .notice(let message):
                    log.notice(message)
                }
            }
            if closed { return }
        }
    }
}
