/// Per-connection I/O bookkeeping next to the ``ConnectionPair`` state machine: descriptors,
/// outstanding operations, timers. Lives in a loop's fixed-capacity slot table.
struct ConnectionSlot {
    var generation: UInt32 = 0
    var active = false
    var clientFD: Int32 = -1
    var upstreamFD: Int32 = -1
    var listener: Int32 = 0
    /// io_uring operations in flight for this slot (the slot is reused only at zero).
    var outstanding: Int32 = 0
    var clientRecvArmed = false
    var upstreamRecvArmed = false
    /// The armed recv is multishot (io_uring).
    var clientRecvMultishot = false
    var upstreamRecvMultishot = false
    /// A cancel of the armed recv was submitted (io_uring).
    var clientRecvCancelling = false
    var upstreamRecvCancelling = false
    /// Consecutive interactive reads (short, socket left empty, sink idle) per side; io_uring
    /// arms multishot recvs only from two on, so streams and connection starts use one-shot.
    var clientInteractiveReads: UInt8 = 0
    var upstreamInteractiveReads: UInt8 = 0
    var clientAwaitingBuffers = false
    var upstreamAwaitingBuffers = false
    /// epoll: the interest mask registered per socket.
    var clientInterest: UInt32 = 0
    var upstreamInterest: UInt32 = 0
    var startedAt: UInt64 = 0
    /// When the upstream connect was started (connect timeout).
    var connectStartedAt: UInt64 = 0
    /// The session's deadline (monotonic ns, 0: none).
    var sessionDeadline: UInt64 = 0
    /// Close-after-flush gives up at this time.
    var flushDeadline: UInt64 = 0
    var lastActivity: UInt64 = 0
    var closeReason: CloseReason = .completed
    var clientAddress: SocketAddress?
    /// io_uring: both sockets are in the ring's registered file table, at `2 * slot` (client)
    /// and `2 * slot + 1` (upstream).
    var registeredFiles = false

    @inline(__always)
    func fd(_ side: ProxySide) -> Int32 { side == .client ? clientFD : upstreamFD }

    @inline(__always)
    func recvArmed(_ side: ProxySide) -> Bool { side == .client ? clientRecvArmed : upstreamRecvArmed }

    @inline(__always)
    mutating func setRecvArmed(_ side: ProxySide, _ value: Bool) {
        if side == .client { clientRecvArmed = value } else { upstreamRecvArmed = value }
    }

    @inline(__always)
    func recvMultishot(_ side: ProxySide) -> Bool { side == .client ? clientRecvMultishot : upstreamRecvMultishot }

    @inline(__always)
    mutating func setRecvMultishot(_ side: ProxySide, _ value: Bool) {
        if side == .client { clientRecvMultishot = value } else { upstreamRecvMultishot = value }
    }

    @inline(__always)
    func recvCancelling(_ side: ProxySide) -> Bool { side == .client ? clientRecvCancelling : upstreamRecvCancelling }

    @inline(__always)
    mutating func setRecvCancelling(_ side: ProxySide, _ value: Bool) {
        if side == .client { clientRecvCancelling = value } else { upstreamRecvCancelling = value }
    }

    @inline(__always)
    func interactiveReads(_ side: ProxySide) -> UInt8 { side == .client ? clientInteractiveReads : upstreamInteractiveReads }

    /// Counts an interactive read (saturating at 2) or resets the count.
    @inline(__always)
    mutating func noteRead(_ side: ProxySide, interactive: Bool) {
        let value: UInt8 = interactive ? min(interactiveReads(side) + 1, 2) : 0
        if side == .client { clientInteractiveReads = value } else { upstreamInteractiveReads = value }
    }

    @inline(__always)
    func awaitingBuffers(_ side: ProxySide) -> Bool { side == .client ? clientAwaitingBuffers : upstreamAwaitingBuffers }

    @inline(__always)
    mutating func setAwaitingBuffers(_ side: ProxySide, _ value: Bool) {
        if side == .client { clientAwaitingBuffers = value } else { upstreamAwaitingBuffers = value }
    }

    @inline(__always)
    func interest(_ side: ProxySide) -> UInt32 { side == .client ? clientInterest : upstreamInterest }

    @inline(__always)
    mutating func setInterest(_ side: ProxySide, _ value: UInt32) {
        if side == .client { clientInterest = value } else { upstreamInterest = value }
    }
}
