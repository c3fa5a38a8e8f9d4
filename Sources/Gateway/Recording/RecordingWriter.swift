import Foundation
import Glibc
import IOCore

/// Writes every recording of the gateway on one thread of its own (`ringgate-record`).
///
/// Sessions fill blocks on their loop threads (``SessionRecorder``) and hand them over here
/// through a bounded queue: each session has a pool of `queue_buffers` blocks that come back
/// once written. A session that finds its pool empty spills into a fresh block and pauses
/// reading until ``RecordingSignal/drained``; so memory is bounded by the pools plus what one
/// read buffer records. A failed write is retried with a bounded back-off (`pause`) or ends
/// the session (`close`); either way every record that is not written is counted and audited
/// (`recording_failed`), never dropped silently.
///
/// The loop threads take the lock only to exchange a block (once per filled block and per
/// ReadyForQuery) and never allocate while doing so, except when the pool is first filled or
/// spills.
public final class RecordingWriter: @unchecked Sendable {
    public let settings: RecordingSettings
    let storage: any RecordingStorage
    let audit: any AuditSink
    private let processID = getpid()
    private let condition = NSCondition()

    // Guarded by `condition`.
    private var readyHead: RecordingChannel?
    private var readyTail: RecordingChannel?
    private var writerWaiting = false
    private var stopping = false
    private var stopDeadline: UInt64 = .max
    private var threadExited = false
    /// Channels opened and not yet finished; of those, the ones their session closed.
    private var openChannels = 0
    private var closingChannels = 0
    /// Blocks handed over, and blocks written or given up (``flush(timeout:)``).
    private var submitted: UInt64 = 0
    private var processed: UInt64 = 0

    // Writer thread only.
    private var retrying: [RecordingChannel] = []

    static let firstBackoff: UInt64 = 10_000_000
    static let maxBackoff: UInt64 = 1_000_000_000

    public init(settings: RecordingSettings, storage: any RecordingStorage, audit: any AuditSink) {
        self.settings = settings
        self.storage = storage
        self.audit = audit
        let thread = Thread { [self] in self.run() }
        thread.name = "ringgate-record"
        thread.start()
    }

    // MARK: Loop side

    /// A new recording (once per session; allocates).
    func open(header: RecordingHeader, reply: SessionReplyAddress<GatewaySessionEvent>?) -> RecordingChannel {
        let channel = RecordingChannel(
            header: header, fileName: header.fileName(processID: processID), reply: reply,
            blockSize: settings.bufferSize, poolSize: settings.queueBuffers)
        condition.lock()
        openChannels += 1
        condition.unlock()
        return channel
    }

    /// What ``acquire(_:)`` found.
    struct Acquisition {
        /// A written pool block, reset.
        var block: RecordingBlock?
        /// The pool is not full yet: allocate a pool block.
        var mayGrowPool: Bool
        /// The session must pause or close (see ``SessionRecorder``).
        var attention: Bool
    }

    /// A block to fill. With none free and the pool full, the caller spills (and pauses):
    /// the writer posts ``RecordingSignal/drained`` once a block is free again.
    func acquire(_ channel: RecordingChannel) -> Acquisition {
        condition.lock()
        defer { condition.unlock() }
        var result = Acquisition(block: nil, mayGrowPool: false, attention: channel.needsAttention)
        if var block = channel.free.popLast() {
            block.reset()
            result.block = block
        } else if channel.poolAllocated < channel.poolSize {
            channel.poolAllocated += 1
            result.mayGrowPool = true
        } else {
            channel.drainWanted = true
        }
        return result
    }

    /// Queues `block` for writing; with `closing`, the session is done and the file is finished
    /// after it. Returns whether the session must pause or close.
    func submit(_ block: RecordingBlock?, to channel: RecordingChannel, closing: Bool = false) -> Bool {
        condition.lock()
        if let block {
            channel.pending.append(block)
            submitted &+= 1
        }
        if closing && !channel.closed {
            channel.closed = true
            closingChannels += 1
        }
        if !channel.scheduled {
            channel.scheduled = true
            if let tail = readyTail { tail.nextReady = channel } else { readyHead = channel }
            readyTail = channel
            if writerWaiting { condition.broadcast() }
        }
        let attention = channel.needsAttention
        condition.unlock()
        return attention
    }

    /// Whether writing `channel` stalls, and why it failed for good, if it did.
    func state(of channel: RecordingChannel) -> (stalled: Bool, failure: RecordingFailure?) {
        condition.lock()
        defer { condition.unlock() }
        return (channel.stalled, channel.failure)
    }

    // MARK: Control

