import CLibURing
import Glibc

/// Sets up io_uring rings the way the loops want them, with fallbacks for older kernels.
enum URingSetup {
    /// True when io_uring setup failure is being simulated (tests, `RINGGATE_FORCE_URING_FAILURE=1`).
    static func failureForced(_ configuration: ProxyConfiguration) -> Bool {
        if configuration.testing.forceURingSetupFailure { return true }
        if let value = getenv("RINGGATE_FORCE_URING_FAILURE"), String(cString: value) == "1" { return true }
        return false
    }

    /// Initializes `ring` with SINGLE_ISSUER|DEFER_TASKRUN when the kernel accepts them,
    /// then fewer flags. Returns the flags in use, or the negative errno of the last attempt.
    static func initialize(_ ring: UnsafeMutablePointer<io_uring>, entries: Int, configuration: ProxyConfiguration) -> Result<UInt32, SystemError> {
        if failureForced(configuration) {
            return .failure(SystemError("io_uring_queue_init (forced failure)", errno: EPERM))
        }
        let attempts: [UInt32] = [
            IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
            IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
            IORING_SETUP_COOP_TASKRUN,
            0,
        ]
        var lastError: Int32 = ENOSYS
        for flags in attempts {
            var params = io_uring_params()
            params.flags = flags | IORING_SETUP_CQSIZE
            params.cq_entries = UInt32(entries * 4)
            let rc = io_uring_queue_init_params(UInt32(entries), ring, &params)
            if rc == 0 { return .success(flags) }
            lastError = -rc
            // Only unsupported flags are worth retrying; EPERM/ENOSYS mean io_uring is off.
            if lastError != EINVAL { break }
        }
        return .failure(SystemError("io_uring_queue_init", errno: lastError))
    }

    /// Sets up and tears down a small ring and checks, on a socket pair, the operations the
    /// loops depend on: a provided-buffer ring, and a multishot recv that selects from it and
    /// stays armed (`F_MORE`). Used by `.auto` backend selection, so a kernel or a seccomp
    /// profile that lacks one of them gets epoll instead of failing connections later.
    static func probe(configuration: ProxyConfiguration) -> Result<UInt32, SystemError> {
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        defer { ring.deallocate() }
        let result = initialize(ring, entries: 8, configuration: configuration)
        guard case .success = result else { return result }
        defer { io_uring_queue_exit(ring) }
        do {
            var pool = try BufferPool(bufferSize: 4096, count: 8)
            try pool.registerRing(ring, group: 0)
            try probeMultishotRecv(ring)
        } catch {
            return .failure(error)
        }
        return result
    }

    /// Arms a multishot buffer-select recv on one end of a Unix socket pair, writes a byte
    /// to the other end, and expects one completion carrying a buffer and `F_MORE`.
    private static func probeMultishotRecv(_ ring: UnsafeMutablePointer<io_uring>) throws(SystemError) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError("socketpair", errno: rg_errno())
        }
        defer {
            close(fds[0])
            close(fds[1])
        }
        guard let sqe = io_uring_get_sqe(ring) else { throw SystemError("io_uring_get_sqe", errno: EBUSY) }
        rg_prep_recv_multishot_select(sqe, fds[0], 0, 1)
        var byte: UInt8 = 0x2a
        guard write(fds[1], &byte, 1) == 1 else { throw SystemError("write", errno: rg_errno()) }
        var timeout = __kernel_timespec(tv_sec: 2, tv_nsec: 0)
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        var rc: Int32
        repeat {  // a signal (SIGHUP reload) during the wait is not a missing feature
            rc = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &timeout, nil)
        } while rc == -EINTR
        guard rc >= 0, let completion = cqe else {
            throw SystemError("multishot recv probe", errno: rc < 0 ? -rc : ETIME)
        }
        let res = completion.pointee.res
        let flags = completion.pointee.flags
        io_uring_cqe_seen(ring, completion)
        guard res >= 0 else { throw SystemError("multishot recv probe", errno: -res) }
        guard res == 1, flags & IORING_CQE_F_BUFFER != 0, flags & IORING_CQE_F_MORE != 0 else {
            throw SystemError("multishot recv probe (no buffer or no F_MORE)", errno: EOPNOTSUPP)
        }
    }
}

