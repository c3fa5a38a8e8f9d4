import CLibURing
import Glibc

/// Drives a ``ProxySession`` without sockets, the way swift-nio's `EmbeddedChannel` drives
/// handlers: tests script bytes, connects, deadlines and mailbox events, and read the bytes
/// the session sent each way.
///
/// It runs the loops' own ``LoopCore`` (the same session calls, queues, reserved buffers and
/// request handling as io_uring and epoll); only the sockets are simulated: every write
/// completes at once, and bytes scripted while the session does not read a side wait until
/// it reads again.
public struct EmbeddedSession<Session: ProxySession & ~Copyable>: ~Copyable {
    private var core: LoopCore<Session>
    private let slot: Int32
    private var pending: (client: [UInt8], upstream: [UInt8]) = ([], [])
    private var pendingEOF: (client: Bool, upstream: Bool) = (false, false)
    private var sent: (client: [UInt8], upstream: [UInt8]) = ([], [])
    private let chunk: Int
    /// The session asked for the upstream and no connect outcome was scripted yet.
    public private(set) var connectRequested = false
    /// Why the connection closed, once it did.
    public private(set) var closeReason: CloseReason?
    /// FIN was sent to the side (everything from the other side forwarded after its FIN).
    public private(set) var shutDown: (client: Bool, upstream: Bool) = (false, false)

    /// Accepts a simulated client and runs the session's `start`. Received bytes are cut into
    /// pieces of at most `bufferSize` (the size of one pool buffer).
    public init(
        shared: Session.Shared, bufferSize: Int = 4096, buffers: Int = 256, reservedBuffers: Int = 64,
        highWaterMark: Int = 64 * 1024, clientAddress: SocketAddress? = nil
    ) throws {
        var configuration = ProxyConfiguration()
        configuration.bufferSize = bufferSize
        configuration.buffersPerLoop = buffers
        configuration.reservedBuffers = reservedBuffers
        configuration.highWaterMark = highWaterMark
        configuration.maxConnectionsPerLoop = 1
        let upstream = try SocketAddress(parsing: "127.0.0.1:9")
        let listener = ListenerSpec(name: "embedded", address: upstream, upstream: upstream)
        let wake = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        let context = LoopContext(
            index: 0, listeners: [listener], listenerFDs: [-1], configuration: configuration,
            statistics: LoopStatistics(), control: LoopControl(wakeFD: wake), log: try LogQueue(recordLimit: 1 << 20))
        let mailbox = SessionMailbox<Session.Event>(capacity: configuration.mailboxCapacity, wakeFD: wake)
        var core = try LoopCore<Session>(context: context, shared: shared, mailbox: mailbox)
        guard let slot = core.openSlot(clientFD: -1, listener: 0, knownAddress: clientAddress) else { throw SystemError("openSlot", errno: ENOMEM) }
        self.core = consume core
        self.slot = slot
        self.chunk = bufferSize
        apply(self.core.startSession(slot))
    }

    deinit {
        close(core.context.control.wakeFD)
    }

    // MARK: Script

    /// Bytes arrive from `side`, cut at the given offsets (then at the buffer size).
    public mutating func receive(_ bytes: [UInt8], from side: ProxySide, cuts: [Int] = []) {
        var start = 0
        for cut in cuts.sorted() where cut > start && cut < bytes.count {
            feed(bytes[start..<cut], from: side)
            start = cut
        }
        feed(bytes[start...], from: side)
    }

    private mutating func feed(_ piece: ArraySlice<UInt8>, from side: ProxySide) {
        guard !piece.isEmpty else { return }
        if side == .client { pending.client += piece } else { pending.upstream += piece }
        pump(side, pieceLimit: piece.count)
    }

    /// `side` sends FIN.
    public mutating func receiveEOF(from side: ProxySide) {
        if side == .client { pendingEOF.client = true } else { pendingEOF.upstream = true }
        pump(side, pieceLimit: 0)
    }

    /// The upstream connect the session asked for succeeds.
    public mutating func completeConnect() {
        precondition(connectRequested, "the session did not ask for the upstream")
        connectRequested = false
        core.pairs[Int(slot)].phase = .established
        apply(core.deliver(slot, event: .connected))
        guard isOpen else { return }
        if core.pairs[Int(slot)].fromClient.sourceEOF { _ = core.pairs[Int(slot)].receivedEOF(from: .client) }
        flush()
        pumpAll()
    }

    /// The upstream connect the session asked for fails with `errno`.
    public mutating func failConnect(errno: Int32) {
        precondition(connectRequested, "the session did not ask for the upstream")
        connectRequested = false
        apply(core.upstreamConnectFailed(slot, errno: errno))
    }

    /// The session's deadline, as an absolute time on ``now``, if one is set.
    public var deadline: UInt64? {
        let value = core.slots[Int(slot)].sessionDeadline
        return value == 0 ? nil : value
    }

    /// The simulated clock (nanoseconds).
    public var now: UInt64 { core.now }

    /// Moves the clock forward; a session deadline that passes fires.
    public mutating func advance(by nanoseconds: UInt64) {
        core.now &+= nanoseconds
        guard isOpen else { return }
        if core.sessionDeadlinePassed(slot) { apply(core.deliver(slot, event: .deadline)) }
        if isOpen, core.pairs[Int(slot)].closeAfterFlush, core.now >= core.slots[Int(slot)].flushDeadline {
            finish(core.pairs[Int(slot)].pendingCloseReason)
        }
    }

