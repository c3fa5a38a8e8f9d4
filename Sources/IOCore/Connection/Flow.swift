/// One direction of a proxied connection: bytes read from a *source* socket, queued in pool
/// buffers, written to the *sink* socket (the other side).
///
/// The queue is intrusive (links live in the ``BufferPool``), so queuing never allocates.
/// `queuedBytes` is the direction's bytes in flight: received, not yet written.
struct Flow {
    var head: UInt16 = BufferPool.none
    var tail: UInt16 = BufferPool.none
    /// Bytes of `head` already written.
    var headOffset: Int = 0
    /// Received but not yet written.
    var queuedBytes: Int = 0
    /// Total bytes received from the source (access log).
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

    /// Appends `length` bytes held in buffer `id`.
    @inline(__always)
    mutating func enqueue(_ id: UInt16, length: Int, pool: inout BufferPool) {
        pool.lengths[Int(id)] = Int32(truncatingIfNeeded: length)
        pool.links[Int(id)] = BufferPool.none
        if tail == BufferPool.none {
            head = id
        } else {
            pool.links[Int(tail)] = id
        }
        tail = id
        queuedBytes += length
        totalBytes &+= UInt64(length)
    }

    /// The unwritten part of the head buffer, or nil when the queue is empty.
    @inline(__always)
    func pendingWrite(pool: borrowing BufferPool) -> UnsafeRawBufferPointer? {
        guard head != BufferPool.none else { return nil }
        let length = Int(pool.lengths[Int(head)])
        return UnsafeRawBufferPointer(start: pool.address(of: head) + headOffset, count: length - headOffset)
    }

    /// Records that `count` bytes of the head buffer were written; releases the buffer once
    /// it is fully written (short writes keep it at the head with an advanced offset).
    @inline(__always)
    mutating func consume(_ count: Int, pool: inout BufferPool) {
        guard head != BufferPool.none else { return }
        headOffset += count
        queuedBytes -= count
        if headOffset >= Int(pool.lengths[Int(head)]) {
            let done = head
            head = pool.links[Int(done)]
            if head == BufferPool.none { tail = BufferPool.none }
            headOffset = 0
            pool.release(done)
        }
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
    }
}
