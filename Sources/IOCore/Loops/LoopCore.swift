import CLibURing
import Glibc
import Synchronization

/// What a session call asks of the backend's I/O (see ``LoopCore/settle(_:_:)``).
struct SessionRequests {
    /// Open the upstream connection.
    var connect: Bool
    /// Close now for this reason.
    var close: CloseReason?
    /// A side's wish to read may have changed (pause, resume, close-after-flush).
    var readStateChanged: Bool
    /// Bit 0: bytes were queued for the upstream; bit 1: for the client.
    var touchedFlows: UInt8
}

/// The backend-independent half of an event loop: the slot table with its connection state
/// machines, the buffer pool, timers, shutdown state, statistics and access records.
/// Each backend (``URingLoop``, ``EpollLoop``) owns one and only adds the I/O calls.
struct LoopCore<Session: ProxySession & ~Copyable>: ~Copyable {
    let context: LoopContext
    /// The pool lives behind a stable pointer so a ``SessionIO`` can reach it during a call.
    let poolStorage: UnsafeMutablePointer<BufferPool>
    let capacity: Int
    let slots: UnsafeMutablePointer<ConnectionSlot>
    let pairs: UnsafeMutablePointer<ConnectionPair>
    /// The protocol session of each active slot.
    let sessions: UnsafeMutablePointer<Session>
    let shared: Session.Shared
    let mailbox: SessionMailbox<Session.Event>
    /// Two TLS engines per slot (client, upstream); nil where a side is plain.
    let tlsEngines: UnsafeMutablePointer<TLSEngine?>
    private let freeSlots: UnsafeMutablePointer<Int32>
    private var freeCount: Int
    private(set) var liveCount = 0

    /// Connections (slot, side) whose recv stopped for lack of buffers.
    private let bufferWaiters: UnsafeMutablePointer<UInt64>
    private var bufferWaiterCount = 0

    /// Upstream address per listener, at a stable address (io_uring connect reads it later).
    let upstreams: UnsafeMutablePointer<SocketAddress>
    let listenerFDs: UnsafeMutablePointer<Int32>
    /// Monotonic time (ns) until which accepting is paused per listener; 0 when not paused.
    let acceptPausedUntil: UnsafeMutablePointer<UInt64>

    let highWaterMark: Int
    /// Connect and idle timeouts (ns, 0: none) per listener.
    let connectTimeouts: UnsafeMutablePointer<UInt64>
    let idleTimeouts: UnsafeMutablePointer<UInt64>
    let tick: UInt64
    let acceptRetryDelay: UInt64
    let socketReceiveBufferSize: Int?

    /// Loop time, refreshed once per iteration.
    var now: UInt64
    var nextTick: UInt64
    /// Set once shutdown was requested: listeners closed, draining live sessions.
    var draining = false
    var drainDeadline: UInt64 = .max
    var forwarded: UInt64 = 0
    var accepted: UInt64 = 0
    private let allocationCounter: (@convention(c) () -> UInt64)?

