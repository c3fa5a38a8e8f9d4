import Glibc
import Synchronization

/// Names one connection of one loop; stale once the connection closed (its slot's
/// generation moved on), and events addressed to a stale handle are dropped.
public struct SessionHandle: Sendable, Hashable {
    public var loop: Int32
    public var slot: Int32
    public var generation: UInt32

    public init(loop: Int32, slot: Int32, generation: UInt32) {
        self.loop = loop
        self.slot = slot
        self.generation = generation
    }
}

/// A bounded queue of events for the sessions of one loop, filled by other threads and
/// drained by the loop when its eventfd wakes it.
public final class SessionMailbox<Event: Sendable>: Sendable {
    private struct Ring: ~Copyable {
        var items: [(SessionHandle, Event)?]
        var head = 0
        var count = 0
    }

    private let ring: Mutex<Ring>
    private let wakeFD: Int32
    /// Most events waiting at once; a post beyond it fails.
    public let capacity: Int

    init(capacity: Int, wakeFD: Int32) {
        self.capacity = max(1, capacity)
        self.wakeFD = wakeFD
        self.ring = Mutex(Ring(items: Array(repeating: nil, count: max(1, capacity))))
    }

    /// Queues `event` for the session `handle` names and wakes its loop. Returns false when
    /// the mailbox is full (the caller decides: retry later, or give up and let the
    /// session's deadline end it).
    @discardableResult
    public func post(_ event: Event, to handle: SessionHandle) -> Bool {
        let queued = ring.withLock { ring -> Bool in
            guard ring.count < ring.items.count else { return false }
            ring.items[(ring.head + ring.count) % ring.items.count] = (handle, event)
            ring.count += 1
            return true
        }
        if queued {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        return queued
    }

    /// Events waiting.
    public var count: Int { ring.withLock { $0.count } }

    /// The oldest waiting event (loop thread).
    func take() -> (SessionHandle, Event)? {
        ring.withLock { ring -> (SessionHandle, Event)? in
            guard ring.count > 0 else { return nil }
            let item = ring.items[ring.head]
            ring.items[ring.head] = nil
            ring.head = (ring.head + 1) % ring.items.count
            ring.count -= 1
            return item
        }
    }
}

/// Where a thread other than the loop's posts events for one session (a verified token, a
/// derived key, an approval). Sendable; cheap to copy; stale posts are dropped by the loop.
public struct SessionReplyAddress<Event: Sendable>: Sendable {
    let mailbox: SessionMailbox<Event>
    public let handle: SessionHandle

    /// Posts `event`; false when the loop's mailbox is full.
    @discardableResult
    public func post(_ event: Event) -> Bool {
        mailbox.post(event, to: handle)
    }
}
