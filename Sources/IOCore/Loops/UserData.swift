/// What a completion (io_uring) or readiness event (epoll) refers to.
enum Operation: UInt8 {
    case accept = 1
    case wake = 2
    case tick = 3
    case connect = 4
    case recvClient = 5
    case recvUpstream = 6
    case sendToClient = 7
    case sendToUpstream = 8
    /// A cancel request or other fire-and-forget operation whose completion is ignored.
    case ignored = 9
    /// epoll: readiness of a connection's client socket.
    case clientSocket = 10
    /// epoll: readiness of a connection's upstream socket.
    case upstreamSocket = 11

    @inline(__always)
    static func recv(from side: ProxySide) -> Operation { side == .client ? .recvClient : .recvUpstream }

    /// The send that writes *to* `side`.
    @inline(__always)
    static func send(to side: ProxySide) -> Operation { side == .client ? .sendToClient : .sendToUpstream }
}

/// A 64-bit tag packed as (operation: 8 bits, generation: 24 bits, slot: 32 bits): the
/// io_uring user_data and the epoll event data. Never a pointer.
struct UserData: Equatable {
    static let generationMask: UInt32 = 0xFF_FFFF

    var rawValue: UInt64

    @inline(__always)
    init(rawValue: UInt64) { self.rawValue = rawValue }

    @inline(__always)
    init(_ operation: Operation, slot: Int32, generation: UInt32) {
        rawValue = UInt64(operation.rawValue) << 56
            | UInt64(generation & Self.generationMask) << 32
            | UInt64(UInt32(bitPattern: slot))
    }

    @inline(__always)
    var operation: Operation? { Operation(rawValue: UInt8(truncatingIfNeeded: rawValue >> 56)) }

    @inline(__always)
    var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) & Self.generationMask }

    @inline(__always)
    var slot: Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: rawValue)) }
}
