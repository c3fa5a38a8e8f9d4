// libFuzzer harness for the PostgreSQL frame decoder and the in-place maskers
// (Sources/Codecs/Postgres/Framing, Sources/Codecs/Postgres/Masking).
//
// Built by scripts/fuzz.sh with every Codecs source file into one module (no import).
// Input: byte 0 = options, byte 1 = seed of the buffer splits and of the column plan,
// the rest = the byte stream. Options: bit 0 backend (else frontend, starting with the
// startup phase); bit 1 expect a single-byte SSL answer first (backend); bit 2 CSV COPY
// (else text); bit 3 shrink maxInspectedLength to 256 bytes.
//
// It checks, beyond "no crash, no out-of-bounds access, no leak":
// - decoding the stream in one buffer and in small random splits (1...16 bytes, each in
//   its own exactly-sized allocation) yields the same messages, the same single-byte
//   answer and the same protocol error;
// - the parts of a message concatenate to exactly its bytes, isFirst/isLast/messageLength
//   are consistent, and a reassembled message equals its parts;
// - every decoded DataRow that DataRowMasker accepts is still a well-formed DataRow with
//   the same column count after masking (new length ≤ old, length field rewritten), and
//   masking it again does not fail;
// - CopyTextMasker keeps the CopyData message's length, and for a plan without `.scan`
//   a masked row masks again without error (escapes are overwritten whole).

/// SplitMix64: reproducible splits and plans from the seed byte.
struct FuzzRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What one decoding pass saw.
struct DecodedStream: Equatable {
    var messages: [[UInt8]] = []
    var kinds: [PostgresFrameKind] = []
    var singleBytes: [UInt8] = []
    var error: PostgresProtocolError?
}

/// Decodes `chunks` (each a separate exact-size allocation) with one decoder.
func decode(_ chunks: [UnsafeMutableRawBufferPointer], configuration: PostgresFrameDecoderConfiguration,
            expectSingleByte: Bool) -> DecodedStream {
    var decoder = PostgresFrameDecoder(configuration: configuration)
    if expectSingleByte { decoder.expectSingleByteResponse() }
    var result = DecodedStream()
    var pending: [UInt8] = []
    var pendingLength: Int?
    var pendingBuffered = false
    var lastPartCompletedBuffered: [UInt8]?
    chunkLoop: for chunk in chunks {
        let buffer = UnsafeRawBufferPointer(chunk)
        var cursor = 0
        while true {
            let before = cursor
            let event = decoder.next(in: buffer, at: &cursor)
            precondition(cursor >= before && cursor <= buffer.count, "cursor moved backwards or out of bounds")
            switch event {
            case .needMoreData:
                precondition(cursor == buffer.count, "needMoreData before the buffer was consumed")
                continue chunkLoop
            case .frame(let frame):
                precondition(pending.isEmpty, "a whole frame while a message was in progress")
                precondition(frame.offset == before && frame.length == cursor - before, "frame does not cover what was consumed")
                precondition(frame.length >= frame.kind.headerLength, "frame shorter than its header")
                result.messages.append(Array(frame.bytes(in: buffer)))
                result.kinds.append(frame.kind)
            case .part(let part):
                precondition(part.offset == before && part.count == cursor - before && part.count > 0, "part does not cover what was consumed")
                precondition(part.isFirst == pending.isEmpty, "isFirst disagrees with the message in progress")
                if !part.isFirst { precondition(part.isBuffered == pendingBuffered, "isBuffered changed within a message") }
                pendingBuffered = part.isBuffered
                pending += buffer[part.offset..<(part.offset + part.count)]
                if let length = part.messageLength {
                    if let known = pendingLength { precondition(known == length, "messageLength changed") }
                    pendingLength = length
                    precondition(pending.count <= length, "parts longer than the message")
                }
                if part.isLast {
                    precondition(pendingLength == pending.count, "last part does not complete the message")
                    guard let kind = part.kind else { preconditionFailure("a completed message without a kind") }
                    result.messages.append(pending)
                    result.kinds.append(kind)
                    if part.isBuffered { lastPartCompletedBuffered = pending }
                    pending = []
                    pendingLength = nil
                }
            case .reassembled(let frame):
                guard let expected = lastPartCompletedBuffered else { preconditionFailure("reassembled without buffered parts") }
                precondition(frame.offset == 0 && frame.length == expected.count, "reassembled frame size")
                let scratch = UnsafeRawBufferPointer(decoder.reassembled)
                precondition(scratch.count >= frame.length, "scratch shorter than the frame")
                precondition(scratch[0..<frame.length].elementsEqual(expected), "reassembled bytes differ from the parts")
                lastPartCompletedBuffered = nil
            case .singleByte(let answer):
                precondition(cursor == before + 1, "single byte consumed more")
                result.singleBytes.append(answer)
            case .protocolError(let error):
                result.error = error
                // The decoder stays failed.
                var again = cursor
                guard case .protocolError(let same) = decoder.next(in: buffer, at: &again), same == error else {
                    preconditionFailure("a failed decoder recovered")
                }
                break chunkLoop
            }
        }
    }
    precondition(lastPartCompletedBuffered == nil || result.error != nil, "buffered message never reported as reassembled")
    return result
}

func chunks(of stream: UnsafeRawBufferPointer, random: inout FuzzRandom, split: Bool) -> [UnsafeMutableRawBufferPointer] {
    var result: [UnsafeMutableRawBufferPointer] = []
    var start = 0
    while start < stream.count {
        let size = split ? Int(1 + random.next() % 16) : stream.count
        let end = min(start + size, stream.count)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: end - start, alignment: 1)
        chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: stream[start..<end]))
        result.append(chunk)
        start = end
    }
    return result
}

