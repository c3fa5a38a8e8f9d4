/// The state machine of one proxied connection (client socket + upstream socket), shared by
/// the io_uring and epoll backends.
///
/// It performs no I/O. A backend reports events (bytes received into a buffer, bytes written,
/// FIN, errors) and gets back small decisions telling it which I/O to issue next: write the
/// head of a queue, pause or resume reading a side, send FIN, close. The protocol
/// ``ProxySession`` sees every received buffer before it is queued.
struct ConnectionPair<Session: ProxySession> {
    enum Phase: UInt8 {
        /// Upstream connect in progress; the client is not read yet.
        case connecting
        /// Both sockets open, bytes flowing.
        case established
        /// Closing: no new I/O, waiting for outstanding operations to finish.
        case closing
    }

    var session: Session
    var phase: Phase = .connecting
    /// client → upstream
    var fromClient = Flow()
    /// upstream → client
    var fromUpstream = Flow()
    let highWaterMark: Int
    let lowWaterMark: Int

    init(session: Session, highWaterMark: Int) {
        self.session = session
        self.highWaterMark = highWaterMark
        self.lowWaterMark = highWaterMark / 2
    }

    /// The flow whose source is `side`.
    @inline(__always)
    subscript(from side: ProxySide) -> Flow {
        get { side == .client ? fromClient : fromUpstream }
        _modify {
            if side == .client { yield &fromClient } else { yield &fromUpstream }
        }
    }

    /// Outcome of ``received(_:length:from:pool:)``.
    struct ReceiveDecision {
        /// The sink has no write in progress: start writing the flow's head now.
        var startWrite: Bool
        /// The flow crossed the high-water mark: stop reading the source.
        var pauseRead: Bool
        /// The session ended the connection.
        var terminate: Bool
    }

    /// Bytes from `side` landed in buffer `id`. Runs the session, queues the buffer.
    @inline(__always)
    mutating func received(_ id: UInt16, length: Int, from side: ProxySide, pool: inout BufferPool) -> ReceiveDecision {
        let bytes = UnsafeMutableRawBufferPointer(start: pool.address(of: id), count: length)
        if session.inspect(bytes, from: side) == .terminate {
            pool.release(id)
            return ReceiveDecision(startWrite: false, pauseRead: false, terminate: true)
        }
        self[from: side].enqueue(id, length: length, pool: &pool)
        let flow = self[from: side]
        let startWrite = !flow.writing
        var pauseRead = false
        if flow.queuedBytes >= highWaterMark && !flow.readPaused {
            self[from: side].readPaused = true
            pauseRead = true
        }
        return ReceiveDecision(startWrite: startWrite, pauseRead: pauseRead, terminate: false)
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
        if flow.readPaused && flow.queuedBytes <= lowWaterMark && !flow.sourceEOF {
            self[from: side].readPaused = false
            decision.resumeRead = true
        }
        if flow.isEmpty && flow.sourceEOF && !flow.sinkShutdown {
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
        if self[from: side].isEmpty && !self[from: side].sinkShutdown {
            self[from: side].sinkShutdown = true
            return true
        }
        return false
    }

    /// Both directions finished with FIN.
    @inline(__always)
    var isCompleted: Bool { fromClient.isFinished && fromUpstream.isFinished }

    /// Bytes in flight over both directions.
    var bytesInFlight: Int { fromClient.queuedBytes + fromUpstream.queuedBytes }

    /// Releases all queued buffers.
    mutating func discard(pool: inout BufferPool) {
        fromClient.discard(pool: &pool)
        fromUpstream.discard(pool: &pool)
    }
}
