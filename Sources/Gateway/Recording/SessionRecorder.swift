import Codecs
import IOCore

/// One session's recording, owned by the session and used on its loop thread.
///
/// Each record is copied into the current block of the session's pool; a full block (and
/// the block at ReadyForQuery and at the end) goes to the ``RecordingWriter``. In steady state
/// nothing is allocated: blocks come back once written. Every `record…` call returns whether
/// the session must act: pause reading both sides (no block was free, so the record went
/// into a spill block; or writing stalls) or close (writing failed with `on_failure: close`).
/// The session then calls ``PostgresSession/recordingBackpressure(io:)``. A record is never
/// refused or dropped here.
struct SessionRecorder: ~Copyable {
    private var writer: RecordingWriter?
    private var channel: RecordingChannel?
    /// The block being filled.
    private var block: RecordingBlock?
    /// `SessionIO.now` when the recording started: record times count from here.
    private var origin: UInt64 = 0
    /// Payload bytes of the current record not yet copied (a new block then continues it).
    private var recordRemaining = 0
    /// Set by a block exchange that needs the session to act; returned and cleared by each call.
    private var attention = false
    /// A record went into a spill block: the session must pause until ``RecordingSignal/drained``.
    private var spilled = false
    /// The session paused reading for the recording.
    private(set) var isPaused = false
    /// A backend message streamed in parts (``recordMessagePart(_:at:)``).
    private var partHeader: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
    private var partHeaderCount = 0
    private var partRemaining = 0
    private var partRecorded = false
    /// Statement texts are masked with this before they are recorded (nil: recorded as sent).
    /// Masks what the detectors find in recorded statement text (the session's detectors;
    /// replaced when a reload changes its masks).
    var statementScanner: SensitiveDataScanner?
    /// Where a statement is masked (grown to the longest statement masked so far).
    private var maskScratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// Records appended, and their bytes with framing.
    private(set) var records: UInt64 = 0
    private(set) var bytes: UInt64 = 0

    /// A recorder that records nothing until ``start(writer:header:reply:now:statementScanner:)``.
    init() {}

    deinit {
        if let writer, let channel { _ = writer.submit(block, to: channel, closing: true) }
        maskScratch.deallocate()
    }

    var isRecording: Bool { channel != nil }

    /// Opens the recording and writes the preamble and the header record (once per session).
    mutating func start(
        writer: RecordingWriter, header: RecordingHeader, reply: SessionReplyAddress<GatewaySessionEvent>?, now: UInt64,
        statementScanner: SensitiveDataScanner? = nil
    ) {
        guard channel == nil else { return }
        self.writer = writer
        channel = writer.open(header: header, reply: reply)
        origin = now
        self.statementScanner = statementScanner
        RecordingFormat.preamble.withUnsafeBytes { put($0) }
        let payload = header.encoded()
        begin(.header, .gateway, payloadLength: payload.count, at: now)
        payload.withUnsafeBytes { put($0) }
    }

    /// Appends the `end` record and hands everything to the writer, which finishes the file.
    mutating func end(reason: String, at now: UInt64) {
        guard let writer, let channel else { return }
        var text = reason
        text.withUTF8 { reasonBytes in
            begin(.end, .gateway, payloadLength: reasonBytes.count, at: now)
            put(UnsafeRawBufferPointer(reasonBytes))
        }
        _ = writer.submit(block, to: channel, closing: true)
        block = nil
        self.channel = nil
        self.writer = nil
    }

    /// Hands the current block to the writer now (ReadyForQuery does this itself).
    mutating func flush() -> Bool {
        guard let writer, let channel, let current = block, current.length > 0 else { return takeAttention() }
        if writer.submit(current, to: channel) { attention = true }
        block = nil
        return takeAttention()
    }

    // MARK: Backpressure

    /// What the session must do after a `record…` call returned true.
    enum Backpressure: Equatable {
        case none
        /// Stop reading both sides until ``RecordingSignal/drained``.
        case pause
        /// Close the session: the recording cannot be written.
        case close(RecordingFailure)
    }

    /// Reads the recording's state (one lock) and marks the recorder paused when it must pause.
    mutating func backpressure() -> Backpressure {
        guard let writer, let channel else { return .none }
        let (stalled, failure) = writer.state(of: channel)
        if let failure { return .close(failure) }
        guard (stalled || spilled) && !isPaused else { return .none }
        isPaused = true
        return .pause
    }

    /// After ``RecordingSignal/stalled(_:)``: true when the session must pause now.
    mutating func stalled() -> Bool {
        guard isRecording, !isPaused else { return false }
        isPaused = true
        return true
    }

    /// After ``RecordingSignal/drained``: true when the session paused and may read again.
    mutating func drained() -> Bool {
        spilled = false
        guard isPaused else { return false }
        isPaused = false
        return true
    }

    // MARK: Appending

