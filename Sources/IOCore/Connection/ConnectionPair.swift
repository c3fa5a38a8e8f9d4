/// The I/O-free state of one proxied connection (client socket + upstream socket), shared by
/// the io_uring and epoll backends.
///
/// It performs no I/O. A backend reports events (bytes written, FIN) and gets back small
/// decisions telling it which I/O to issue next: write the head of a queue, resume reading,
/// send FIN. What arrives is handed to the ``ProxySession`` by ``LoopCore``, which queues
/// what the session forwards or synthesizes into the two ``Flow``s.
struct ConnectionPair {
    enum Phase: UInt8 {
        /// Only the client socket exists; the session has not asked for the upstream yet.
        case clientOnly
        /// Upstream connect in progress.
        case connecting
        /// Both sockets open, bytes flowing.
        case established
        /// Closing: no new I/O, waiting for outstanding operations to finish.
        case closing
    }

    var phase: Phase = .clientOnly
    /// client → upstream
    var fromClient = Flow()
    /// upstream → client
    var fromUpstream = Flow()
    /// Client bytes a session holds back until an event releases or drops them.
    var held = Flow()
    /// Sides whose bytes are TLS records (bit 0: client, bit 1: upstream). A session's bytes
    /// for such a side wait in its plaintext queue until the loop seals them into the flow
    /// (``LoopCore``'s TLS extension): a flow towards a TLS side holds ciphertext only.
    var tlsSides: UInt8 = 0
    /// Plaintext for the client / the upstream, waiting to be encrypted.
    var plainToClient = Flow()
    var plainToUpstream = Flow()
    /// The session paused reading the client / the upstream.
    var clientPausedBySession = false
    var upstreamPausedBySession = false
    /// The session asked to close once the client's queue is written.
    var closeAfterFlush = false
    var pendingCloseReason: CloseReason = .sessionTerminated
    /// Bytes received per side (access log).
    var receivedFromClient: UInt64 = 0
    var receivedFromUpstream: UInt64 = 0
    let highWaterMark: Int
    let lowWaterMark: Int
    /// Buffers one direction may hold however few bytes each carries (a client sending one
    /// byte per segment to a slow upstream must not drain the loop's pool).
    let bufferLimit: Int

    init(highWaterMark: Int, bufferSize: Int = 16 * 1024) {
        self.highWaterMark = highWaterMark
        self.lowWaterMark = highWaterMark / 2
        self.bufferLimit = max(4, 2 * ((highWaterMark + bufferSize - 1) / bufferSize))
    }

    /// The flow whose source is `side`.
    @inline(__always)
    subscript(from side: ProxySide) -> Flow {
        get { side == .client ? fromClient : fromUpstream }
        _modify {
            if side == .client { yield &fromClient } else { yield &fromUpstream }
        }
    }

    /// The queue a session's bytes for `sink` go to: the flow towards it, or its plaintext
    /// queue when `sink` speaks TLS.
    @inline(__always)
    subscript(sessionTo sink: ProxySide) -> Flow {
        get {
            if isTLS(sink) { return sink == .client ? plainToClient : plainToUpstream }
            return sink == .client ? fromUpstream : fromClient
        }
        _modify {
            if isTLS(sink) {
                if sink == .client { yield &plainToClient } else { yield &plainToUpstream }
            } else {
                if sink == .client { yield &fromUpstream } else { yield &fromClient }
            }
        }
    }

    /// The plaintext queue of a TLS `sink`.
    @inline(__always)
    subscript(plainTo sink: ProxySide) -> Flow {
        get { sink == .client ? plainToClient : plainToUpstream }
        _modify {
            if sink == .client { yield &plainToClient } else { yield &plainToUpstream }
        }
    }

    /// `side` speaks TLS: its bytes go through an engine.
    @inline(__always)
    func isTLS(_ side: ProxySide) -> Bool {
        tlsSides & (side == .client ? 1 : 2) != 0
    }

    @inline(__always)
    mutating func setTLS(_ side: ProxySide) {
        tlsSides |= side == .client ? 1 : 2
    }

    @inline(__always)
    func pausedBySession(_ side: ProxySide) -> Bool {
        side == .client ? clientPausedBySession : upstreamPausedBySession
    }

    @inline(__always)
    mutating func setPausedBySession(_ side: ProxySide, _ value: Bool) {
        if side == .client { clientPausedBySession = value } else { upstreamPausedBySession = value }
    }

