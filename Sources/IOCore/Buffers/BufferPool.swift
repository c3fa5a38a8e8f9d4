import CLibURing
import Glibc

/// A loop's fixed set of equally sized I/O buffers in one page-aligned mapping.
///
/// Buffers are named by a 16-bit ID (the provided-buffer ID io_uring reports). The pool also
/// keeps the per-buffer metadata the connection state machine needs to queue received bytes
/// without allocating: the valid length and an intrusive "next" link, so a flow's send queue
/// is just a head and a tail ID.
///
/// Two ways to hand buffers out for receiving:
/// - io_uring: every free receive buffer sits in a provided-buffer ring registered with the
///   kernel; the kernel picks one per recv completion, ``release(_:)`` puts it back
///   (``flushReleases()`` publishes the new ring tail once per loop iteration).
/// - epoll: ``acquire()`` pops a free-list stack, ``release(_:)`` pushes it back.
///
/// The last ``reserveCount`` buffers are never handed to the kernel or to reads: they hold
/// bytes a session synthesizes (an ErrorResponse, the upstream login) or copies
/// (``acquireReserve()``), so a loop whose receive buffers are all in flight can still answer.
/// A queued buffer carries a slice: bytes `starts[id] ..< lengths[id]` are the ones to send.
///
/// Owned by exactly one loop thread; not thread-safe.
struct BufferPool: ~Copyable {
    /// Sentinel "no buffer" ID.
    static let none: UInt16 = .max

    let bufferSize: Int
    let count: Int
    private let region: UnsafeMutableRawPointer
    private let regionSize: Int
    /// End offset (exclusive) of the bytes to send, per buffer.
    let lengths: UnsafeMutablePointer<Int32>
    /// Start offset of the bytes to send, per buffer (0 unless a session forwards a sub-range).
    let starts: UnsafeMutablePointer<Int32>
    /// Buffers from this ID on are reserved for synthesized bytes.
    let reserveStart: Int
    private let reserveStack: UnsafeMutablePointer<UInt16>
    private var reserveTop: Int
    /// Intrusive queue link per buffer.
    let links: UnsafeMutablePointer<UInt16>

    // epoll free list
    private let freeStack: UnsafeMutablePointer<UInt16>
    private var freeTop: Int

    // io_uring provided-buffer ring
    private var ring: UnsafeMutablePointer<io_uring_buf_ring>?
    private var ringMemorySize: Int = 0
    private var pendingAdds: Int32 = 0

    /// Buffers currently held by user space (queued for sending or being read into).
    private(set) var inUse: Int = 0
    /// The most buffers ever held at once.
    private(set) var peakInUse: Int = 0

    /// Maps `count` buffers of `bufferSize` bytes, the last `reserved` of them kept for
    /// synthesized bytes. `count` must be a power of two ≤ 32768.
    init(bufferSize: Int, count: Int, reserved: Int = 0) throws(SystemError) {
        precondition(count > 0 && count <= 32768 && count & (count - 1) == 0, "buffer count must be a power of two ≤ 32768")
        precondition(bufferSize > 0 && bufferSize <= Int(Int32.max))
        precondition(reserved >= 0 && reserved < count, "at least one buffer must stay for receiving")
        let size = bufferSize * count
        guard let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapping != MAP_FAILED
        else { throw .last("mmap buffer pool (\(size) bytes)") }
        self.bufferSize = bufferSize
        self.count = count
        self.region = mapping
        self.regionSize = size
        self.lengths = .allocate(capacity: count)
        self.lengths.initialize(repeating: 0, count: count)
        self.starts = .allocate(capacity: count)
        self.starts.initialize(repeating: 0, count: count)
        self.links = .allocate(capacity: count)
        self.links.initialize(repeating: Self.none, count: count)
        let receiving = count - reserved
        self.reserveStart = receiving
        self.freeStack = .allocate(capacity: count)
        for index in 0..<receiving {
            freeStack[index] = UInt16(receiving - 1 - index)
        }
        self.freeTop = receiving
        self.reserveStack = .allocate(capacity: max(1, reserved))
        for index in 0..<reserved {
            reserveStack[index] = UInt16(count - 1 - index)
        }
        self.reserveTop = reserved
    }

