/// What a session may ask of the loop while it handles one call (bytes or an event).
///
/// Requests that touch queues take effect at once and in call order per destination
/// (forward, write, hold); requests that need I/O (connect, close, pause or resume a side,
/// a deadline) are carried out by the loop right after the call returns. Nothing here
/// allocates; a session should not keep it past the call (it is `~Copyable` for that reason).
public struct SessionIO<Event: Sendable>: ~Copyable {
    let pool: UnsafeMutablePointer<BufferPool>
    let pair: UnsafeMutablePointer<ConnectionPair>
    let mailbox: Unmanaged<SessionMailbox<Event>>?
    /// The connection's two TLS engines (client, upstream), nil where a side is plain.
    let tlsEngines: UnsafeMutablePointer<TLSEngine?>
    /// Names this connection for events posted from other threads.
    public let handle: SessionHandle
    /// The loop's monotonic clock (nanoseconds), read once per loop iteration.
    public let now: UInt64

    /// Nanoseconds since the loop woke with the completions being handled (``now``): how long
    /// the loop has held them so far (one vDSO clock read, nothing allocated).
    @inline(__always)
    public func nanosecondsSinceWake() -> UInt64 {
        let current = monotonicNanoseconds()
        return current > now ? current &- now : 0
    }

    /// The buffer being handled by ``ProxySession/received(_:from:io:)``, if any.
    var input: UInt16 = BufferPool.none
    var inputLength = 0
    var inputSide: ProxySide = .client
    /// Where the input buffer was queued zero-copy (`nil`: not queued), and the end of its slice.
    var claimedTarget: Target?
    var claimedEnd = 0

    // Requests the loop carries out after the call.
    var wantsConnect = false
    var closeReason: CloseReason?
    var closeFlush = false
    /// `nil`: unchanged; 0: cleared; otherwise the absolute deadline.
    var deadline: UInt64?
    var readStateChanged = false
    /// Bit 0: the flow from the client got bytes; bit 1: the flow from the upstream.
    var touchedFlows: UInt8 = 0
    /// TLS the session asked to start on a side.
    var tlsStart: TLSStartRequest?
    /// The session closed (requests after ``SessionEvent/closed(_:)`` are ignored).
    let inert: Bool

    enum Target: Equatable {
        case flow(from: ProxySide)
        case held
    }

    init(
        pool: UnsafeMutablePointer<BufferPool>, pair: UnsafeMutablePointer<ConnectionPair>,
        mailbox: Unmanaged<SessionMailbox<Event>>?, tlsEngines: UnsafeMutablePointer<TLSEngine?>,
        handle: SessionHandle, now: UInt64, inert: Bool = false
    ) {
        self.pool = pool
        self.pair = pair
        self.mailbox = mailbox
        self.tlsEngines = tlsEngines
        self.handle = handle
        self.now = now
        self.inert = inert
    }

    // MARK: Bytes

    /// Forwards every byte that arrived, untouched or rewritten in place, to the other side.
    @inline(__always)
    public mutating func forwardAll() {
        forward(0..<inputLength)
    }

    /// Forwards `range` of the bytes that arrived to the other side. The first range (and
    /// any range contiguous with it) is queued from the buffer it landed in; another range of
    /// the same buffer is copied into a reserved buffer.
    public mutating func forward(_ range: Range<Int>) {
        place(range, into: .flow(from: inputSide))
    }

    /// Holds `range` of the client bytes that arrived: not sent, counted against the
    /// high-water mark, until ``releaseHeld()`` or ``dropHeld()``.
    public mutating func hold(_ range: Range<Int>) {
        precondition(inputSide == .client, "only client bytes can be held")
        place(range, into: .held)
    }

    /// Bytes held so far.
    public var heldBytes: Int { pair.pointee.held.queuedBytes }

    /// Sends the held bytes to the upstream, after whatever is already queued for it.
    public mutating func releaseHeld() {
        guard !inert, !pair.pointee.held.isEmpty else { return }
        if pair.pointee.isTLS(.upstream) {
            pair.pointee.plainToUpstream.append(contentsOf: &pair.pointee.held, pool: &pool.pointee)
        } else {
            pair.pointee.fromClient.append(contentsOf: &pair.pointee.held, pool: &pool.pointee)
        }
        touchedFlows |= 1
    }

