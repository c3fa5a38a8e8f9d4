import Foundation
import Synchronization

/// Hands audit events to another sink on a writer thread of its own, so the event loops
/// never encode JSON or wait for the disk.
///
/// Nothing is dropped: the queue is bounded, and a producer that finds it full waits until
/// the writer has taken the queued events (a stalled audit disk slows the gateway down rather
/// than losing records). ``flush()`` returns once everything recorded before it was written.
///
/// Producers wake the writer only when it sleeps on an empty queue, and the writer then lets
/// events gather for ``batchWindowMicroseconds`` before taking them: at thousands of
/// statements per second that is a few hundred wake-ups, not one per statement (on a small
/// machine the context switches cost more than the JSON). The queue and the writer's batch
/// swap storage, so steady-state recording allocates nothing.
public final class BackgroundAuditSink: AuditSink, Sendable {
    private struct State {
        var queue: [AuditEvent] = []
        var written: UInt64 = 0
        var recorded: UInt64 = 0
        var stopped = false
        var writerSleeping = false
    }

    /// How long the writer lets events gather after a wake-up.
    static let batchWindowMicroseconds: UInt32 = 2_000

    private let target: any AuditSink
    private let capacity: Int
    private let state = Mutex(State())
    /// Wakes the writer (a queued event) and waiting producers or flushes (a batch written).
    private let condition = NSCondition()

    public init(writingTo target: any AuditSink, capacity: Int = 65_536) {
        self.target = target
        self.capacity = max(1, capacity)
        let thread = Thread { [self] in self.run() }
        thread.name = "ringgate-audit"
        thread.start()
    }

    public func record(_ event: AuditEvent) {
        condition.lock()
        while state.withLock({ $0.queue.count >= capacity && !$0.stopped }) { condition.wait() }
        let wake = state.withLock { state -> Bool in
            state.queue.append(event)
            state.recorded += 1
            return state.writerSleeping && state.queue.count == 1
        }
        if wake { condition.broadcast() }
        condition.unlock()
    }

    /// Waits until every event recorded so far was handed to the target.
    public func flush() {
        condition.lock()
        let goal = state.withLock { $0.recorded }
        while state.withLock({ $0.written < goal }) { condition.wait() }
        condition.unlock()
    }

    /// Writes what is queued, then stops the writer thread.
    public func stop() {
        flush()
        condition.lock()
        state.withLock { $0.stopped = true }
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        var batch: [AuditEvent] = []
        while true {
            condition.lock()
            while state.withLock({ $0.queue.isEmpty && !$0.stopped }) {
                state.withLock { $0.writerSleeping = true }
                condition.wait()
                state.withLock { $0.writerSleeping = false }
            }
            let stopping = state.withLock { $0.stopped }
            condition.unlock()
            if !stopping { usleep(Self.batchWindowMicroseconds) }
            condition.lock()
            let stopped = state.withLock { state -> Bool in
                swap(&state.queue, &batch)
                return state.stopped
            }
            condition.unlock()
            if !batch.isEmpty { target.record(contentsOf: batch) }
            condition.lock()
            state.withLock { $0.written += UInt64(batch.count) }
            condition.broadcast()
            condition.unlock()
            let wroteNothing = batch.isEmpty
            batch.removeAll(keepingCapacity: true)
            if stopped && wroteNothing { return }
        }
    }
}