    init(context: LoopContext, shared: Session.Shared, mailbox: SessionMailbox<Session.Event>) throws(SystemError) {
        let configuration = context.configuration
        self.context = context
        let pool = try BufferPool(
            bufferSize: configuration.bufferSize, count: configuration.buffersPerLoop,
            reserved: configuration.reservedBuffersPerLoop)
        poolStorage = .allocate(capacity: 1)
        poolStorage.initialize(to: pool)
        self.shared = shared
        self.mailbox = mailbox
        let capacity = max(1, configuration.maxConnectionsPerLoop)
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: ConnectionSlot(), count: capacity)
        pairs = .allocate(capacity: capacity)
        sessions = .allocate(capacity: capacity)
        tlsEngines = .allocate(capacity: 2 * capacity)
        tlsEngines.initialize(repeating: nil, count: 2 * capacity)
        freeSlots = .allocate(capacity: capacity)
        for index in 0..<capacity {
            freeSlots[index] = Int32(capacity - 1 - index)
        }
        freeCount = capacity
        bufferWaiters = .allocate(capacity: 2 * capacity)
        let listenerCount = context.listeners.count
        upstreams = .allocate(capacity: max(1, listenerCount))
        listenerFDs = .allocate(capacity: max(1, listenerCount))
        acceptPausedUntil = .allocate(capacity: max(1, listenerCount))
        connectTimeouts = .allocate(capacity: max(1, listenerCount))
        idleTimeouts = .allocate(capacity: max(1, listenerCount))
        for (index, listener) in context.listeners.enumerated() {
            (upstreams + index).initialize(to: listener.upstream)
            listenerFDs[index] = context.listenerFDs[index]
            acceptPausedUntil[index] = 0
            connectTimeouts[index] = (listener.connectTimeout ?? configuration.connectTimeout)?.nanoseconds ?? 0
            idleTimeouts[index] = (listener.idleTimeout ?? configuration.idleTimeout)?.nanoseconds ?? 0
        }
        highWaterMark = configuration.highWaterMark
        var timeouts: [Duration?] = [configuration.connectTimeout, configuration.idleTimeout]
        for listener in context.listeners { timeouts += [listener.connectTimeout, listener.idleTimeout] }
        tick = ProxyConfiguration.tickNanoseconds(forShortestOf: timeouts)
        acceptRetryDelay = configuration.acceptRetryDelay.nanoseconds
        socketReceiveBufferSize = configuration.socketReceiveBufferSize
        allocationCounter = configuration.testing.threadAllocationCounter
        now = monotonicNanoseconds()
        nextTick = now &+ tick
    }

    deinit {
        for index in 0..<capacity where slots[index].active {
            if slots[index].clientFD >= 0 { close(slots[index].clientFD) }
            if slots[index].upstreamFD >= 0 { close(slots[index].upstreamFD) }
            pairs[index].discard(pool: &poolStorage.pointee)
            (pairs + index).deinitialize(count: 1)
            (sessions + index).deinitialize(count: 1)
            freeTLSEngines(index)
        }
        for index in 0..<context.listeners.count where listenerFDs[index] >= 0 {
            close(listenerFDs[index])
        }
        slots.deinitialize(count: capacity)
        slots.deallocate()
        pairs.deallocate()
        sessions.deallocate()
        tlsEngines.deinitialize(count: 2 * capacity)
        tlsEngines.deallocate()
        poolStorage.deinitialize(count: 1)
        poolStorage.deallocate()
        freeSlots.deallocate()
        bufferWaiters.deallocate()
        upstreams.deinitialize(count: context.listeners.count)
        upstreams.deallocate()
        listenerFDs.deallocate()
        acceptPausedUntil.deallocate()
        connectTimeouts.deallocate()
        idleTimeouts.deallocate()
    }

    var listenerCount: Int { context.listeners.count }

    // MARK: Slots

    /// Takes a free slot for an accepted client, or nil when the table is full.
    mutating func openSlot(clientFD: Int32, listener: Int, knownAddress: SocketAddress? = nil) -> Int32? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        let slot = freeSlots[freeCount]
        let index = Int(slot)
        let generation = slots[index].generation
        slots[index] = ConnectionSlot()
        slots[index].generation = generation
        slots[index].active = true
        slots[index].clientFD = clientFD
        slots[index].listener = Int32(listener)
        slots[index].startedAt = now
        slots[index].lastActivity = now
        slots[index].clientAddress = knownAddress ?? Socket.peerAddress(clientFD)
        let sessionContext = SessionContext(
            listenerIndex: listener, listenerName: context.listeners[listener].name,
            clientAddress: slots[index].clientAddress)
        (pairs + index).initialize(to: ConnectionPair(highWaterMark: highWaterMark, bufferSize: poolStorage.pointee.bufferSize))
        (sessions + index).initialize(to: Session(context: sessionContext, shared: shared))
        liveCount += 1
        accepted &+= 1
        return slot
    }

    /// Tells the session it is closing, closes the slot's descriptors, emits its access
    /// record and frees it.
    mutating func finishClose(_ slot: Int32) {
        let index = Int(slot)
        var io = makeIO(slot, inert: true)
        sessions[index].handle(.closed(slots[index].closeReason), io: &io)
        _ = consume io
        (sessions + index).deinitialize(count: 1)
        pairs[index].discard(pool: &poolStorage.pointee)
        freeTLSEngines(index)
        let record = AccessLogRecord(
            listener: context.listeners[Int(slots[index].listener)].name,
            client: slots[index].clientAddress,
            upstream: upstreams[Int(slots[index].listener)],
            bytesFromClient: pairs[index].receivedFromClient,
            bytesFromUpstream: pairs[index].receivedFromUpstream,
            duration: .nanoseconds(Int64(clamping: now &- slots[index].startedAt)),
            closeReason: slots[index].closeReason
        )
        if slots[index].clientFD >= 0 { close(slots[index].clientFD) }
        if slots[index].upstreamFD >= 0 { close(slots[index].upstreamFD) }
        slots[index].clientFD = -1
        slots[index].upstreamFD = -1
        slots[index].active = false
        slots[index].generation = (slots[index].generation &+ 1) & UserData.generationMask
        (pairs + index).deinitialize(count: 1)
        freeSlots[freeCount] = slot
        freeCount += 1
        liveCount -= 1
        context.log.enqueue(.connection(record))
    }

    /// True when `tag` names the slot's current connection.
    @inline(__always)
    func isCurrent(_ tag: UserData) -> Bool {
        let index = Int(tag.slot)
        guard index >= 0 && index < capacity else { return false }
        return slots[index].active && slots[index].generation == tag.generation
    }

    @inline(__always)
    func tag(_ operation: Operation, _ slot: Int32) -> UserData {
        UserData(operation, slot: slot, generation: slots[Int(slot)].generation)
    }

    // MARK: Sessions

    /// A ``SessionIO`` for a call on `slot`'s session.
    @inline(__always)
    func makeIO(_ slot: Int32, inert: Bool = false) -> SessionIO<Session.Event> {
        SessionIO(
            pool: poolStorage, pair: pairs + Int(slot), mailbox: Unmanaged.passUnretained(mailbox),
            tlsEngines: tlsEngines + 2 * Int(slot), handle: SessionHandle(loop: Int32(context.index), slot: slot, generation: slots[Int(slot)].generation),
            now: now, inert: inert)
    }

    /// Runs the session's `start` for a freshly accepted slot.
    mutating func startSession(_ slot: Int32) -> SessionRequests {
        var io = makeIO(slot)
        sessions[Int(slot)].start(io: &io)
        let tlsStart = io.tlsStart
        var requests = settle(slot, io)
        if pairs[Int(slot)].tlsSides != 0 { runTLS(slot, start: tlsStart, input: BufferPool.none, &requests) }
        return requests
    }

    /// Hands the bytes in `buffer` to the session; releases the buffer unless the session
    /// queued it.
    @inline(__always)
    mutating func deliver(_ slot: Int32, buffer: UInt16, length: Int, from side: ProxySide) -> SessionRequests {
        let index = Int(slot)
        if side == .client {
            pairs[index].receivedFromClient &+= UInt64(length)
        } else {
            pairs[index].receivedFromUpstream &+= UInt64(length)
        }
        if pairs[index].tlsSides != 0 && pairs[index].isTLS(side) {
            return deliverCiphertext(slot, buffer: buffer, length: length, from: side)
        }
        return deliverPlaintext(slot, buffer: buffer, length: length, from: side)
    }

    /// Hands plaintext in `buffer` to the session; releases the buffer unless the session queued it.
    @inline(__always)
    mutating func deliverPlaintext(_ slot: Int32, buffer: UInt16, length: Int, from side: ProxySide) -> SessionRequests {
        let index = Int(slot)
        var io = makeIO(slot)
        io.input = buffer
        io.inputLength = length
        io.inputSide = side
        let bytes = UnsafeMutableRawBufferPointer(start: poolStorage.pointee.address(of: buffer), count: length)
        sessions[index].received(bytes, from: side, io: &io)
        let claimed = io.claimedTarget != nil
        let tlsStart = io.tlsStart
        var requests = settle(slot, io)
        if pairs[index].tlsSides != 0 { runTLS(slot, start: tlsStart, input: buffer, &requests) }
        if !claimed { poolStorage.pointee.release(buffer) }
        return requests
    }

    /// Hands `event` to the session.
    mutating func deliver(_ slot: Int32, event: consuming SessionEvent<Session.Event>) -> SessionRequests {
        var io = makeIO(slot)
        sessions[Int(slot)].handle(event, io: &io)
        let tlsStart = io.tlsStart
        var requests = settle(slot, io)
        if pairs[Int(slot)].tlsSides != 0 { runTLS(slot, start: tlsStart, input: BufferPool.none, &requests) }
        return requests
    }

    /// Applies what needs no I/O and returns what does.
    @inline(__always)
    mutating func settle(_ slot: Int32, _ io: consuming SessionIO<Session.Event>) -> SessionRequests {
        let index = Int(slot)
        if let deadline = io.deadline { slots[index].sessionDeadline = deadline }
        var requests = SessionRequests(
            connect: io.wantsConnect && pairs[index].phase == .clientOnly, close: nil,
            readStateChanged: io.readStateChanged, touchedFlows: io.touchedFlows)
        if let reason = io.closeReason {
            if io.closeFlush {
                closeAfterFlush(slot, reason, &requests)
            } else {
                requests.close = reason
            }
        }
        return requests
    }

    /// Closes `slot` once what is queued is written (bounded by ``flushTimeout``); reading stops now.
    mutating func closeAfterFlush(_ slot: Int32, _ reason: CloseReason, _ requests: inout SessionRequests) {
        let index = Int(slot)
        if !pairs[index].closeAfterFlush {
            pairs[index].closeAfterFlush = true
            pairs[index].pendingCloseReason = reason
            slots[index].flushDeadline = now &+ Self.flushTimeout
            requests.readStateChanged = true
        }
        requests.connect = false
        if pairs[index].flushedForClose { requests.close = reason }
    }

    /// The upstream connect of `slot` failed, or timed out (`ETIMEDOUT`; its socket is closed
    /// here): logs it, goes back to `clientOnly` and lets the session answer. A session that
    /// asks for no close gets the loop's own close (`connectTimeout` or `upstreamConnectFailed`).
    mutating func upstreamConnectFailed(_ slot: Int32, errno: Int32) -> SessionRequests {
        let index = Int(slot)
        let listener = Int(slots[index].listener)
        context.log.enqueue(.upstreamUnavailable(
            listener: context.listeners[listener].name, upstream: upstreams[listener], errno: errno))
        close(slots[index].upstreamFD)
        slots[index].upstreamFD = -1
        pairs[index].phase = .clientOnly
        var requests = deliver(slot, event: .connectFailed(errno: errno))
        if requests.close == nil && !pairs[index].closeAfterFlush {
            requests.close = errno == ETIMEDOUT ? .connectTimeout : .upstreamConnectFailed(errno: errno)
        }
        return requests
    }

    /// Longest wait for a close-after-flush before the connection is closed regardless.
    static var flushTimeout: UInt64 { 5_000_000_000 }

    /// Drains the mailbox, handing each live session its events; `apply` carries out the
    /// requests (the backend's I/O).
    mutating func nextMailboxEvent() -> (Int32, Session.Event)? {
        while let (handle, event) = mailbox.take() {
            let tag = UserData(.ignored, slot: handle.slot, generation: handle.generation)
            guard handle.loop == Int32(context.index), isCurrent(tag),
                  pairs[Int(handle.slot)].phase != .closing else { continue }
            return (handle.slot, event)
        }
        return nil
    }

    // MARK: Buffer waiters

    /// Remembers that `side` of `slot` must resume reading once buffers are free.
    mutating func awaitBuffers(_ slot: Int32, _ side: ProxySide) {
        guard !slots[Int(slot)].awaitingBuffers(side) else { return }
        slots[Int(slot)].setAwaitingBuffers(side, true)
        bufferWaiters[bufferWaiterCount] = tag(.recv(from: side), slot).rawValue
        bufferWaiterCount += 1
    }

    /// Pops up to as many waiters as there are free buffers; `resume` re-arms each one that
    /// still wants to read.
    mutating func takeBufferWaiter() -> (slot: Int32, side: ProxySide)? {
        while bufferWaiterCount > 0 && poolStorage.pointee.available > 0 {
            bufferWaiterCount -= 1
            let tag = UserData(rawValue: bufferWaiters[bufferWaiterCount])
            guard isCurrent(tag) else { continue }
            let side: ProxySide = tag.operation == .recvClient ? .client : .upstream
            slots[Int(tag.slot)].setAwaitingBuffers(side, false)
            return (tag.slot, side)
        }
        return nil
    }

    // MARK: Timers and shutdown

    /// The reason `slot` must close now, if a timer expired.
    @inline(__always)
    func expiredTimer(_ slot: Int32) -> CloseReason? {
        let index = Int(slot)
        if pairs[index].closeAfterFlush && now >= slots[index].flushDeadline { return pairs[index].pendingCloseReason }
        switch pairs[index].phase {
        case .connecting:
            let connectTimeout = connectTimeouts[Int(slots[index].listener)]
            if connectTimeout > 0 && now &- slots[index].connectStartedAt >= connectTimeout { return .connectTimeout }
        case .established, .clientOnly:
            let idleTimeout = idleTimeouts[Int(slots[index].listener)]
            if idleTimeout > 0 && now &- slots[index].lastActivity >= idleTimeout { return .idleTimeout }
        case .closing:
            return nil
        }
        if draining && now >= drainDeadline { return .shutdown }
        return nil
    }

    /// True (once) when `slot`'s session deadline passed.
    @inline(__always)
    mutating func sessionDeadlinePassed(_ slot: Int32) -> Bool {
        let deadline = slots[Int(slot)].sessionDeadline
        guard deadline != 0, now >= deadline, pairs[Int(slot)].phase != .closing else { return false }
        slots[Int(slot)].sessionDeadline = 0
        return true
    }

    /// Reads the shutdown request; returns true the first time it is seen.
    mutating func checkShutdownRequest() -> Bool {
        let deadline = context.control.drainDeadline.load(ordering: .acquiring)
        guard deadline != 0 else { return false }
        if draining {
            // A later request may only bring the deadline forward.
            if deadline < drainDeadline {
                drainDeadline = deadline
                nextTick = now
            }
            return false
        }
        draining = true
        drainDeadline = deadline
        return true
    }

    /// The loop may exit: draining and every connection closed, or well past the deadline.
    var mayExit: Bool {
        draining && (liveCount == 0 || now >= drainDeadline &+ 2_000_000_000)
    }

    /// Publishes counters for other threads (relaxed stores, no allocation).
    mutating func publishStatistics() {
        let statistics = context.statistics
        statistics.activeConnections.store(liveCount, ordering: .relaxed)
        statistics.buffersInUse.store(poolStorage.pointee.inUse, ordering: .relaxed)
        statistics.peakBuffersInUse.store(poolStorage.pointee.peakInUse, ordering: .relaxed)
        statistics.messagesForwarded.store(forwarded, ordering: .relaxed)
        statistics.acceptedConnections.store(accepted, ordering: .relaxed)
        statistics.iterations.add(1, ordering: .relaxed)
        if let allocationCounter {
            statistics.threadAllocations.store(allocationCounter(), ordering: .relaxed)
        }
    }
}