    /// Discards the held bytes.
    public mutating func dropHeld() {
        pair.pointee.held.discard(pool: &pool.pointee)
    }

    /// Queues a copy of `bytes` for `side`, after what is already queued for it. Returns
    /// false when the loop's reserved buffers are exhausted (nothing, or only part, was
    /// queued): the session should close.
    @discardableResult
    public mutating func write(_ bytes: UnsafeRawBufferPointer, to side: ProxySide) -> Bool {
        guard !inert, side == .client || closeReason == nil else { return false }
        return append(bytes, into: .flow(from: side.opposite))
    }

    /// Bytes queued for `side` over the connection's life (forwarded and synthesized).
    /// (Plaintext bytes, where `side` speaks TLS.)
    public func totalQueued(to side: ProxySide) -> UInt64 {
        pair.pointee[sessionTo: side].totalBytes
    }

    /// Bytes queued for `side` and not yet written to it.
    public func queuedBytes(to side: ProxySide) -> Int {
        let flow = pair.pointee[from: side.opposite].queuedBytes
        return pair.pointee.isTLS(side) ? flow + pair.pointee[plainTo: side].queuedBytes : flow
    }

    // MARK: TLS

    /// Starts TLS on `side`: from the next byte on, what `side` sends is decrypted before the
    /// session sees it, and what the session queues for it is encrypted. Bytes queued for
    /// `side` earlier in this call are sent in clear (a PostgreSQL `S` answer).
    ///
    /// - Parameters:
    ///   - context: a server context to accept TLS (the client leg), a client context to
    ///     connect (the upstream leg; the handshake starts at once).
    ///   - serverName: client contexts: the name sent as SNI and, when the context verifies
    ///     its peer, checked against the certificate (an IP literal is checked as an address).
    ///   - replaying: bytes of the buffer being handled that are already TLS (a ClientHello
    ///     that came without a negotiation); they are fed to the engine first.
    ///
    /// The session hears ``SessionEvent/tlsEstablished(_:)`` when the handshake completed, or
    /// ``SessionEvent/tlsFailed(_:_:)``.
    public mutating func startTLS(
        _ side: ProxySide, context: TLSContext, serverName: String? = nil, replaying: Range<Int>? = nil
    ) {
        guard !inert, closeReason == nil, !pair.pointee.isTLS(side), tlsStart == nil else { return }
        if let replaying {
            precondition(input != BufferPool.none && inputSide == side && replaying.upperBound <= inputLength,
                         "replayed bytes must lie inside the bytes being handled, from the same side")
        }
        pair.pointee.setTLS(side)
        tlsStart = TLSStartRequest(side: side, context: context, serverName: serverName, replaying: replaying)
    }

    /// What TLS on `side` negotiated, once its handshake completed (allocates: call it at
    /// login, not per message).
    public func tlsInfo(_ side: ProxySide) -> TLSConnectionInfo? {
        guard let engine = tlsEngines[side == .client ? 0 : 1], engine.isEstablished else { return nil }
        return engine.connectionInfo()
    }

    /// Whether `side` speaks TLS (asked for, established or not).
    public func isTLS(_ side: ProxySide) -> Bool {
        pair.pointee.isTLS(side)
    }

    // MARK: Connection

    /// Opens the upstream connection (once). The session hears ``SessionEvent/connected`` or
    /// ``SessionEvent/connectFailed(errno:)``; bytes queued for the upstream meanwhile wait.
    public mutating func connectUpstream() {
        wantsConnect = true
    }

    /// The upstream connection is established.
    public var isUpstreamConnected: Bool { pair.pointee.phase == .established }

    /// Stops reading `side` until ``resumeReading(_:)`` (bytes stay in the kernel).
    public mutating func pauseReading(_ side: ProxySide) {
        guard !pair.pointee.pausedBySession(side) else { return }
        pair.pointee.setPausedBySession(side, true)
        readStateChanged = true
    }

    /// Undoes ``pauseReading(_:)``.
    public mutating func resumeReading(_ side: ProxySide) {
        guard pair.pointee.pausedBySession(side) else { return }
        pair.pointee.setPausedBySession(side, false)
        readStateChanged = true
    }

    /// Delivers ``SessionEvent/deadline`` once, `nanoseconds` from now (checked at the loop's tick).
    public mutating func setDeadline(after nanoseconds: UInt64) {
        deadline = max(1, now &+ nanoseconds)
    }

