/// Statement audit events that wait for their result's row and byte counts.
///
/// A statement's result ends with the ReadyForQuery that closes its batch (the Query
/// message itself, or the extended-protocol messages up to Sync): the `mark` of a statement
/// is the number of that ReadyForQuery. The session counts each DataRow sent to the client
/// (``resultRow(bytes:)``) and reports each ReadyForQuery (``batchEnded(readySeen:sink:)``),
/// both from ``PostgresSession/sentToClient(_:io:)``; the events of the batch are then
/// recorded, and the batch's counts go on its last statement (earlier statements of the same
/// batch carry none: the gateway does not split a pipelined batch's rows between them).
struct StatementAuditQueue {
    private var waiting: [(event: AuditEvent, mark: UInt64)] = []
    private var rows: UInt64 = 0
    private var bytes: UInt64 = 0

    init() {
        waiting.reserveCapacity(16)
    }

    /// A statement was decided; its result ends at ReadyForQuery number `mark`.
    mutating func decided(_ event: AuditEvent, mark: UInt64) {
        waiting.append((event, mark))
    }

    /// One DataRow of `bytes` (the whole message, after masking) went to the client.
    mutating func resultRow(bytes: Int) {
        rows &+= 1
        self.bytes &+= UInt64(bytes)
    }

    /// ReadyForQuery number `readySeen` arrived: records the events its batch ends.
    mutating func batchEnded(readySeen: UInt64, sink: any AuditSink) {
        var ended = 0
        while ended < waiting.count && waiting[ended].mark <= readySeen { ended += 1 }
        defer {
            rows = 0
            bytes = 0
        }
        guard ended > 0 else { return }
        waiting[ended - 1].event.rows = rows
        waiting[ended - 1].event.bytes = bytes
        for index in 0..<ended { sink.record(waiting[index].event) }
        if ended == waiting.count { waiting.removeAll(keepingCapacity: true) } else { waiting.removeFirst(ended) }
    }

    /// The session ended: records what still waits (counts so far on the last one).
    mutating func flush(sink: any AuditSink) {
        batchEnded(readySeen: .max, sink: sink)
    }
}