    deinit {
        munmap(region, regionSize)
        if let ring { munmap(UnsafeMutableRawPointer(ring), ringMemorySize) }
        lengths.deallocate()
        starts.deallocate()
        links.deallocate()
        freeStack.deallocate()
        reserveStack.deallocate()
    }

    /// Registers all buffers with `uring` as provided-buffer group `group` and switches the
    /// pool to ring mode. Call once, on the loop thread that owns the ring.
    mutating func registerRing(_ uring: UnsafeMutablePointer<io_uring>, group: UInt16) throws(SystemError) {
        let size = (rg_buf_ring_size(UInt32(count)) + 4095) & ~4095
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED
        else { throw .last("mmap buffer ring") }
        let bufferRing = memory.assumingMemoryBound(to: io_uring_buf_ring.self)
        io_uring_buf_ring_init(bufferRing)
        let rc = rg_register_buf_ring(uring, memory, UInt32(count), group)
        guard rc == 0 else {
            munmap(memory, size)
            throw SystemError("io_uring_register_buf_ring", errno: -rc)
        }
        ring = bufferRing
        ringMemorySize = size
        let mask = io_uring_buf_ring_mask(UInt32(count))
        for id in 0..<reserveStart {
            io_uring_buf_ring_add(bufferRing, region + id * bufferSize, UInt32(bufferSize), UInt16(id), mask, Int32(id))
        }
        io_uring_buf_ring_advance(bufferRing, Int32(reserveStart))
        freeTop = 0
    }

    /// Start of buffer `id`.
    @inline(__always)
    func address(of id: UInt16) -> UnsafeMutableRawPointer {
        region + Int(id) * bufferSize
    }

    /// Receive buffers user space can still take (epoll) or the kernel can still fill (io_uring).
    @inline(__always)
    var available: Int { reserveStart - (inUse - reserveInUse) }

    /// Reserved buffers currently holding synthesized bytes.
    private(set) var reserveInUse: Int = 0

    /// True for a buffer from the reserve.
    @inline(__always)
    func isReserved(_ id: UInt16) -> Bool { Int(id) >= reserveStart }

    /// Takes a reserved buffer for synthesized bytes, or `none` when the reserve is empty.
    @inline(__always)
    mutating func acquireReserve() -> UInt16 {
        guard reserveTop > 0 else { return Self.none }
        reserveTop -= 1
        let id = reserveStack[reserveTop]
        reserveInUse += 1
        noteAcquired(id)
        return id
    }

    /// epoll mode: takes a free buffer, or `none` when the pool is exhausted.
    @inline(__always)
    mutating func acquire() -> UInt16 {
        guard freeTop > 0 else { return Self.none }
        freeTop -= 1
        let id = freeStack[freeTop]
        noteAcquired(id)
        return id
    }

    /// A buffer for the loop's own bytes (TLS plaintext or records): a free receive buffer in
    /// epoll mode, else one from the reserve; `none` when neither has one.
    @inline(__always)
    mutating func acquireSpare() -> UInt16 {
        let id = acquire()
        return id != Self.none ? id : acquireReserve()
    }

    /// io_uring mode: records that the kernel handed buffer `id` to user space.
    @inline(__always)
    mutating func noteAcquired(_ id: UInt16) {
        inUse += 1
        if inUse > peakInUse { peakInUse = inUse }
        links[Int(id)] = Self.none
        starts[Int(id)] = 0
    }

    /// Gives buffer `id` back (to the reserve, the kernel ring or the free list).
    @inline(__always)
    mutating func release(_ id: UInt16) {
        inUse -= 1
        if Int(id) >= reserveStart {
            reserveInUse -= 1
            reserveStack[reserveTop] = id
            reserveTop += 1
        } else if let ring {
            io_uring_buf_ring_add(ring, address(of: id), UInt32(bufferSize), id,
                                  io_uring_buf_ring_mask(UInt32(count)), pendingAdds)
            pendingAdds += 1
        } else {
            freeStack[freeTop] = id
            freeTop += 1
        }
    }

    /// io_uring mode: makes released buffers visible to the kernel (one store per batch).
    @inline(__always)
    mutating func flushReleases() {
        guard pendingAdds > 0, let ring else { return }
        io_uring_buf_ring_advance(ring, pendingAdds)
        pendingAdds = 0
    }
}