/// An event loop on io_uring: multishot accept and recv into a provided-buffer ring, sends
/// straight from the received buffer, one `io_uring_submit_and_wait` per iteration.
struct URingLoop<Session: ProxySession & ~Copyable>: ~Copyable {
    private var core: LoopCore<Session>
    private let ring: UnsafeMutablePointer<io_uring>
    private let cqes: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let cqeBatch = 256
    /// Stable memory for the tick timeout and the wake-up read.
    private let tickSpec: UnsafeMutablePointer<__kernel_timespec>
    private let wakeValue: UnsafeMutablePointer<UInt64>
    private var acceptArmed: UnsafeMutablePointer<Bool>
    /// Entries in the ring's sparse file table (two per slot, see ``registerFiles(_:)``);
    /// slots past it, or every slot when the kernel refused the table, use plain descriptors.
    private let fileTableEntries: Int32
    /// Stable memory for file-table updates (two descriptors).
    private let fileUpdate: UnsafeMutablePointer<Int32>
    let setupFlags: UInt32

    /// Creates the ring on the calling thread (it becomes the ring's single issuer).
    init(context: LoopContext, shared: Session.Shared, mailbox: SessionMailbox<Session.Event>) throws(SystemError) {
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        let flags: UInt32
        switch URingSetup.initialize(ring, entries: context.configuration.ringEntries, configuration: context.configuration) {
        case .success(let value): flags = value
        case .failure(let error):
            ring.deallocate()
            throw error
        }
        var core: LoopCore<Session>
        do {
            core = try LoopCore<Session>(context: context, shared: shared, mailbox: mailbox)
        } catch {
            io_uring_queue_exit(ring)
            ring.deallocate()
            throw error
        }
        do {
            try core.poolStorage.pointee.registerRing(ring, group: 0)
        } catch {
            _ = consume core
            io_uring_queue_exit(ring)
            ring.deallocate()
            throw error
        }
        let tick = core.tick
        let listenerCount = core.listenerCount
        fileTableEntries = Self.registerFileTable(ring, slots: core.capacity)
        fileUpdate = .allocate(capacity: 2)
        fileUpdate.initialize(repeating: -1, count: 2)
        self.core = core
        self.ring = ring
        self.setupFlags = flags
        cqes = .allocate(capacity: cqeBatch)
        tickSpec = .allocate(capacity: 1)
        tickSpec.initialize(to: __kernel_timespec(
            tv_sec: Int64(tick / 1_000_000_000), tv_nsec: Int64(tick % 1_000_000_000)))
        wakeValue = .allocate(capacity: 1)
        wakeValue.initialize(to: 0)
        acceptArmed = .allocate(capacity: max(1, listenerCount))
        acceptArmed.initialize(repeating: false, count: max(1, listenerCount))
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
        cqes.deallocate()
        tickSpec.deallocate()
        wakeValue.deallocate()
        acceptArmed.deallocate()
        fileUpdate.deallocate()
    }

    // MARK: Run

    /// Runs until shutdown completes.
    mutating func run() {
        for listener in 0..<core.listenerCount { armAccept(listener) }
        armWake()
        armTick()
        while true {
            _ = io_uring_submit_and_wait(ring, 1)
            core.now = monotonicNanoseconds()
            reapCompletions()
            core.poolStorage.pointee.flushReleases()
            resumeBufferWaiters()
            if core.checkShutdownRequest() { stopAccepting() }
            if core.now >= core.nextTick {
                core.nextTick = core.now &+ core.tick
                runTimers()
            }
            core.poolStorage.pointee.flushReleases()
            core.publishStatistics()
            if core.mayExit { break }
        }
    }

    private mutating func reapCompletions() {
        while true {
            let count = Int(io_uring_peek_batch_cqe(ring, cqes, UInt32(cqeBatch)))
            if count == 0 { return }
            for index in 0..<count {
                guard let cqe = cqes[index] else { continue }
                handle(UserData(rawValue: cqe.pointee.user_data), result: cqe.pointee.res, flags: cqe.pointee.flags)
            }
            io_uring_cq_advance(ring, UInt32(count))
            if count < cqeBatch { return }
        }
    }

