import Codecs

/// Pairs the server's responses with the client messages that asked for them, so the
/// session knows which RowDescription describes which rows, and can add requests of its own
/// (a Describe before an Execute, a catalog read) whose answers it keeps to itself.
///
/// Every request forwarded upstream pushes one entry; the response that completes a request
/// pops it (ParseComplete, BindComplete, CloseComplete, RowDescription/NoData for a
/// Describe, CommandComplete/EmptyQueryResponse/PortalSuspended for an Execute,
/// ReadyForQuery for a Query, FunctionCall or Sync). An ErrorResponse inside an extended
/// batch ends the failed request and every request up to its Sync, as the server skips them.
/// A fixed ring, allocated once per session; no allocation per message.
struct ResponseTracker: ~Copyable {
    enum Request: UInt8 {
        case parse = 1, bind, close, describe, execute, sync
        /// A simple Query or FunctionCall: everything up to ReadyForQuery.
        case query
        /// A Describe the gateway added: its RowDescription or NoData is not forwarded.
        case gatewayDescribe
        /// A Query the gateway sent (the catalog read): nothing of it is forwarded.
        case gatewayQuery
    }

    static let capacity = 4096
    private let ring: UnsafeMutablePointer<UInt8>
    private var head = 0
    private var count = 0

    init() {
        ring = .allocate(capacity: Self.capacity)
    }

    deinit {
        ring.deallocate()
    }

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == Self.capacity }

    /// The oldest request not yet answered in full.
    var current: Request? {
        count == 0 ? nil : Request(rawValue: ring[head])
    }

    /// Records a request sent upstream; false when the ring is full (the session must fail).
    mutating func push(_ request: Request) -> Bool {
        guard count < Self.capacity else { return false }
        ring[(head + count) & (Self.capacity - 1)] = request.rawValue
        count += 1
        return true
    }

    private mutating func pop() {
        guard count > 0 else { return }
        head = (head + 1) & (Self.capacity - 1)
        count -= 1
    }

    /// Follows one response of `type` from the server; returns the request it belongs to
    /// (nil for asynchronous messages or responses nobody asked for).
    mutating func received(_ type: UInt8) -> Request? {
        let request = current
        switch type {
        case PostgresMessageType.Backend.parameterStatus, PostgresMessageType.Backend.noticeResponse,
             PostgresMessageType.Backend.notificationResponse:
            return nil
        case PostgresMessageType.Backend.parseComplete where request == .parse,
             PostgresMessageType.Backend.bindComplete where request == .bind,
             PostgresMessageType.Backend.closeComplete where request == .close:
            pop()
        case PostgresMessageType.Backend.rowDescription, PostgresMessageType.Backend.noData:
            if request == .describe || request == .gatewayDescribe { pop() }
        case PostgresMessageType.Backend.commandComplete, PostgresMessageType.Backend.emptyQueryResponse,
             PostgresMessageType.Backend.portalSuspended:
            if request == .execute { pop() }
        case PostgresMessageType.Backend.errorResponse:
            // An extended request failed: the server skips to Sync.
            while let pending = current, pending != .sync, pending != .query, pending != .gatewayQuery { pop() }
        case PostgresMessageType.Backend.readyForQuery:
            // Ends a Query or a Sync; anything before it that is still open was skipped.
            while let pending = current {
                pop()
                if pending == .sync || pending == .query || pending == .gatewayQuery { break }
            }
        default:
            break
        }
        return request
    }
}
