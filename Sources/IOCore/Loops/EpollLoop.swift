import CLibURing
import Glibc

/// An event loop on epoll (level-triggered): non-blocking reads into pool buffers, writes
/// from those same buffers, driving the same ``ConnectionPair`` state machine as the
/// io_uring loop.
struct EpollLoop<Session: ProxySession & ~Copyable>: ~Copyable {
    private var core: LoopCore<Session>
    private let epollFD: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    private let eventCapacity = 256
    /// Reads per readiness event before giving other sockets a turn.
    private let readBurst = 8

    init(context: LoopContext, shared: Session.Shared, mailbox: SessionMailbox<Session.Event>) throws(SystemError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw .last("epoll_create1") }
        do {
            core = try LoopCore<Session>(context: context, shared: shared, mailbox: mailbox)
        } catch {
            Glibc.close(fd)
            throw error
        }
        epollFD = fd
        events = .allocate(capacity: eventCapacity)
    }

    deinit {
        Glibc.close(epollFD)
        events.deallocate()
    }

    mutating func run() {
        for listener in 0..<core.listenerCount { register(core.listenerFDs[listener], UserData(.accept, slot: Int32(listener), generation: 0), EPOLLIN.rawValue) }
        register(core.context.control.wakeFD, UserData(.wake, slot: 0, generation: 0), EPOLLIN.rawValue)
        while true {
            let waitNanoseconds = core.nextTick > core.now ? core.nextTick - core.now : 0
            let timeout = Int32(min((waitNanoseconds + 999_999) / 1_000_000, 1000))
            let count = epoll_wait(epollFD, events, Int32(eventCapacity), timeout)
            core.now = monotonicNanoseconds()
            if count > 0 {
                for index in 0..<Int(count) {
                    let event = events[index]
                    handle(UserData(rawValue: event.data.u64), events: event.events)
                }
            }
            resumeBufferWaiters()
            if core.checkShutdownRequest() { stopAccepting() }
            if core.now >= core.nextTick {
                core.nextTick = core.now &+ core.tick
                runTimers()
            }
            core.publishStatistics()
            if core.mayExit { break }
        }
    }

    // MARK: Registration

    private func register(_ fd: Int32, _ tag: UserData, _ mask: UInt32) {
        var event = epoll_event()
        event.events = mask
        event.data.u64 = tag.rawValue
        epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
    }

    /// Whether the loop wants to read from `side` now.
    @inline(__always)
    private func wantsRead(_ index: Int, _ side: ProxySide) -> Bool {
        core.pairs[index].wantsRead(side) && !core.slots[index].awaitingBuffers(side)
    }

    /// Brings the socket's epoll registration in line with what the state machine wants.
    /// An idle socket is removed, so a half-closed socket's EPOLLHUP cannot spin the loop.
    @inline(__always)
    private mutating func updateInterest(_ slot: Int32, _ side: ProxySide) {
        let index = Int(slot)
        guard core.slots[index].active, core.pairs[index].phase != .closing else { return }
        var desired: UInt32 = 0
        if wantsRead(index, side) { desired |= EPOLLIN.rawValue }
        if core.pairs[index][from: side.opposite].writing { desired |= EPOLLOUT.rawValue }
        if core.pairs[index].phase == .connecting && side == .upstream { desired = EPOLLOUT.rawValue }
        let current = core.slots[index].interest(side)
        guard desired != current else { return }
        let fd = core.slots[index].fd(side)
        var event = epoll_event()
        event.events = desired
        event.data.u64 = core.tag(side == .client ? .clientSocket : .upstreamSocket, slot).rawValue
        if desired == 0 {
            epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        } else if current == 0 {
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        } else {
            epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
        }
        core.slots[index].setInterest(side, desired)
    }

    // MARK: Events

    @inline(__always)
    private mutating func handle(_ tag: UserData, events: UInt32) {
        switch tag.operation {
        case .clientSocket: socketReady(tag, .client, events: events)
        case .upstreamSocket: socketReady(tag, .upstream, events: events)
        case .accept: acceptReady(Int(tag.slot))
        case .wake:
            var value: UInt64 = 0
            _ = read(core.context.control.wakeFD, &value, 8)
            drainMailbox()
        default: break
        }
    }

    @inline(__always)
    private mutating func socketReady(_ tag: UserData, _ side: ProxySide, events: UInt32) {
        guard core.isCurrent(tag) else { return }
        let slot = tag.slot
        let index = Int(slot)
        if core.pairs[index].phase == .connecting && side == .upstream {
            connectReady(slot)
            return
        }
        let failure = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        if events & EPOLLOUT.rawValue != 0 || (failure && core.pairs[index][from: side.opposite].writing) {
            core.pairs[index][from: side.opposite].writing = false
            flushWrites(slot, from: side.opposite)
        }
        guard core.isCurrent(tag), core.pairs[index].phase != .closing else { return }
        if events & EPOLLIN.rawValue != 0 || failure {
            readReady(slot, side)
        }
    }

    private mutating func readReady(_ slot: Int32, _ side: ProxySide) {
        let index = Int(slot)
        let generation = core.slots[index].generation
        var reads = 0
        while reads < readBurst && wantsRead(index, side) {
            reads += 1
            let buffer = core.poolStorage.pointee.acquire()
            guard buffer != BufferPool.none else {
                core.awaitBuffers(slot, side)
                break
            }
            let count = read(core.slots[index].fd(side), core.poolStorage.pointee.address(of: buffer), core.poolStorage.pointee.bufferSize)
            if count > 0 {
                core.slots[index].lastActivity = core.now
                core.forwarded &+= 1
                let requests = core.deliver(slot, buffer: buffer, length: count, from: side)
                if requests.close != nil || requests.connect || requests.readStateChanged
                    || requests.touchedFlows & (side == .client ? 2 : 1) != 0 {
                    apply(slot, requests, except: side)
                    guard core.slots[index].active, core.slots[index].generation == generation,
                          core.pairs[index].phase != .closing else { return }
                }
                _ = core.pairs[index].checkHighWaterMark(from: side)
                if core.pairs[index].canStartWrite(from: side) {
                    flushWrites(slot, from: side)
                    guard core.slots[index].active, core.slots[index].generation == generation,
                          core.pairs[index].phase != .closing else { return }
                }
                if count < core.poolStorage.pointee.bufferSize { break }
            } else if count == 0 {
                core.poolStorage.pointee.release(buffer)
                if side == .client && core.pairs[index].phase == .clientOnly {
                    closeConnection(slot, .completed)
                    return
                }
                if core.pairs[index].receivedEOF(from: side) {
                    shutdown(core.slots[index].fd(side.opposite), Int32(SHUT_WR))
                }
                if core.pairs[index].isCompleted {
                    closeConnection(slot, .completed)
                    return
                }
                break
            } else {
                core.poolStorage.pointee.release(buffer)
                let error = rg_errno()
                if error == EAGAIN || error == EWOULDBLOCK || error == EINTR { break }
                failed(slot, side: side, errno: error)
                return
            }
        }
        updateInterest(slot, side)
    }

    /// Writes queued bytes of the flow sourced at `source` until the queue empties or the
    /// sink would block.
    private mutating func flushWrites(_ slot: Int32, from source: ProxySide) {
        let index = Int(slot)
        let sink = source.opposite
        var resume = false
        while let pending = core.pairs[index][from: source].pendingWrite(pool: core.poolStorage.pointee) {
            let count = send(core.slots[index].fd(sink), pending.baseAddress, pending.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            if count < 0 {
                let error = rg_errno()
                if error == EAGAIN || error == EWOULDBLOCK {
                    core.pairs[index][from: source].writing = true
                    break
                }
                if error == EINTR { continue }
                failed(slot, side: sink, errno: error)
                return
            }
            let decision = core.pairs[index].wrote(count, from: source, pool: &core.poolStorage.pointee)
            if decision.resumeRead { resume = true }
            if decision.shutdownSink { shutdown(core.slots[index].fd(sink), Int32(SHUT_WR)) }
            if core.pairs[index].isCompleted {
                closeConnection(slot, .completed)
                return
            }
            if !decision.continueWrite { break }
        }
        if core.pairs[index].flushedForClose {
            closeConnection(slot, core.pairs[index].pendingCloseReason)
            return
        }
        if core.pairs[index][from: source].isEmpty {
            core.pairs[index][from: source].writing = false
            if core.pairs[index][from: source].sourceEOF && !core.pairs[index][from: source].sinkShutdown
                && core.pairs[index].phase == .established {
                core.pairs[index][from: source].sinkShutdown = true
                shutdown(core.slots[index].fd(sink), Int32(SHUT_WR))
                if core.pairs[index].isCompleted {
                    closeConnection(slot, .completed)
                    return
                }
            }
        }
        updateInterest(slot, sink)
        if resume { updateInterest(slot, source) }
    }

    private mutating func acceptReady(_ listener: Int) {
        guard !core.draining, core.acceptPausedUntil[listener] == 0 else { return }
        let listenFD = core.listenerFDs[listener]
        for _ in 0..<64 {
            let clientFD = rg_accept4(listenFD, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if clientFD < 0 {
                let error = rg_errno()
                if error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM {
                    pauseAccept(listener, .resources(errno: error))
                }
                return
            }
            if core.context.log.isBackedUp {
                Glibc.close(clientFD)
                core.context.log.noteRefusedForBacklog()
                pauseAccept(listener, .accessLogBacklog)
                return
            }
            guard let slot = core.openSlot(clientFD: clientFD, listener: listener) else {
                Glibc.close(clientFD)
                pauseAccept(listener, .connectionTableFull)
                return
            }
            Socket.setNoDelay(clientFD)
            apply(slot, core.startSession(slot))
            if core.slots[Int(slot)].active && core.pairs[Int(slot)].phase != .closing { updateInterest(slot, .client) }
        }
    }

    // MARK: Session requests

    /// Carries out what a session call asked for. Writes of the flow sourced at `except`
    /// are left to the caller.
    private mutating func apply(_ slot: Int32, _ requests: SessionRequests, except: ProxySide? = nil) {
        let index = Int(slot)
        let generation = core.slots[index].generation
        if let reason = requests.close {
            closeConnection(slot, reason)
            return
        }
        if requests.connect {
            startConnect(slot)
            guard core.slots[index].active, core.slots[index].generation == generation,
                  core.pairs[index].phase != .closing else { return }
        }
        for side in [ProxySide.client, .upstream] where side != except {
            guard requests.touchedFlows & (side == .client ? 1 : 2) != 0,
                  core.pairs[index].canStartWrite(from: side) else { continue }
            flushWrites(slot, from: side)
            guard core.slots[index].active, core.slots[index].generation == generation,
                  core.pairs[index].phase != .closing else { return }
        }
        if requests.readStateChanged {
            updateInterest(slot, .client)
            updateInterest(slot, .upstream)
        }
    }

    private mutating func drainMailbox() {
        while let (slot, event) = core.nextMailboxEvent() {
            apply(slot, core.deliver(slot, event: .custom(event)))
        }
    }

    private mutating func startConnect(_ slot: Int32) {
        let index = Int(slot)
        let listener = Int(core.slots[index].listener)
        let upstream = core.upstreams[listener]
        let fd = Socket.makeStream(family: upstream.family, nonBlocking: true)
        guard fd >= 0 else {
            let error = rg_errno()
            closeConnection(slot, .resourceExhausted(errno: error))
            pauseAccept(listener, .resources(errno: error))
            return
        }
        Socket.setReceiveBuffer(fd, core.socketReceiveBufferSize)
        core.slots[index].upstreamFD = fd
        core.pairs[index].phase = .connecting
        core.slots[index].connectStartedAt = core.now
        let rc = upstream.withSockAddr { connect(fd, $0, $1) }
        if rc == 0 {
            established(slot)
        } else if rg_errno() == EINPROGRESS {
            updateInterest(slot, .upstream)
        } else {
            connectFailed(slot, errno: rg_errno())
        }
    }

    private mutating func connectReady(_ slot: Int32) {
        let error = Socket.pendingError(core.slots[Int(slot)].upstreamFD)
        if error == 0 {
            established(slot)
        } else {
            connectFailed(slot, errno: error)
        }
    }

    private mutating func connectFailed(_ slot: Int32, errno: Int32) {
        let index = Int(slot)
        if core.slots[index].upstreamInterest != 0 {
            var event = epoll_event()
            epoll_ctl(epollFD, EPOLL_CTL_DEL, core.slots[index].upstreamFD, &event)
            core.slots[index].upstreamInterest = 0
        }
        apply(slot, core.upstreamConnectFailed(slot, errno: errno))
    }

    private mutating func established(_ slot: Int32) {
        let index = Int(slot)
        let generation = core.slots[index].generation
        Socket.setNoDelay(core.slots[index].upstreamFD)
        core.pairs[index].phase = .established
        core.slots[index].lastActivity = core.now
        apply(slot, core.deliver(slot, event: .connected))
        guard core.slots[index].active, core.slots[index].generation == generation,
              core.pairs[index].phase == .established else { return }
        if core.pairs[index].fromClient.sourceEOF && core.pairs[index].fromClient.isEmpty
            && core.pairs[index].receivedEOF(from: .client) {
            shutdown(core.slots[index].upstreamFD, Int32(SHUT_WR))
        }
        for side in [ProxySide.client, .upstream] where core.pairs[index].canStartWrite(from: side) {
            flushWrites(slot, from: side)
            guard core.slots[index].active, core.slots[index].generation == generation,
                  core.pairs[index].phase == .established else { return }
        }
        updateInterest(slot, .client)
        updateInterest(slot, .upstream)
    }

    private mutating func pauseAccept(_ listener: Int, _ cause: AcceptPauseCause) {
        if core.acceptPausedUntil[listener] == 0 {
            core.context.log.enqueue(.acceptPaused(listener: core.context.listeners[listener].name, cause: cause))
            var event = epoll_event()
            epoll_ctl(epollFD, EPOLL_CTL_DEL, core.listenerFDs[listener], &event)
        }
        core.acceptPausedUntil[listener] = core.now &+ core.acceptRetryDelay
    }

    // MARK: Closing

    private mutating func failed(_ slot: Int32, side: ProxySide, errno: Int32) {
        Socket.setAbortiveClose(core.slots[Int(slot)].fd(side.opposite))
        if errno == ECONNRESET || errno == EPIPE {
            closeConnection(slot, side == .client ? .clientReset : .upstreamReset)
        } else {
            closeConnection(slot, .ioError(side: side, errno: errno))
        }
    }

    /// epoll has no operations in flight: closing is immediate (closed descriptors leave
    /// the epoll set; stale events are filtered by the generation in their tag).
    private mutating func closeConnection(_ slot: Int32, _ reason: CloseReason) {
        let index = Int(slot)
        guard core.slots[index].active, core.pairs[index].phase != .closing else { return }
        core.pairs[index].phase = .closing
        core.slots[index].closeReason = reason
        core.finishClose(slot)
    }

    private mutating func resumeBufferWaiters() {
        while let (slot, side) = core.takeBufferWaiter() {
            guard core.pairs[Int(slot)].phase != .closing else { continue }
            updateInterest(slot, side)
        }
    }

    private mutating func runTimers() {
        for listener in 0..<core.listenerCount where core.acceptPausedUntil[listener] != 0 {
            if core.now >= core.acceptPausedUntil[listener] && !core.draining {
                core.acceptPausedUntil[listener] = 0
                register(core.listenerFDs[listener], UserData(.accept, slot: Int32(listener), generation: 0), EPOLLIN.rawValue)
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
                    // The session answers a timed-out connect like a failed one.
                    connectFailed(Int32(index), errno: ETIMEDOUT)
                    continue
                }
                closeConnection(Int32(index), reason)
            }
        }
    }

    private mutating func stopAccepting() {
        for listener in 0..<core.listenerCount where core.listenerFDs[listener] >= 0 {
            Glibc.close(core.listenerFDs[listener])
            core.listenerFDs[listener] = -1
        }
        core.nextTick = core.now
    }
}