    /// Waits until every block handed over so far was written or given up and every closed
    /// recording finished; false after `timeout` (a stalled disk).
    @discardableResult
    public func flush(timeout: Duration = .seconds(30)) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        let goal = submitted
        while processed < goal || readyHead != nil || closingChannels > 0 {
            if threadExited || !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Writes what is queued, retrying a stalled disk until `timeout`; then gives up the rest
    /// (counted and audited) and ends the writer thread. Call once the sessions have ended.
    public func stop(timeout: Duration = .seconds(10)) {
        condition.lock()
        stopping = true
        stopDeadline = Self.monotonicNow() &+ UInt64(timeout.seconds * 1e9)
        condition.broadcast()
        let limit = Date(timeIntervalSinceNow: timeout.seconds + 5)
        while !threadExited {
            if !condition.wait(until: limit) { break }
        }
        condition.unlock()
    }

    // MARK: Writer thread

    private func run() {
        condition.lock()
        while true {
            let now = Self.monotonicNow()
            let channel: RecordingChannel
            if let due = takeDueRetry(now: now) {
                channel = due
            } else if let ready = readyHead {
                readyHead = ready.nextReady
                if readyHead == nil { readyTail = nil }
                ready.nextReady = nil
                channel = ready
            } else if stopping && openChannels == 0 {
                break
            } else {
                writerWaiting = true
                if let next = retrying.map(\.retryAt).min() {
                    let wait = Double(next > now ? next - now : 0) / 1e9
                    _ = condition.wait(until: Date(timeIntervalSinceNow: wait))
                } else if stopping {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
                } else {
                    condition.wait()
                }
                writerWaiting = false
                continue
            }
            service(channel, now: now)
        }
        threadExited = true
        condition.broadcast()
        condition.unlock()
    }

    private func takeDueRetry(now: UInt64) -> RecordingChannel? {
        guard let index = retrying.firstIndex(where: { $0.retryAt <= now || (stopping && stopDeadline <= now) }) else { return nil }
        return retrying.remove(at: index)
    }

    private enum Outcome {
        case written, discarded, failed(RecordingFailure)
    }

    /// One step for `channel` (lock held on entry and exit): post a signal it owes, write or
    /// discard its oldest block, reschedule it, finish it when closed and empty.
    private func service(_ channel: RecordingChannel, now: UInt64) {
        var signal = channel.unsentSignal
        channel.unsentSignal = nil
        var retry = false
        if let block = channel.pending.first {
            let failure = channel.failure
            condition.unlock()
            let outcome: Outcome = failure == nil ? write(block, of: channel) : .discarded
            condition.lock()
            switch outcome {
            case .written:
                complete(channel)
                channel.stalled = false
                channel.backoff = 0
                channel.stallReported = false
                if channel.drainWanted && (!channel.free.isEmpty || channel.poolAllocated < channel.poolSize) {
                    channel.drainWanted = false
                    signal = .drained
                }
            case .discarded:
                channel.lostRecords &+= UInt64(block.records)
                channel.lostBytes &+= UInt64(block.length)
                complete(channel)
            case .failed(let failure):
                if settings.onFailure == .pause && !(stopping && stopDeadline <= now) {
                    channel.stalled = true
                    channel.drainWanted = true
                    channel.backoff = channel.backoff == 0 ? Self.firstBackoff : min(channel.backoff * 2, Self.maxBackoff)
                    retry = true
                    if !channel.stallReported {
                        channel.stallReported = true
                        signal = .stalled(failure)
                    }
                } else {
                    channel.failure = failure
                    channel.stalled = false
                    channel.lostRecords &+= UInt64(block.recordsCut(at: channel.headOffset))
                    channel.lostBytes &+= UInt64(block.length - channel.headOffset)
                    complete(channel)
                    signal = .failed(failure)
                }
            }
        }
        // A closed channel's session has ended: nobody to tell.
        if let signal, !channel.closed, let reply = channel.reply {
            condition.unlock()
            let posted = reply.post(.recording(signal))
            condition.lock()
            if !posted && !channel.closed {
                channel.unsentSignal = signal
                retry = true
                if channel.backoff == 0 { channel.backoff = Self.firstBackoff }
            }
        }
        if retry {
            channel.retryAt = Self.monotonicNow() &+ channel.backoff
            retrying.append(channel)
        } else if !channel.pending.isEmpty {
            if let tail = readyTail { tail.nextReady = channel } else { readyHead = channel }
            readyTail = channel
        } else if channel.closed {
            finish(channel)
        } else {
            channel.scheduled = false
        }
        condition.broadcast()
    }

    /// Removes the oldest block (written or given up) and returns it to the pool.
    private func complete(_ channel: RecordingChannel) {
        var block = channel.pending.removeFirst()
        channel.headOffset = 0
        processed &+= 1
        if block.isSpill {
            block.deallocate()
        } else {
            block.reset()
            channel.free.append(block)
        }
    }

    /// Writes the rest of `block` (lock not held). Opens the file at the first block.
    private func write(_ block: RecordingBlock, of channel: RecordingChannel) -> Outcome {
        if channel.descriptor < 0 {
            let fd = storage.create(name: channel.fileName)
            guard fd >= 0 else { return .failed(.error(-fd, "cannot create recording \(channel.fileName)")) }
            channel.descriptor = fd
        }
        while channel.headOffset < block.length {
            var count = block.length - channel.headOffset
            if let cap = settings.maxFileSize {
                count = min(count, cap - channel.fileBytes)
                if count <= 0 { return .failed(.sizeCap(cap)) }
            }
            let written = storage.write(channel.descriptor, UnsafeRawBufferPointer(start: block.base + channel.headOffset, count: count))
            guard written > 0 else { return .failed(.error(Int32(-written), "cannot write recording \(channel.fileName)")) }
            channel.headOffset += written
            channel.fileBytes += written
        }
        return .written
    }

    /// Closes the file, frees the pool and audits what was not written (lock held).
    private func finish(_ channel: RecordingChannel) {
        channel.scheduled = true
        for block in channel.free { block.deallocate() }
        channel.free.removeAll()
        let descriptor = channel.descriptor
        channel.descriptor = -1
        condition.unlock()
        var syncFailure: RecordingFailure?
        if descriptor >= 0 {
            let code = storage.close(descriptor)
            if code != 0 { syncFailure = .error(code, "cannot sync recording \(channel.fileName)") }
        }
        if channel.lostRecords > 0 || channel.lostBytes > 0 || syncFailure != nil {
            audit.record(.recordingFailed(
                header: channel.header, file: channel.fileName, failure: syncFailure ?? channel.failure,
                records: channel.lostRecords, bytes: channel.lostBytes))
        }
        condition.lock()
        openChannels -= 1
        closingChannels -= 1
    }

    static func monotonicNow() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