let fuzzScanner = SensitiveDataScanner(configuration: .init(maskStyle: .keepLast4))
let typeChoices: [(oid: UInt32, size: Int16)] = [
    (25, -1), (1043, -1), (20, 8), (23, 4), (21, 2), (3802, -1), (114, -1), (1700, -1), (17, -1), (16, 1), (701, 8), (2950, 16),
]
let actionChoices: [CellMaskAction] = [.keep, .redact(.full), .redact(.keepLast4), .scan, .null]

/// A column table of `count` columns with types, formats and actions drawn from `random`.
func makeTable(count: Int, random: inout FuzzRandom, allowScan: Bool) -> PostgresColumnTable {
    var table = PostgresColumnTable(capacity: max(count, 1))
    for _ in 0..<count {
        let type = typeChoices[Int(random.next() % UInt64(typeChoices.count))]
        var action = actionChoices[Int(random.next() % UInt64(actionChoices.count))]
        if !allowScan, case .scan = action { action = .redact(.full) }
        let column = PostgresColumn(typeOID: type.oid, typeSize: type.size, format: Int16(random.next() % 2), action: action)
        do { try table.append(column) } catch { preconditionFailure("table capacity") }
    }
    return table
}

func keepTable(count: Int) -> PostgresColumnTable {
    var table = PostgresColumnTable(capacity: max(count, 1))
    for _ in 0..<count {
        do { try table.append(PostgresColumn(typeOID: 25, action: .keep)) } catch { preconditionFailure("table capacity") }
    }
    return table
}

func maskDataRow(_ message: [UInt8], random: inout FuzzRandom) {
    guard message.count >= 7 else { return }
    let declared = Int(Int16(bitPattern: UInt16(message[5]) << 8 | UInt16(message[6])))
    // Usually the row's own column count; sometimes a wrong one (must be an error).
    let count = random.next() % 8 == 0 ? Int(random.next() % 8) : declared
    guard count >= 0, count <= 64 else { return }
    let table = makeTable(count: count, random: &random, allowScan: true)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: message.count, alignment: 1)
    defer { buffer.deallocate() }
    buffer.copyBytes(from: message)
    let newLength: Int
    do {
        newLength = try DataRowMasker.mask(message: buffer, columns: table, scanner: fuzzScanner)
    } catch {
        return
    }
    precondition(count == declared, "a row with the wrong column count was accepted")
    precondition(newLength >= 7 && newLength <= message.count, "masked length out of range")
    let masked = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<newLength])
    precondition(masked[0] == UInt8(ascii: "D"), "type byte changed")
    let field = Int(UInt32(masked[1]) << 24 | UInt32(masked[2]) << 16 | UInt32(masked[3]) << 8 | UInt32(masked[4]))
    precondition(field + 1 == newLength, "length field not rewritten")
    precondition(masked[5] == message[5] && masked[6] == message[6], "column count changed")
    // Still well formed: validation with a keep-all table, and masking again, succeed.
    let keep = keepTable(count: count)
    do {
        _ = try DataRowMasker.mask(message: masked, columns: keep, scanner: NoCellScanner())
        let again = try DataRowMasker.mask(message: masked, columns: table, scanner: fuzzScanner)
        precondition(again <= newLength, "second masking grew the row")
    } catch {
        preconditionFailure("a masked DataRow is malformed: \(error)")
    }
}

func maskCopyData(_ message: [UInt8], csv: Bool, random: inout FuzzRandom) {
    let count = Int(1 + random.next() % 6)
    let allowScan = random.next() % 2 == 0
    let table = makeTable(count: count, random: &random, allowScan: allowScan)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: message.count, alignment: 1)
    defer { buffer.deallocate() }
    buffer.copyBytes(from: message)
    let format: CopyTextFormat = csv ? .csv : .text
    do {
        try CopyTextMasker.mask(message: buffer, columns: table, format: format, scanner: fuzzScanner)
    } catch {
        return
    }
    precondition(buffer[0] == message[0] && buffer[1..<5].elementsEqual(message[1..<5]), "CopyData header changed")
    precondition(buffer.last == message.last, "row terminator changed")
    if !allowScan {
        do {
            try CopyTextMasker.mask(message: buffer, columns: table, format: format, scanner: fuzzScanner)
        } catch {
            preconditionFailure("a masked COPY row no longer parses: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPostgresFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let options = data[0]
    let backend = options & 1 != 0
    let singleByte = backend && options & 2 != 0
    let csv = options & 4 != 0
    let maxInspected = options & 8 != 0 ? 256 : 1 << 20
    var configuration: PostgresFrameDecoderConfiguration = backend
        ? .backend(maxInspectedLength: maxInspected) : .frontend(maxInspectedLength: maxInspected)
    configuration.maxMessageLength = 1 << 16
    let stream = UnsafeRawBufferPointer(start: data + 2, count: size - 2)

    var random = FuzzRandom(state: UInt64(data[1]))
    let whole = chunks(of: stream, random: &random, split: false)
    let split = chunks(of: stream, random: &random, split: true)
    defer { (whole + split).forEach { $0.deallocate() } }
    let one = decode(whole, configuration: configuration, expectSingleByte: singleByte)
    let many = decode(split, configuration: configuration, expectSingleByte: singleByte)
    precondition(one == many, "one buffer and small splits decode differently")

    for (message, kind) in zip(one.messages, one.kinds) {
        guard backend, case .message(let type) = kind else { continue }
        switch type {
        case PostgresMessageType.Backend.dataRow: maskDataRow(message, random: &random)
        case PostgresMessageType.Backend.copyData: maskCopyData(message, csv: csv, random: &random)
        default: break
        }
    }
    return 0
}
