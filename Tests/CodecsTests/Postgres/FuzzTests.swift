import Codecs
import Testing

/// A bounded randomized fuzz harness for the frame decoder, every message view and both
/// maskers. It feeds random bytes and mutated valid streams, cut at random boundaries,
/// and checks that nothing traps, every event makes progress (no hang), the scratch
/// buffer stays within its limit, and masking never grows a message or breaks its framing.
///
/// Runs `RINGGATE_FUZZ_ITERATIONS` iterations (default 1500) from seed
/// `RINGGATE_FUZZ_SEED` (default fixed), for example:
/// `RINGGATE_FUZZ_ITERATIONS=1000000 swift test -c release --filter PostgresFuzzTests`
@Suite struct PostgresFuzzTests {
    static func environment(_ name: String) -> UInt64? {
        guard let raw = getenvValue(name) else { return nil }
        return UInt64(raw)
    }

    static let iterations = Int(environment("RINGGATE_FUZZ_ITERATIONS") ?? 1500)
    static let seed = environment("RINGGATE_FUZZ_SEED") ?? 0x5EED_2026

    /// Valid messages with real bodies, so mutations reach deep into the views.
    static func realisticStream(frontend: Bool, using rng: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        if frontend {
            out += Wire.startup([("user", "u"), ("database", "d")])
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: out += Wire.message("Q", Wire.cstring("select * from t where a = 'x'"))
                case 1: out += Wire.message("P", Wire.cstring("s") + Wire.cstring("select $1") + Wire.int16(1) + Wire.int32(25))
                case 2: out += Wire.message("B", Wire.cstring("") + Wire.cstring("s") + Wire.int16(1) + Wire.int16(1) + Wire.int16(1) + Wire.int32(3) + bytes("abc") + Wire.int16(1) + Wire.int16(1))
                case 3: out += Wire.message("E", Wire.cstring("") + Wire.int32(0))
                case 4: out += Wire.message("p", Wire.cstring("SCRAM-SHA-256") + Wire.int32(5) + bytes("n,,n="))
                default: out += Wire.message("S", [])
                }
            }
        } else {
            let columns = Int.random(in: 0...6, using: &rng)
            let types: [UInt32] = [25, 1043, 20, 23, 1700, 114, 3802, 2950, 17]
            var described: [Wire.Column] = []
            for i in 0..<columns {
                described.append(Wire.Column(name: "c\(i)", type: types.randomElement(using: &rng)!, format: Int16.random(in: 0...1, using: &rng)))
            }
            out += Wire.rowDescription(described)
            for _ in 0..<Int.random(in: 0...10, using: &rng) {
                out += Wire.dataRow((0..<columns).map { _ in
                    Bool.random(using: &rng) ? nil : (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                })
            }
            out += Wire.message("H", [0] + Wire.int16(Int16(columns)) + (0..<columns).flatMap { _ in Wire.int16(0) })
            out += Wire.message("d", bytes((0..<columns).map { _ in "v\\t1" }.joined(separator: "\t") + "\n"))
            out += Wire.message("C", Wire.cstring("SELECT 1"))
            out += Wire.message("E", [UInt8(ascii: "S")] + Wire.cstring("ERROR") + [0])
            out += Wire.message("Z", [UInt8(ascii: "I")])
        }
        return out
    }

    static func mutate(_ input: inout [UInt8], using rng: inout SeededGenerator) {
        guard !input.isEmpty else { return }
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let at = Int.random(in: 0..<input.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: input[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1: input[at] = [0, 0xFF, 0x7F, 0x80, 4, 5].randomElement(using: &rng)!
            case 2: input.removeSubrange(at..<min(input.count, at + Int.random(in: 1...8, using: &rng)))
            case 3: input.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 4:  // a hostile length field
                let length = [Int32.min, -1, 0, 3, 4, 5, Int32.max, 1 << 20, 10_001].randomElement(using: &rng)!
                let bytes = Wire.int32(length)
                for i in 0..<4 where at + i < input.count { input[at + i] = bytes[i] }
            default: input = Array(input[..<at])
            }
            if input.isEmpty { return }
        }
    }

    /// Sends one decoded message through the view and masker that would see it.
    static func inspect(kind: PostgresFrameKind, message: UnsafeMutableRawBufferPointer, frontend: Bool,
                        columns: inout PostgresColumnTable, rng: inout SeededGenerator) {
        let headerLength = kind.headerLength
        let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[headerLength...])
        let type = kind.typeByte
        if frontend {
            switch kind {
            case .startup: _ = try? StartupMessageView(body: body)
            case .cancelRequest: _ = try? CancelRequestView(body: body)
            default:
                _ = try? QueryMessageView(body: body)
                _ = try? ParseMessageView(body: body)
                if let bind = try? BindMessageView(body: body) {
                    bind.forEachParameter { _, _ in }
                    columns.applyResultFormats(of: bind)
                }
                _ = try? DescribeOrCloseMessageView(type: type, body: body)
                _ = try? ExecuteMessageView(body: body)
                _ = try? PasswordMessageView(body: body)
                _ = try? SASLInitialResponseView(body: body)
                _ = try? CopyFailMessageView(body: body)
            }
            return
        }
        _ = try? AuthenticationMessageView(body: body)
        _ = try? ParameterStatusView(body: body)
        _ = try? BackendKeyDataView(body: body)
        _ = try? ReadyForQueryView(body: body)
        _ = try? CommandCompleteView(body: body)
        _ = try? ParameterDescriptionView(body: body)
        _ = try? CopyResponseView(type: type, body: body)
        _ = try? ErrorNoticeView(type: type, body: body)
        switch type {
        case UInt8(ascii: "T"):
            if let description = try? RowDescriptionView(body: body) {
                var planner = RandomPlanner(seed: rng.next())
                try? columns.load(description, planner: &planner)
            }
        case UInt8(ascii: "D"):
            _ = try? DataRowView(body: body)
            if let newLength = try? DataRowMasker.mask(message: message, columns: columns, scanner: DigitRunScanner()) {
                #expect(newLength <= message.count && newLength >= 7)
                let shrunk = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[5..<newLength])
                let view = try? DataRowView(body: shrunk)
                #expect(view?.columnCount == columns.count)
                #expect(Int(Int32(bitPattern: UInt32(message[1]) << 24 | UInt32(message[2]) << 16 | UInt32(message[3]) << 8 | UInt32(message[4]))) + 1 == newLength)
            }
        case UInt8(ascii: "d"):
            let before = message.count
            try? CopyTextMasker.mask(message: message, columns: columns, format: Bool.random(using: &rng) ? .text : .csv, scanner: DigitRunScanner())
            #expect(message.count == before)
        default:
            break
        }
    }

    @Test func decoderAndMaskersSurviveRandomAndMutatedInput() {
        var rng = SeededGenerator(seed: Self.seed)
        var columns = PostgresColumnTable(capacity: 8)
        var messagesSeen = 0
        for iteration in 0..<Self.iterations {
            let frontend = iteration % 2 == 0
            var input: [UInt8]
            if iteration % 5 == 0 {
                input = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                input = Self.realisticStream(frontend: frontend, using: &rng)
                if iteration % 7 != 1 { Self.mutate(&input, using: &rng) }
            }
            let inspectAll = Bool.random(using: &rng)
            var types = PostgresMessageTypeSet()
            if inspectAll { for t in UInt8.min...UInt8.max { types.insert(t) } }
            let configuration = PostgresFrameDecoderConfiguration(
                sender: frontend ? .frontend : .backend, inspectedTypes: types,
                maxInspectedLength: 4096, maxMessageLength: 1 << 16, maxStartupLength: 10_000)
            var decoder = PostgresFrameDecoder(configuration: configuration)
            let points = (0..<Int.random(in: 0...8, using: &rng)).map { _ in Int.random(in: 0...input.count, using: &rng) }.sorted()
            var events = 0
            var chunks = cut(input, at: points)
            let chunkCount = chunks.count
            chunkLoop: for c in 0..<chunkCount {
                var failed = false
                chunks[c].withUnsafeMutableBytes { buffer in
                    var cursor = 0
                    while true {
                        events += 1
                        let before = cursor
                        let event = decoder.next(in: UnsafeRawBufferPointer(buffer), at: &cursor)
                        #expect(decoder.scratchBufferCapacity <= 10_000)
                        switch event {
                        case .needMoreData:
                            #expect(cursor == buffer.count)
                            return
                        case .frame(let frame):
                            #expect(cursor > before && frame.offset == before && frame.length == cursor - before)
                            messagesSeen += 1
                            Self.inspect(kind: frame.kind, message: UnsafeMutableRawBufferPointer(rebasing: buffer[frame.offset..<cursor]),
                                         frontend: frontend, columns: &columns, rng: &rng)
                        case .part(let part):
                            #expect(cursor > before && part.count == cursor - part.offset)
                        case .reassembled(let frame):
                            #expect(frame.length <= 10_000)
                            let scratch = decoder.reassembled
                            Self.inspect(kind: frame.kind, message: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frame.length]),
                                         frontend: frontend, columns: &columns, rng: &rng)
                        case .singleByte:
                            Issue.record("no single byte was expected")
                        case .protocolError:
                            failed = true
                            return
                        }
                        // Progress: every event but the last per buffer consumes bytes.
                        if events > 4 * (input.count + chunkCount) + 16 {
                            Issue.record("decoder made no progress")
                            failed = true
                            return
                        }
                    }
                }
                if failed { break chunkLoop }
            }
        }
        #expect(messagesSeen > Self.iterations)  // the harness really reached the views and maskers
    }
}

/// A planner that picks random actions (seeded, so failures reproduce).
struct RandomPlanner: ColumnMaskPlanner {
    var rng: SeededGenerator
    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }
    mutating func action(for column: ColumnDescriptionView, at index: Int) -> CellMaskAction {
        let actions: [CellMaskAction] = [.keep, .redact(.full), .redact(.keepLast4), .scan, .null]
        return actions[Int.random(in: 0..<actions.count, using: &rng)]
    }
}