    /// Bytes queued (or held) that were read from `side` and count against the high-water mark.
    @inline(__always)
    func backlog(from side: ProxySide) -> Int {
        side == .client
            ? fromClient.queuedBytes + held.queuedBytes + plainToUpstream.queuedBytes
            : fromUpstream.queuedBytes + plainToClient.queuedBytes
    }

    /// Buffers queued (or held) that were read from `side`.
    @inline(__always)
    func buffersQueued(from side: ProxySide) -> Int {
        side == .client
            ? fromClient.bufferCount + held.bufferCount + plainToUpstream.bufferCount
            : fromUpstream.bufferCount + plainToClient.bufferCount
    }

    /// The socket on `side` may be read now.
    @inline(__always)
    func wantsRead(_ side: ProxySide) -> Bool {
        let flow = self[from: side]
        if flow.readPaused || flow.sourceEOF || pausedBySession(side) || closeAfterFlush { return false }
        switch phase {
        case .established: return true
        case .clientOnly, .connecting: return side == .client
        case .closing: return false
        }
    }

    /// The flow sourced at `side` has bytes and its sink can take a write now.
    @inline(__always)
    func canStartWrite(from side: ProxySide) -> Bool {
        let flow = self[from: side]
        guard !flow.isEmpty, !flow.writing else { return false }
        switch phase {
        case .established: return true
        case .clientOnly, .connecting: return side == .upstream
        case .closing: return false
        }
    }

    /// Marks the flow from `side` paused when it crossed the high-water mark (in bytes, or in
    /// buffers: ``bufferLimit``); returns true when reading must stop now.
    @inline(__always)
    mutating func checkHighWaterMark(from side: ProxySide) -> Bool {
        guard backlog(from: side) >= highWaterMark || buffersQueued(from: side) >= bufferLimit,
              !self[from: side].readPaused else { return false }
        self[from: side].readPaused = true
        return true
    }

    /// Outcome of ``wrote(_:from:pool:)``.
    struct WriteDecision {
        /// More bytes are queued: write the head again.
        var continueWrite: Bool
        /// The flow fell under the low-water mark: resume reading the source.
        var resumeRead: Bool
        /// Everything is forwarded and the source sent FIN: shut down the sink's write side.
        var shutdownSink: Bool
    }

    /// `count` bytes of the flow sourced at `side` were written to the sink.
    @inline(__always)
    mutating func wrote(_ count: Int, from side: ProxySide, pool: inout BufferPool) -> WriteDecision {
        self[from: side].consume(count, pool: &pool)
        let flow = self[from: side]
        var decision = WriteDecision(continueWrite: !flow.isEmpty, resumeRead: false, shutdownSink: false)
        if flow.readPaused && backlog(from: side) <= lowWaterMark && buffersQueued(from: side) <= bufferLimit / 2
            && !flow.sourceEOF {
            self[from: side].readPaused = false
            decision.resumeRead = true
        }
        if flow.isEmpty && flow.sourceEOF && !flow.sinkShutdown && phase == .established {
            self[from: side].sinkShutdown = true
            decision.shutdownSink = true
        }
        return decision
    }

    /// `side` sent FIN. Returns true when the sink can be shut down right away (nothing
    /// left to forward); otherwise ``wrote(_:from:pool:)`` reports it once drained.
    @inline(__always)
    mutating func receivedEOF(from side: ProxySide) -> Bool {
        self[from: side].sourceEOF = true
        self[from: side].readPaused = false
        if self[from: side].isEmpty && !self[from: side].sinkShutdown && phase == .established {
            self[from: side].sinkShutdown = true
            return true
        }
        return false
    }

    /// Both directions finished with FIN.
    @inline(__always)
    var isCompleted: Bool { fromClient.isFinished && fromUpstream.isFinished }

    /// A close-after-flush may happen now: nothing is left for (or being written to) the
    /// client, nor for the upstream when it is connected.
    @inline(__always)
    var flushedForClose: Bool {
        closeAfterFlush && fromUpstream.isEmpty && !fromUpstream.writing
            && (phase != .established || (fromClient.isEmpty && !fromClient.writing))
    }

    /// Bytes in flight over both directions.
    var bytesInFlight: Int {
        fromClient.queuedBytes + fromUpstream.queuedBytes + held.queuedBytes + plainToClient.queuedBytes
            + plainToUpstream.queuedBytes
    }

    /// Releases all queued buffers.
    mutating func discard(pool: inout BufferPool) {
        fromClient.discard(pool: &pool)
        fromUpstream.discard(pool: &pool)
        held.discard(pool: &pool)
        plainToClient.discard(pool: &pool)
        plainToUpstream.discard(pool: &pool)
    }
}