    /// Events waiting in the mailbox (posted, not yet delivered by ``runMailbox()``).
    public var waitingEvents: Int { core.mailbox.count }

    /// Delivers every event waiting in the mailbox (posted through a ``SessionReplyAddress``).
    public mutating func runMailbox() {
        while let (target, event) = core.nextMailboxEvent() {
            apply(core.deliver(target, event: .custom(event)))
        }
    }

    // MARK: Observe

    /// Takes the bytes sent to `side` so far.
    /// (The harness keeps its storage, so a test can count the session's own allocations.)
    public mutating func takeSent(to side: ProxySide) -> [UInt8] {
        defer {
            if side == .client { sent.client.removeAll(keepingCapacity: true) } else { sent.upstream.removeAll(keepingCapacity: true) }
        }
        return Array(side == .client ? sent.client : sent.upstream)
    }

    /// The connection is still open.
    public var isOpen: Bool { closeReason == nil }

    /// The session reads `side` now.
    public func isReading(_ side: ProxySide) -> Bool { isOpen && core.pairs[Int(slot)].wantsRead(side) }

    /// Bytes the session holds back.
    public var heldBytes: Int { isOpen ? core.pairs[Int(slot)].held.queuedBytes : 0 }

    /// Pool buffers in use (queued, held or being filled); 0 once closed.
    public var buffersInUse: Int { core.poolStorage.pointee.inUse }

    // MARK: Simulation

    private mutating func pumpAll() {
        pump(.client, pieceLimit: Int.max)
        pump(.upstream, pieceLimit: Int.max)
    }

    /// Hands waiting bytes of `side` to the session while it reads that side.
    private mutating func pump(_ side: ProxySide, pieceLimit: Int) {
        while isOpen && core.pairs[Int(slot)].wantsRead(side) {
            let waiting = side == .client ? pending.client.count : pending.upstream.count
            if waiting == 0 {
                let eof = side == .client ? pendingEOF.client : pendingEOF.upstream
                if eof { receivedEOF(side) }
                return
            }
            let id = core.poolStorage.pointee.acquire()
            precondition(id != BufferPool.none, "embedded pool exhausted")
            let count = min(chunk, waiting)
            let target = core.poolStorage.pointee.address(of: id)
            if side == .client {
                pending.client.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: count) }
                pending.client.removeFirst(count)
            } else {
                pending.upstream.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: count) }
                pending.upstream.removeFirst(count)
            }
            apply(core.deliver(slot, buffer: id, length: count, from: side))
            if isOpen { _ = core.pairs[Int(slot)].checkHighWaterMark(from: side) }
            flush()
        }
    }

    private mutating func receivedEOF(_ side: ProxySide) {
        if side == .client { pendingEOF.client = false } else { pendingEOF.upstream = false }
        if side == .client && core.pairs[Int(slot)].phase == .clientOnly {
            finish(.completed)
            return
        }
        if core.pairs[Int(slot)].receivedEOF(from: side) { noteShutdown(side.opposite) }
        if core.pairs[Int(slot)].isCompleted { finish(.completed) }
    }

    private mutating func noteShutdown(_ side: ProxySide) {
        if side == .client { shutDown.client = true } else { shutDown.upstream = true }
    }

    private mutating func apply(_ requests: SessionRequests) {
        guard isOpen else { return }
        if let reason = requests.close {
            flush()
            finish(reason)
            return
        }
        if requests.connect {
            core.pairs[Int(slot)].phase = .connecting
            core.slots[Int(slot)].connectStartedAt = core.now
            connectRequested = true
        }
        flush()
        if requests.readStateChanged { pumpAll() }
    }

    /// Writes everything writable (the simulated sockets take all).
    private mutating func flush() {
        guard isOpen else { return }
        flush(from: .client)
        flush(from: .upstream)
        if core.pairs[Int(slot)].isCompleted {
            finish(.completed)
        } else if core.pairs[Int(slot)].flushedForClose {
            finish(core.pairs[Int(slot)].pendingCloseReason)
        }
    }

    private mutating func flush(from side: ProxySide) {
        while core.pairs[Int(slot)].canStartWrite(from: side),
              let pendingWrite = core.pairs[Int(slot)][from: side].pendingWrite(pool: core.poolStorage.pointee) {
            if side == .client { sent.upstream += pendingWrite } else { sent.client += pendingWrite }
            let decision = core.pairs[Int(slot)].wrote(pendingWrite.count, from: side, pool: &core.poolStorage.pointee)
            if decision.shutdownSink { noteShutdown(side.opposite) }
        }
    }

    private mutating func finish(_ reason: CloseReason) {
        guard isOpen else { return }
        closeReason = reason
        core.pairs[Int(slot)].phase = .closing
        core.slots[Int(slot)].closeReason = reason
        core.finishClose(slot)
    }
}

extension EmbeddedSession where Session: ~Copyable {
    /// The address another thread would post this session's events to.
    public var replyAddress: SessionReplyAddress<Session.Event>? {
        core.makeIO(slot).replyAddress()
    }
}
