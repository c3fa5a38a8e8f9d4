/// One buffer of a recording's byte stream: filled on the session's loop thread, written by
/// the recording writer, then reused (pool blocks) or freed (spill blocks).
///
/// Records may span blocks: the file is the blocks' bytes in order.
struct RecordingBlock {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    /// Bytes filled.
    var length = 0
    /// Records whose first byte is in this block (to count what a failure loses).
    var records = 0
    /// Offset of the first record that starts in this block, -1 when none does. Record
    /// headers never span blocks.
    var firstRecordStart = -1
    /// The block starts inside a record of an earlier block (its payload continues here).
    var continuesRecord = false
    /// Allocated because the session's pool was exhausted: freed once written.
    let isSpill: Bool

    static func allocate(capacity: Int, isSpill: Bool) -> RecordingBlock {
        RecordingBlock(base: .allocate(byteCount: capacity, alignment: 16), capacity: capacity, isSpill: isSpill)
    }

    func deallocate() {
        base.deallocate()
    }

    var isFull: Bool { length == capacity }
    var available: Int { capacity - length }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

    /// Ready for reuse.
    mutating func reset() {
        length = 0
        records = 0
        firstRecordStart = -1
        continuesRecord = false
    }

    /// Records not completely written when writing stopped at `offset` (< `length`): those
    /// starting at or after it, and the one it cuts (which may have started in an earlier block).
    func recordsCut(at offset: Int) -> Int {
        var count = continuesRecord && (firstRecordStart < 0 || offset < firstRecordStart) ? 1 : 0
        guard firstRecordStart >= 0 else { return count }
        var start = firstRecordStart
        while start < length {
            let bytes = UnsafeRawBufferPointer(start: base + start, count: 4)
            let end = start + 4 + Int(bytes.loadUnaligned(as: UInt32.self).bigEndian)
            if start >= offset || end > offset { count += 1 }
            start = end
        }
        return count
    }
}
