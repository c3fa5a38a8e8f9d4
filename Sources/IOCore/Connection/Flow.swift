/// One direction of a proxied connection: bytes read from a *source* socket, queued in pool
/// buffers, written to the *sink* socket (the other side).
///
/// The queue is intrusive (links and slice bounds live in the ``BufferPool``), so queuing
/// never allocates. Each queued buffer carries one slice (`starts[id] ..< lengths[id]`):
/// passthrough queues whole buffers, a protocol session may queue a sub-range, and
/// synthesized bytes sit in reserved buffers. `queuedBytes` is the direction's bytes in
/// flight: queued, not yet written.
struct Flow {
    var head: UInt16 = BufferPool.none
    var tail: UInt16 = BufferPool.none
    /// Bytes of `head` already written.
    var headOffset: Int = 0
    /// Received but not yet written.
    var queuedBytes: Int = 0
    /// Pool buffers queued (a slice of one byte still holds a whole buffer).
    var bufferCount: Int = 0
    /// Total bytes queued towards the sink (access log).
    var totalBytes: UInt64 = 0
    /// A write to the sink is outstanding (io_uring) or blocked waiting for EPOLLOUT (epoll).
    var writing = false
    /// The source sent FIN.
    var sourceEOF = false
    /// We sent FIN to the sink (shutdown(SHUT_WR)) after forwarding everything.
    var sinkShutdown = false
    /// Reading from the source is paused by backpressure.
    var readPaused = false

    @inline(__always)
    var isEmpty: Bool { head == BufferPool.none }

    /// True once this direction is finished: FIN received and forwarded.
    @inline(__always)
    var isFinished: Bool { sourceEOF && sinkShutdown }

    /// Appends the first `length` bytes held in buffer `id`.
    @inline(__always)
    mutating func enqueue(_ id: UInt16, length: Int, pool: inout BufferPool) {
        enqueue(id, start: 0, end: length, pool: &pool)
    }

    /// Appends bytes `start ..< end` of buffer `id`.
    @inline(__always)
    mutating func enqueue(_ id: UInt16, start: Int, end: Int, pool: inout BufferPool) {
        let length = end - start
        pool.starts[Int(id)] = Int32(truncatingIfNeeded: start)
        pool.lengths[Int(id)] = Int32(truncatingIfNeeded: end)
        pool.links[Int(id)] = BufferPool.none
        if tail == BufferPool.none {
            head = id
        } else {
            pool.links[Int(tail)] = id
        }
        tail = id
        queuedBytes += length
        bufferCount += 1
        totalBytes &+= UInt64(length)
    }

    /// Grows the tail slice by `count` bytes (they must follow it in the same buffer).
    @inline(__always)
    mutating func extendTail(by count: Int, pool: inout BufferPool) {
        pool.lengths[Int(tail)] += Int32(truncatingIfNeeded: count)
        queuedBytes += count
        totalBytes &+= UInt64(count)
    }

    /// Moves every buffer of `other` to the end of this queue (O(1)); `other` ends empty.
    mutating func append(contentsOf other: inout Flow, pool: inout BufferPool) {
        guard other.head != BufferPool.none else { return }
        precondition(other.headOffset == 0, "a queue being written cannot be moved")
        if tail == BufferPool.none { head = other.head } else { pool.links[Int(tail)] = other.head }
        tail = other.tail
        queuedBytes += other.queuedBytes
        bufferCount += other.bufferCount
        totalBytes &+= UInt64(other.queuedBytes)
        other.head = BufferPool.none
        other.tail = BufferPool.none
        other.queuedBytes = 0
        other.bufferCount = 0
    }

    /// The unwritten part of the head buffer, or nil when the queue is empty.
    @inline(__always)
    func pendingWrite(pool: borrowing BufferPool) -> UnsafeRawBufferPointer? {
        guard head != BufferPool.none else { return nil }
        let start = Int(pool.starts[Int(head)]) + headOffset
        let end = Int(pool.lengths[Int(head)])
        return UnsafeRawBufferPointer(start: pool.address(of: head) + start, count: end - start)
    }

    /// Records that `count` bytes of the head buffer were written; releases the buffer once
    /// it is fully written (short writes keep it at the head with an advanced offset).
    @inline(__always)
    mutating func consume(_ count: Int, pool: inout BufferPool) {
        guard head != BufferPool.none else { return }
        headOffset += count
        queuedBytes -= count
        if headOffset >= Int(pool.lengths[Int(head)]) - Int(pool.starts[Int(head)]) {
            let done = head
            head = pool.links[Int(done)]
            if head == BufferPool.none { tail = BufferPool.none }
            headOffset = 0
            bufferCount -= 1
            pool.release(done)
        }
    }

    /// Unlinks the head buffer (none written yet) and returns it with its slice; the caller
    /// owns it from here. `nil` when the queue is empty.
    mutating func takeHead(pool: inout BufferPool) -> (id: UInt16, slice: Range<Int>)? {
        guard head != BufferPool.none else { return nil }
        precondition(headOffset == 0, "a queue being written cannot be taken apart")
        let id = head
        let slice = Int(pool.starts[Int(id)])..<Int(pool.lengths[Int(id)])
        head = pool.links[Int(id)]
        if head == BufferPool.none { tail = BufferPool.none }
        pool.links[Int(id)] = BufferPool.none
        queuedBytes -= slice.count
        bufferCount -= 1
        return (id, slice)
    }

    /// Releases every queued buffer (connection closing).
    mutating func discard(pool: inout BufferPool) {
        while head != BufferPool.none {
            let done = head
            head = pool.links[Int(done)]
            pool.release(done)
        }
        tail = BufferPool.none
        headOffset = 0
        queuedBytes = 0
        bufferCount = 0
    }
}