    /// Cancels the deadline.
    public mutating func clearDeadline() {
        deadline = 0
    }

    /// Closes the connection; from here on nothing more is forwarded, held or written to the
    /// upstream. With `flush`, reading stops and the close waits until what is
    /// queued for the client was written (a FATAL ErrorResponse must reach it), bounded by
    /// the loop's flush timeout.
    public mutating func close(_ reason: CloseReason, flush: Bool = false) {
        guard closeReason == nil else { return }
        closeReason = reason
        closeFlush = flush
    }

    /// Where another thread posts events for this session (nil for sessions without a mailbox).
    public func replyAddress() -> SessionReplyAddress<Event>? {
        guard let mailbox else { return nil }
        return SessionReplyAddress(mailbox: mailbox.takeUnretainedValue(), handle: handle)
    }

    // MARK: Placement

    private mutating func place(_ range: Range<Int>, into target: Target) {
        precondition(input != BufferPool.none && range.lowerBound >= 0 && range.upperBound <= inputLength,
                     "forward/hold ranges must lie inside the bytes being handled")
        // Once a close was asked for, nothing more reaches the upstream (fail closed).
        guard !inert, !range.isEmpty, closeReason == nil else { return }
        if claimedTarget == nil {
            mutateTarget(target) { flow, pool in
                flow.enqueue(input, start: range.lowerBound, end: range.upperBound, pool: &pool)
            }
            claimedTarget = target
            claimedEnd = range.upperBound
        } else if claimedTarget == target, claimedEnd == range.lowerBound, tail(of: target) == input {
            mutateTarget(target) { flow, pool in flow.extendTail(by: range.count, pool: &pool) }
            claimedEnd = range.upperBound
        } else {
            let bytes = UnsafeRawBufferPointer(start: pool.pointee.address(of: input) + range.lowerBound, count: range.count)
            _ = append(bytes, into: target)
            return
        }
        if case .flow(let side) = target { touchedFlows |= side == .client ? 1 : 2 }
    }

    private func tail(of target: Target) -> UInt16 {
        switch target {
        case .flow(let side): pair.pointee[sessionTo: side.opposite].tail
        case .held: pair.pointee.held.tail
        }
    }

    @inline(__always)
    private func mutateTarget(_ target: Target, _ body: (inout Flow, inout BufferPool) -> Void) {
        switch target {
        case .flow(let side):
            // Spelled out: a `_modify` accessor with this many branches allocates its frame
            // in unoptimized builds.
            let sink = side.opposite
            if pair.pointee.isTLS(sink) {
                if sink == .client { body(&pair.pointee.plainToClient, &pool.pointee) } else { body(&pair.pointee.plainToUpstream, &pool.pointee) }
            } else if side == .client {
                body(&pair.pointee.fromClient, &pool.pointee)
            } else {
                body(&pair.pointee.fromUpstream, &pool.pointee)
            }
        case .held:
            body(&pair.pointee.held, &pool.pointee)
        }
    }

    /// Copies `bytes` to the end of `target`, filling its last reserved buffer first.
    private mutating func append(_ bytes: UnsafeRawBufferPointer, into target: Target) -> Bool {
        var offset = 0
        let size = pool.pointee.bufferSize
        while offset < bytes.count {
            let last = tail(of: target)
            if last != BufferPool.none, pool.pointee.isReserved(last) {
                let end = Int(pool.pointee.lengths[Int(last)])
                let count = min(size - end, bytes.count - offset)
                if count > 0 {
                    (pool.pointee.address(of: last) + end).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
                    mutateTarget(target) { flow, pool in flow.extendTail(by: count, pool: &pool) }
                    offset += count
                    continue
                }
            }
            let id = pool.pointee.acquireReserve()
            guard id != BufferPool.none else { return false }
            let count = min(size, bytes.count - offset)
            pool.pointee.address(of: id).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            mutateTarget(target) { flow, pool in flow.enqueue(id, start: 0, end: count, pool: &pool) }
            offset += count
        }
        if case .flow(let side) = target { touchedFlows |= side == .client ? 1 : 2 }
        return true
    }
}

/// A session's request to start TLS on a side (carried out by the loop after the call).
struct TLSStartRequest {
    var side: ProxySide
    var context: TLSContext
    var serverName: String?
    var replaying: Range<Int>?
}