    @inline(__always)
    private mutating func handle(_ tag: UserData, result: Int32, flags: UInt32) {
        switch tag.operation {
        case .recvClient: received(tag, from: .client, result: result, flags: flags)
        case .recvUpstream: received(tag, from: .upstream, result: result, flags: flags)
        case .sendToClient: sent(tag, to: .client, result: result)
        case .sendToUpstream: sent(tag, to: .upstream, result: result)
        case .accept: accepted(listener: Int(tag.slot), result: result, flags: flags)
        case .connect: connected(tag, result: result)
        case .wake:
            armWake()
            drainMailbox()
        case .tick:
            armTick()
        case .ignored, .clientSocket, .upstreamSocket, .none:
            // A recv that selected a buffer always carries F_BUFFER; nothing else does.
            if flags & IORING_CQE_F_BUFFER != 0 {
                let buffer = rg_cqe_buffer_id_flags(flags)
                core.poolStorage.pointee.noteAcquired(buffer)
                core.poolStorage.pointee.release(buffer)
            }
        }
    }

    // MARK: SQEs

    @inline(__always)
    private func nextSQE() -> UnsafeMutablePointer<io_uring_sqe> {
        while true {
            if let sqe = io_uring_get_sqe(ring) { return sqe }
            _ = io_uring_submit(ring)
        }
    }

    private mutating func armAccept(_ listener: Int) {
        guard !acceptArmed[listener], core.listenerFDs[listener] >= 0 else { return }
        let sqe = nextSQE()
        io_uring_prep_multishot_accept(sqe, core.listenerFDs[listener], nil, nil, Int32(SOCK_CLOEXEC.rawValue))
        sqe.pointee.user_data = UserData(.accept, slot: Int32(listener), generation: 0).rawValue
        acceptArmed[listener] = true
    }

    private func armWake() {
        let sqe = nextSQE()
        io_uring_prep_read(sqe, core.context.control.wakeFD, wakeValue, 8, 0)
        sqe.pointee.user_data = UserData(.wake, slot: 0, generation: 0).rawValue
    }

    private func armTick() {
        let sqe = nextSQE()
        io_uring_prep_timeout(sqe, tickSpec, 0, 0)
        sqe.pointee.user_data = UserData(.tick, slot: 0, generation: 0).rawValue
    }

    /// Arms a recv on `side` selecting from the buffer ring.
    ///
    /// Multishot once the side looks interactive (its last two reads were short, left the
    /// socket empty and found the sink idle): request-response traffic then needs no
    /// re-arm per message. One-shot otherwise (streams, backlogs, connection starts): a
    /// multishot recv keeps pulling whatever the socket holds into pool buffers until a
    /// cancel lands (the kernel retries it up to 32 buffers per task-work pass), while
    /// one-shot recvs stop exactly at the high-water mark. A multishot that starts seeing a
    /// stream or a backlog is traded for one-shot recvs at its first such completion (see
    /// ``received(_:from:result:flags:)``), so the overshoot is one burst.
    @inline(__always)
    private mutating func armRecv(_ slot: Int32, _ side: ProxySide) {
        let index = Int(slot)
        guard !core.slots[index].recvArmed(side) else { return }
        let tag = core.tag(.recv(from: side), slot).rawValue
        let fixed = core.slots[index].registeredFiles
        let fd = fixed ? Self.fileIndex(slot, side) : core.slots[index].fd(side)
        let multishot = core.slots[index].interactiveReads(side) >= 2
        let sqe = nextSQE()
        if multishot {
            rg_prep_recv_multishot_select(sqe, fd, 0, tag)
        } else {
            rg_prep_recv_select(sqe, fd, 0, tag)
        }
        if fixed { rg_sqe_set_fixed_file(sqe) }
        core.slots[index].setRecvArmed(side, true)
        core.slots[index].setRecvMultishot(side, multishot)
        core.slots[index].setRecvCancelling(side, false)
        core.slots[index].outstanding += 1
    }

    /// Cancels the armed recv on `side` (once).
    @inline(__always)
    private mutating func cancelRecv(_ slot: Int32, _ side: ProxySide) {
        let index = Int(slot)
        guard core.slots[index].recvArmed(side), !core.slots[index].recvCancelling(side) else { return }
        core.slots[index].setRecvCancelling(side, true)
        cancel(core.tag(.recv(from: side), slot))
    }

