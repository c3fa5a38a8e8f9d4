import Codecs

/// SplitMix64: a small deterministic generator so every random test is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds wire messages in tests (independently of the encoders under test).
enum Wire {
    static func int32(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(u >> 24 & 0xFF), UInt8(u >> 16 & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u & 0xFF)]
    }
    static func int16(_ v: Int16) -> [UInt8] {
        let u = UInt16(bitPattern: v)
        return [UInt8(u >> 8), UInt8(u & 0xFF)]
    }
    static func cstring(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [type.asciiValue!] + int32(Int32(body.count + 4)) + body
    }
    static func startup(_ params: [(String, String)], version: Int32 = 196_608) -> [UInt8] {
        var body = int32(version)
        for (k, v) in params { body += cstring(k) + cstring(v) }
        body.append(0)
        return int32(Int32(body.count + 4)) + body
    }
    static func sslRequest() -> [UInt8] { int32(8) + int32(80_877_103) }
    static func gssEncRequest() -> [UInt8] { int32(8) + int32(80_877_104) }
    static func cancelRequest(pid: Int32, key: Int32) -> [UInt8] { int32(16) + int32(80_877_102) + int32(pid) + int32(key) }

    /// A DataRow; `nil` cells are NULL.
    static func dataRow(_ cells: [[UInt8]?]) -> [UInt8] {
        var body = int16(Int16(cells.count))
        for cell in cells {
            if let cell { body += int32(Int32(cell.count)) + cell } else { body += int32(-1) }
        }
        return message("D", body)
    }

    struct Column {
        var name: String
        var table: UInt32 = 16384
        var attnum: Int16 = 1
        var type: UInt32
        var size: Int16 = -1
        var modifier: Int32 = -1
        var format: Int16 = 0
    }

    static func rowDescription(_ columns: [Column]) -> [UInt8] {
        var body = int16(Int16(columns.count))
        for c in columns {
            body += cstring(c.name) + int32(Int32(bitPattern: c.table)) + int16(c.attnum)
                + int32(Int32(bitPattern: c.type)) + int16(c.size) + int32(c.modifier) + int16(c.format)
        }
        return message("T", body)
    }
}

/// One decoded message as the tests see it.
struct DecodedMessage: Equatable {
    var kind: PostgresFrameKind
    var bytes: [UInt8]
}

/// Feeds `chunks` through a decoder and collects whole messages (zero-copy frames, and
/// messages pieced together from parts), checking reassembled copies on the way.
struct StreamResult {
    var messages: [DecodedMessage] = []
    var error: PostgresProtocolError?
    var reassembledCount = 0
    var reassembledMismatches = 0
    var maxScratch = 0
    var events = 0
}

func decodeStream(_ chunks: [[UInt8]], configuration: PostgresFrameDecoderConfiguration, maxEvents: Int = 10_000_000) -> StreamResult {
    var decoder = PostgresFrameDecoder(configuration: configuration)
    var result = StreamResult()
    var pending: [UInt8] = []
    var pendingKind: PostgresFrameKind?
    outer: for chunk in chunks {
        let stop = chunk.withUnsafeBytes { buffer -> Bool in
            var cursor = 0
            while true {
                result.events += 1
                if result.events > maxEvents { return true }
                let before = cursor
                let event = decoder.next(in: buffer, at: &cursor)
                result.maxScratch = max(result.maxScratch, decoder.scratchBufferCapacity)
                switch event {
                case .needMoreData:
                    return false
                case .frame(let frame):
                    precondition(frame.offset == before)
                    result.messages.append(DecodedMessage(kind: frame.kind, bytes: Array(frame.bytes(in: buffer))))
                case .part(let part):
                    precondition(part.offset >= before && part.offset + part.count == cursor)
                    if part.isFirst { pending = [] }
                    pending += buffer[part.offset..<(part.offset + part.count)]
                    if let kind = part.kind { pendingKind = kind }
                    if part.isLast, let kind = pendingKind {
                        result.messages.append(DecodedMessage(kind: kind, bytes: pending))
                    }
                case .reassembled(let frame):
                    result.reassembledCount += 1
                    let copy = Array(UnsafeRawBufferPointer(decoder.reassembled)[frame.offset..<(frame.offset + frame.length)])
                    if copy != result.messages.last?.bytes || frame.kind != result.messages.last?.kind {
                        result.reassembledMismatches += 1
                    }
                case .singleByte(let byte):
                    result.messages.append(DecodedMessage(kind: .message(0), bytes: [byte]))
                case .protocolError(let error):
                    result.error = error
                    return true
                }
            }
        }
        if stop { break outer }
    }
    return result
}

/// Splits `bytes` at the given sorted cut points.
func cut(_ bytes: [UInt8], at points: [Int]) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    for p in points where p > start && p < bytes.count {
        chunks.append(Array(bytes[start..<p]))
        start = p
    }
    chunks.append(Array(bytes[start...]))
    return chunks
}

/// Random regular-message types of each direction.
let frontendTypes: [Character] = ["Q", "P", "B", "D", "E", "S", "C", "H", "d", "c", "f", "X", "p", "F"]
let backendTypes: [Character] = ["R", "S", "K", "T", "D", "C", "E", "N", "Z", "G", "H", "I", "1", "2", "3", "n", "t", "d", "c", "s", "A", "v"]

/// A random stream: for the frontend a startup phase first, then regular messages with
/// random payload lengths (often 0, sometimes large).
func randomStream(frontend: Bool, count: Int, maxPayload: Int, using rng: inout SeededGenerator) -> (bytes: [UInt8], messages: [DecodedMessage]) {
    var messages: [DecodedMessage] = []
    if frontend {
        if Bool.random(using: &rng) {
            messages.append(DecodedMessage(kind: .sslRequest, bytes: Wire.sslRequest()))
        }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            messages.append(DecodedMessage(kind: .gssEncRequest, bytes: Wire.gssEncRequest()))
        }
        messages.append(DecodedMessage(kind: .startup, bytes: Wire.startup([("user", "alice"), ("database", "db\(Int.random(in: 0..<1000, using: &rng))")])))
    }
    let types = frontend ? frontendTypes : backendTypes
    for _ in 0..<count {
        let type = types.randomElement(using: &rng)!
        let roll = Int.random(in: 0..<10, using: &rng)
        let length = roll < 3 ? 0 : (roll < 9 ? Int.random(in: 0...min(64, maxPayload), using: &rng) : Int.random(in: 0...maxPayload, using: &rng))
        let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        messages.append(DecodedMessage(kind: .message(type.asciiValue!), bytes: Wire.message(type, payload)))
    }
    return (messages.flatMap(\.bytes), messages)
}