    /// Starts a record: its header, in a block with room for all of it (headers never span blocks).
    mutating func begin(_ kind: RecordKind, _ direction: RecordDirection, payloadLength: Int, at now: UInt64) {
        if block == nil || block!.available < RecordingFormat.recordHeaderSize { rotate() }
        let micros = (now &- origin) / 1000
        let start = block!.base + block!.length
        start.storeBytes(of: UInt32(truncatingIfNeeded: 12 + payloadLength).bigEndian, toByteOffset: 0, as: UInt32.self)
        start.storeBytes(of: kind.rawValue, toByteOffset: 4, as: UInt8.self)
        start.storeBytes(of: direction.rawValue, toByteOffset: 5, as: UInt8.self)
        start.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        start.storeBytes(of: micros.bigEndian, toByteOffset: 8, as: UInt64.self)
        if block!.firstRecordStart < 0 { block!.firstRecordStart = block!.length }
        block!.records += 1
        block!.length += RecordingFormat.recordHeaderSize
        recordRemaining = payloadLength
        records &+= 1
        bytes &+= UInt64(RecordingFormat.recordHeaderSize + payloadLength)
    }

    /// Copies `source` into the stream, across as many blocks as it needs.
    mutating func put(_ source: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < source.count {
            if block == nil || block!.isFull { rotate() }
            let count = min(block!.available, source.count - offset)
            (block!.base + block!.length).copyMemory(from: source.baseAddress! + offset, byteCount: count)
            block!.length += count
            offset += count
        }
        recordRemaining -= source.count
    }

    mutating func put(byte: UInt8) {
        if block == nil || block!.isFull { rotate() }
        block!.base.storeBytes(of: byte, toByteOffset: block!.length, as: UInt8.self)
        block!.length += 1
        recordRemaining -= 1
    }

    /// Copies a string's UTF-8 bytes (contiguous for native strings: no copy is made).
    mutating func put(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { put(UnsafeRawBufferPointer($0)) }
        if done == nil { for byte in text.utf8 { put(byte: byte) } }
    }

    /// The statement scanner's masked copy of `text`, or `text` itself without a scanner.
    mutating func maskedStatement(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let statementScanner, !text.isEmpty else { return text }
        if maskScratch.count < text.count {
            maskScratch.deallocate()
            maskScratch = .allocate(byteCount: max(text.count, 2 * maskScratch.count, 1024), alignment: 16)
        }
        let copy = UnsafeMutableRawBufferPointer(rebasing: maskScratch[0..<text.count])
        copy.copyMemory(from: text)
        statementScanner.maskInPlace(copy)
        return UnsafeRawBufferPointer(copy)
    }

    /// Returns and clears the attention flag (and raises it for a spill not yet acted on).
    mutating func takeAttention() -> Bool {
        let result = attention || (spilled && !isPaused)
        attention = false
        return result
    }

    /// Hands the current block over and takes the next: a free pool block, a new pool block
    /// while the pool is not full, or else a spill block (the session must pause).
    private mutating func rotate() {
        guard let writer, let channel else { preconditionFailure("recording not started") }
        if let full = block {
            block = nil
            if writer.submit(full, to: channel) { attention = true }
        }
        let found = writer.acquire(channel)
        if found.attention { attention = true }
        if let free = found.block {
            block = free
        } else if found.mayGrowPool {
            block = .allocate(capacity: channel.blockSize, isSpill: false)
        } else {
            block = .allocate(capacity: channel.blockSize, isSpill: true)
            spilled = true
            attention = true
        }
        block!.continuesRecord = recordRemaining > 0
    }

    // MARK: Streamed messages

    /// Records a backend message that reaches the client in parts (a message crossing buffer
    /// edges that is not reassembled): pass every part, in order, as it is forwarded. Messages
    /// of kinds that are not recorded are skipped.
    mutating func recordMessagePart(_ part: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        guard isRecording else { return false }
        var offset = 0
        while offset < part.count {
            if partRemaining > 0 {
                let count = min(partRemaining, part.count - offset)
                if partRecorded { put(UnsafeRawBufferPointer(rebasing: part[offset..<(offset + count)])) }
                partRemaining -= count
                offset += count
                continue
            }
            withUnsafeMutableBytes(of: &partHeader) { $0[partHeaderCount] = part[offset] }
            partHeaderCount += 1
            offset += 1
            guard partHeaderCount == 5 else { continue }
            partHeaderCount = 0
            let length = Int(UInt32(partHeader.1) << 24 | UInt32(partHeader.2) << 16 | UInt32(partHeader.3) << 8 | UInt32(partHeader.4))
            partRemaining = max(0, length - 4)
            if let kind = RecordKind(backendMessageType: partHeader.0) {
                partRecorded = true
                begin(kind, .toClient, payloadLength: 1 + length, at: now)
                withUnsafeBytes(of: partHeader) { put($0) }
            } else {
                partRecorded = false
            }
        }
        return takeAttention()
    }
}