    @inline(__always)
    private func cancel(_ tag: UserData) {
        let sqe = nextSQE()
        io_uring_prep_cancel64(sqe, tag.rawValue, Int32(IORING_ASYNC_CANCEL_ALL))
        sqe.pointee.user_data = UserData(.ignored, slot: 0, generation: 0).rawValue
    }

    /// Writes the head of the flow sourced at `side` to the other socket, from the buffer
    /// the bytes were received into.
    @inline(__always)
    private mutating func startWrite(_ slot: Int32, from side: ProxySide) {
        let index = Int(slot)
        guard let pending = core.pairs[index][from: side].pendingWrite(pool: core.poolStorage.pointee) else { return }
        let sink = side.opposite
        let sqe = nextSQE()
        let fixed = core.slots[index].registeredFiles
        let fd = fixed ? Self.fileIndex(slot, sink) : core.slots[index].fd(sink)
        io_uring_prep_send(sqe, fd, pending.baseAddress, pending.count, Int32(MSG_NOSIGNAL))
        if fixed { rg_sqe_set_fixed_file(sqe) }
        sqe.pointee.user_data = core.tag(.send(to: sink), slot).rawValue
        core.pairs[index][from: side].writing = true
        core.slots[index].outstanding += 1
    }

    // MARK: Completions

    private mutating func accepted(listener: Int, result: Int32, flags: UInt32) {
        if flags & IORING_CQE_F_MORE == 0 { acceptArmed[listener] = false }
        guard result >= 0 else {
            let error = -result
            if error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM {
                pauseAccept(listener, .resources(errno: error))
            } else if !acceptArmed[listener] && !core.draining && core.acceptPausedUntil[listener] == 0 {
                armAccept(listener)
            }
            return
        }
        if !acceptArmed[listener] && !core.draining && core.acceptPausedUntil[listener] == 0 { armAccept(listener) }
        let clientFD = result
        if core.context.log.isBackedUp && !core.draining {
            close(clientFD)
            core.context.log.noteRefusedForBacklog()
            pauseAccept(listener, .accessLogBacklog)
            return
        }
        guard !core.draining, let slot = core.openSlot(clientFD: clientFD, listener: listener) else {
            close(clientFD)
            if !core.draining { pauseAccept(listener, .connectionTableFull) }
            return
        }
        Socket.setNoDelay(clientFD)
        apply(slot, core.startSession(slot))
        if core.slots[Int(slot)].active && core.pairs[Int(slot)].phase != .closing { reconcileReads(slot) }
    }

