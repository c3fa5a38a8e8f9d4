import IOCore

/// The writer's side of one session's recording: its buffer pool, the blocks waiting to be
/// written, and its file.
///
/// Fields under "guarded" are read and written only while holding the writer's lock; fields
/// under "writer thread" only on the writer thread.
final class RecordingChannel: @unchecked Sendable {
    let header: RecordingHeader
    let fileName: String
    let reply: SessionReplyAddress<GatewaySessionEvent>?
    let blockSize: Int
    let poolSize: Int

    // Guarded.
    /// Written pool blocks, ready for reuse.
    var free: [RecordingBlock] = []
    /// Blocks to write, oldest first.
    var pending: [RecordingBlock] = []
    var poolAllocated = 0
    /// The session gave back its last block: finish the file once `pending` is written.
    var closed = false
    /// In the ready list, in the retry list, or being written.
    var scheduled = false
    var nextReady: RecordingChannel?
    /// The session paused (or must be told to): post ``RecordingSignal/drained`` when it may go on.
    var drainWanted = false
    /// Writing fails and is retried (`pause`).
    var stalled = false
    /// Writing failed for good (`close`, or `pause` past the shutdown deadline).
    var failure: RecordingFailure?

    // Writer thread.
    var descriptor: Int32 = -1
    var fileBytes = 0
    /// Bytes of `pending[0]` already written.
    var headOffset = 0
    var lostRecords: UInt64 = 0
    var lostBytes: UInt64 = 0
    /// Monotonic nanoseconds of the next attempt while in the retry list.
    var retryAt: UInt64 = 0
    var backoff: UInt64 = 0
    /// A signal the loop's mailbox refused; posted again at the next retry.
    var unsentSignal: RecordingSignal?
    var stallReported = false

    init(header: RecordingHeader, fileName: String, reply: SessionReplyAddress<GatewaySessionEvent>?, blockSize: Int, poolSize: Int) {
        self.header = header
        self.fileName = fileName
        self.reply = reply
        self.blockSize = blockSize
        self.poolSize = poolSize
        free.reserveCapacity(poolSize)
        pending.reserveCapacity(poolSize + 4)
    }

    /// Whether the session must act (pause or close) when it hands over or takes a block.
    var needsAttention: Bool { stalled || failure != nil }
}