    /// Opens the upstream socket of `slot` and submits its connect.
    private mutating func startConnect(_ slot: Int32) {
        let index = Int(slot)
        let listener = Int(core.slots[index].listener)
        let upstream = core.upstreams + listener
        let upstreamFD = Socket.makeStream(family: upstream.pointee.family, nonBlocking: false)
        guard upstreamFD >= 0 else {
            let error = rg_errno()
            beginClose(slot, .resourceExhausted(errno: error))
            pauseAccept(listener, .resources(errno: error))
            return
        }
        Socket.setReceiveBuffer(upstreamFD, core.socketReceiveBufferSize)
        core.slots[index].upstreamFD = upstreamFD
        core.pairs[index].phase = .connecting
        core.slots[index].connectStartedAt = core.now
        let sqe = nextSQE()
        upstream.withMemoryRebound(to: sockaddr_storage.self, capacity: 1) { storage in
            let raw = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr.self)
            io_uring_prep_connect(sqe, upstreamFD, raw, upstream.pointee.length)
        }
        sqe.pointee.user_data = core.tag(.connect, slot).rawValue
        core.slots[index].outstanding += 1
    }

    // MARK: Session requests

    /// Carries out what a session call asked for. Writes of the flow sourced at `except`
    /// are left to the caller (the receive path decides them with its read heuristics).
    private mutating func apply(_ slot: Int32, _ requests: SessionRequests, except: ProxySide? = nil) {
        let index = Int(slot)
        if let reason = requests.close {
            beginClose(slot, reason)
            return
        }
        if requests.connect {
            startConnect(slot)
            guard core.pairs[index].phase != .closing else { return }
        }
        if requests.touchedFlows & 1 != 0, except != .client, core.pairs[index].canStartWrite(from: .client) {
            startWrite(slot, from: .client)
        }
        if requests.touchedFlows & 2 != 0, except != .upstream, core.pairs[index].canStartWrite(from: .upstream) {
            startWrite(slot, from: .upstream)
        }
        if requests.readStateChanged { reconcileReads(slot) }
    }

    /// Arms or cancels each side's recv to match what the connection wants now.
    private mutating func reconcileReads(_ slot: Int32) {
        reconcileRead(slot, .client)
        reconcileRead(slot, .upstream)
    }

    @inline(__always)
    private mutating func reconcileRead(_ slot: Int32, _ side: ProxySide) {
        let index = Int(slot)
        if core.pairs[index].wantsRead(side) {
            if !core.slots[index].recvArmed(side) && !core.slots[index].awaitingBuffers(side) { armRecv(slot, side) }
        } else if core.slots[index].recvArmed(side) {
            cancelRecv(slot, side)
        }
    }

    private mutating func drainMailbox() {
        while let (slot, event) = core.nextMailboxEvent() {
            apply(slot, core.deliver(slot, event: .custom(event)))
        }
    }

    private mutating func pauseAccept(_ listener: Int, _ cause: AcceptPauseCause) {
        if core.acceptPausedUntil[listener] == 0 {
            core.context.log.enqueue(.acceptPaused(listener: core.context.listeners[listener].name, cause: cause))
        }
        core.acceptPausedUntil[listener] = core.now &+ core.acceptRetryDelay
        if acceptArmed[listener] { cancel(UserData(.accept, slot: Int32(listener), generation: 0)) }
    }

    private mutating func connected(_ tag: UserData, result: Int32) {
        guard core.isCurrent(tag) else { return }
        let slot = tag.slot
        let index = Int(slot)
        core.slots[index].outstanding -= 1
        if core.pairs[index].phase == .closing {
            finishIfIdle(slot)
            return
        }
        // A connect given up at its timeout completes later (cancelled): nothing left to do.
        guard core.pairs[index].phase == .connecting else { return }
        guard result == 0 else {
            apply(slot, core.upstreamConnectFailed(slot, errno: -result))
            return
        }
        Socket.setNoDelay(core.slots[index].upstreamFD)
        registerFiles(slot)
        core.pairs[index].phase = .established
        core.slots[index].lastActivity = core.now
        apply(slot, core.deliver(slot, event: .connected))
        guard core.pairs[index].phase == .established else { return }
        if core.pairs[index].canStartWrite(from: .client) { startWrite(slot, from: .client) }
        if core.pairs[index].canStartWrite(from: .upstream) { startWrite(slot, from: .upstream) }
        if core.pairs[index].fromClient.sourceEOF && core.pairs[index].receivedEOF(from: .client) {
            shutdown(core.slots[index].upstreamFD, Int32(SHUT_WR))
        }
        reconcileReads(slot)
    }

    @inline(__always)
    private mutating func received(_ tag: UserData, from side: ProxySide, result: Int32, flags: UInt32) {
        let hasBuffer = flags & IORING_CQE_F_BUFFER != 0
        let buffer = rg_cqe_buffer_id_flags(flags)
        if hasBuffer { core.poolStorage.pointee.noteAcquired(buffer) }
        guard core.isCurrent(tag) else {
            if hasBuffer { core.poolStorage.pointee.release(buffer) }
            return
        }
        let slot = tag.slot
        let index = Int(slot)
        let more = flags & IORING_CQE_F_MORE != 0
        if !more {
            core.slots[index].setRecvArmed(side, false)
            core.slots[index].outstanding -= 1
        }
        if core.pairs[index].phase == .closing {
            if hasBuffer { core.poolStorage.pointee.release(buffer) }
            finishIfIdle(slot)
            return
        }
        if result > 0 && hasBuffer {
            let streaming = flags & IORING_CQE_F_SOCK_NONEMPTY != 0 || Int(result) >= core.poolStorage.pointee.bufferSize
            core.slots[index].lastActivity = core.now
            core.forwarded &+= 1
            let requests = core.deliver(slot, buffer: buffer, length: Int(result), from: side)
            if requests.close != nil || requests.connect || requests.readStateChanged
                || requests.touchedFlows & (side == .client ? 2 : 1) != 0 {
                apply(slot, requests, except: side)
                guard core.pairs[index].phase != .closing else { return }
            }
            let startWrite = core.pairs[index].canStartWrite(from: side)
            core.slots[index].noteRead(side, interactive: !streaming && startWrite)
            if startWrite { self.startWrite(slot, from: side) }
            if more && core.slots[index].recvMultishot(side) && (!startWrite || streaming) {
                // A stream or a backlog is forming (the sink is still busy with earlier
                // bytes): trade the multishot for one-shot recvs so reading stops at the mark.
                cancelRecv(slot, side)
            }
            if core.pairs[index].checkHighWaterMark(from: side) { cancelRecv(slot, side) }
        } else if result == 0 {
            if hasBuffer { core.poolStorage.pointee.release(buffer) }
            if side == .client && core.pairs[index].phase == .clientOnly {
                beginClose(slot, .completed)
                return
            }
            if core.pairs[index].receivedEOF(from: side) {
                shutdown(core.slots[index].fd(side.opposite), Int32(SHUT_WR))
            }
            if core.pairs[index].isCompleted { beginClose(slot, .completed) }
            return
        } else if result == -ENOBUFS {
            core.awaitBuffers(slot, side)
            return
        } else if result < 0 && result != -ECANCELED {
            if hasBuffer { core.poolStorage.pointee.release(buffer) }
            failed(slot, side: side, errno: -result)
            return
        }
        if !more && core.pairs[index].wantsRead(side) {
            armRecv(slot, side)
        }
    }

    @inline(__always)
    private mutating func sent(_ tag: UserData, to sink: ProxySide, result: Int32) {
        guard core.isCurrent(tag) else { return }
        let slot = tag.slot
        let index = Int(slot)
        let source = sink.opposite
        core.slots[index].outstanding -= 1
        core.pairs[index][from: source].writing = false
        if core.pairs[index].phase == .closing {
            finishIfIdle(slot)
            return
        }
        guard result >= 0 else {
            failed(slot, side: sink, errno: -result)
            return
        }
        let decision = core.pairs[index].wrote(Int(result), from: source, pool: &core.poolStorage.pointee)
        if decision.continueWrite { startWrite(slot, from: source) }
        if decision.resumeRead && core.pairs[index].wantsRead(source)
            && !core.slots[index].recvArmed(source) && !core.slots[index].awaitingBuffers(source) {
            armRecv(slot, source)
        }
        if decision.shutdownSink { shutdown(core.slots[index].fd(sink), Int32(SHUT_WR)) }
        if core.pairs[index].isCompleted {
            beginClose(slot, .completed)
        } else if core.pairs[index].flushedForClose {
            beginClose(slot, core.pairs[index].pendingCloseReason)
        }
    }

    /// A socket error on `side`: a reset is propagated as a reset of the other side.
    private mutating func failed(_ slot: Int32, side: ProxySide, errno: Int32) {
        if errno == ECONNRESET || errno == EPIPE {
            Socket.setAbortiveClose(core.slots[Int(slot)].fd(side.opposite))
            beginClose(slot, side == .client ? .clientReset : .upstreamReset)
        } else {
            Socket.setAbortiveClose(core.slots[Int(slot)].fd(side.opposite))
            beginClose(slot, .ioError(side: side, errno: errno))
        }
    }

    // MARK: Closing

    /// Stops all I/O of `slot`; the slot is freed once its outstanding operations complete.
    private mutating func beginClose(_ slot: Int32, _ reason: CloseReason) {
        let index = Int(slot)
        guard core.pairs[index].phase != .closing else { return }
        let phase = core.pairs[index].phase
        core.pairs[index].phase = .closing
        core.slots[index].closeReason = reason
        if phase == .connecting { cancel(core.tag(.connect, slot)) }
        for side in [ProxySide.client, .upstream] {
            cancelRecv(slot, side)
            if core.pairs[index][from: side].writing { cancel(core.tag(.send(to: side.opposite), slot)) }
        }
        finishIfIdle(slot)
    }

    @inline(__always)
    private mutating func finishIfIdle(_ slot: Int32) {
        guard core.slots[Int(slot)].outstanding == 0 else { return }
        unregisterFiles(slot)
        core.finishClose(slot)
    }

    // MARK: Registered files

    /// Registers a sparse file table with two entries per slot, capped by the descriptor limit
    /// (the kernel refuses a larger table); returns its size, 0 when refused.
    private static func registerFileTable(_ ring: UnsafeMutablePointer<io_uring>, slots: Int) -> Int32 {
        var limit = rlimit()
        let cap = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : 1024
        let entries = Int32(clamping: min(2 * slots, cap, 1 << 20))
        guard entries >= 2, io_uring_register_files_sparse(ring, UInt32(entries)) == 0 else { return 0 }
        return entries
    }

    /// The file-table index of `side`'s socket in `slot`.
    @inline(__always)
    private static func fileIndex(_ slot: Int32, _ side: ProxySide) -> Int32 {
        2 &* slot &+ (side == .client ? 0 : 1)
    }

    /// Puts both sockets of an established `slot` into the ring's file table, so its recvs
    /// and sends skip the per-operation descriptor lookup (fget/fput). One register call
    /// per connection; on failure the slot keeps using plain descriptors.
    private mutating func registerFiles(_ slot: Int32) {
        let index = Int(slot)
        guard Self.fileIndex(slot, .upstream) < fileTableEntries else { return }
        fileUpdate[0] = core.slots[index].clientFD
        fileUpdate[1] = core.slots[index].upstreamFD
        core.slots[index].registeredFiles =
            io_uring_register_files_update(ring, UInt32(Self.fileIndex(slot, .client)), fileUpdate, 2) == 2
    }

    /// Empties `slot`'s file-table entries before its descriptors close (the table holds
    /// its own reference: a socket left there would stay open after close(2)).
    private mutating func unregisterFiles(_ slot: Int32) {
        let index = Int(slot)
        guard core.slots[index].registeredFiles else { return }
        fileUpdate[0] = -1
        fileUpdate[1] = -1
        _ = io_uring_register_files_update(ring, UInt32(Self.fileIndex(slot, .client)), fileUpdate, 2)
        core.slots[index].registeredFiles = false
    }

    private mutating func resumeBufferWaiters() {
        while let (slot, side) = core.takeBufferWaiter() {
            let index = Int(slot)
            guard core.pairs[index].wantsRead(side), !core.slots[index].recvArmed(side) else { continue }
            armRecv(slot, side)
        }
    }

    private mutating func runTimers() {
        for listener in 0..<core.listenerCount where core.acceptPausedUntil[listener] != 0 {
            if core.now >= core.acceptPausedUntil[listener] && !core.draining {
                core.acceptPausedUntil[listener] = 0
                armAccept(listener)
            }
        }
        guard core.liveCount > 0 else { return }
        for index in 0..<core.capacity where core.slots[index].active {
            if core.sessionDeadlinePassed(Int32(index)) {
                apply(Int32(index), core.deliver(Int32(index), event: .deadline))
                guard core.slots[index].active else { continue }
            }
            if core.pairs[index].phase != .closing, let reason = core.expiredTimer(Int32(index)) {
                if reason == .connectTimeout {
                    // The session answers a timed-out connect like a failed one; the connect
                    // in flight is cancelled and its completion finds the socket gone.
                    cancel(core.tag(.connect, Int32(index)))
                    apply(Int32(index), core.upstreamConnectFailed(Int32(index), errno: ETIMEDOUT))
                    continue
                }
                beginClose(Int32(index), reason)
            }
        }
    }

    private mutating func stopAccepting() {
        for listener in 0..<core.listenerCount where core.listenerFDs[listener] >= 0 {
            if acceptArmed[listener] {
                cancel(UserData(.accept, slot: Int32(listener), generation: 0))
            }
        }
        _ = io_uring_submit(ring)
        for listener in 0..<core.listenerCount where core.listenerFDs[listener] >= 0 {
            close(core.listenerFDs[listener])
            core.listenerFDs[listener] = -1
        }
        // Sessions still live keep running until they end or the drain deadline passes;
        // make sure the timer notices the deadline promptly.
        core.nextTick = core.now
    }
}
