import Codecs
import Testing

@Suite struct FrameDecoderTests {
    static let everyType: PostgresMessageTypeSet = {
        var set = PostgresMessageTypeSet()
        for t in UInt8.min...UInt8.max { set.insert(t) }
        return set
    }()

    func configurations(frontend: Bool) -> [PostgresFrameDecoderConfiguration] {
        let sender: PostgresFrameDecoderConfiguration.Sender = frontend ? .frontend : .backend
        return [
            PostgresFrameDecoderConfiguration(sender: sender),  // forward only
            PostgresFrameDecoderConfiguration(sender: sender, inspectedTypes: Self.everyType, maxInspectedLength: 1 << 20),
            frontend ? .frontend() : .backend(),
        ]
    }

    @Test(arguments: [true, false])
    func smallStreamsCutAtEveryBoundary(frontend: Bool) {
        var rng = SeededGenerator(seed: frontend ? 1 : 2)
        for _ in 0..<6 {
            let (bytes, expected) = randomStream(frontend: frontend, count: 6, maxPayload: 12, using: &rng)
            for configuration in configurations(frontend: frontend) {
                // One cut at every position, and every pair of cuts.
                for a in 0...bytes.count {
                    let single = decodeStream(cut(bytes, at: [a]), configuration: configuration)
                    #expect(single.error == nil)
                    #expect(single.messages == expected)
                    #expect(single.reassembledMismatches == 0)
                    for b in stride(from: a + 1, through: bytes.count, by: 3) {
                        let double = decodeStream(cut(bytes, at: [a, b]), configuration: configuration)
                        #expect(double.messages == expected && double.error == nil)
                    }
                }
                // Every byte in its own buffer.
                let bytewise = decodeStream(bytes.map { [$0] }, configuration: configuration)
                #expect(bytewise.messages == expected)
                #expect(bytewise.reassembledMismatches == 0)
            }
        }
    }

    @Test(arguments: [true, false])
    func largeStreamsCutAtRandomBoundaries(frontend: Bool) {
        var rng = SeededGenerator(seed: frontend ? 3 : 4)
        for _ in 0..<5 {
            let (bytes, expected) = randomStream(frontend: frontend, count: 300, maxPayload: 70_000, using: &rng)
            for configuration in configurations(frontend: frontend) {
                for _ in 0..<4 {
                    let cutCount = Int.random(in: 1...400, using: &rng)
                    let points = (0..<cutCount).map { _ in Int.random(in: 0...bytes.count, using: &rng) }.sorted()
                    let result = decodeStream(cut(bytes, at: points), configuration: configuration)
                    #expect(result.error == nil)
                    #expect(result.messages == expected)
                    #expect(result.reassembledMismatches == 0)
                    #expect(result.maxScratch <= max(configuration.maxInspectedLength, configuration.maxStartupLength))
                }
            }
        }
    }

    @Test func wholeMessagesInOneBufferAreZeroCopyFrames() {
        let bytes = Wire.startup([("user", "u")]) + Wire.message("Q", Wire.cstring("select 1")) + Wire.message("S", [])
        var decoder = PostgresFrameDecoder(configuration: .frontend())
        bytes.withUnsafeBytes { buffer in
            var cursor = 0
            #expect(decoder.next(in: buffer, at: &cursor) == .frame(PostgresFrame(kind: .startup, offset: 0, length: bytes.count - 19)))
            let queryStart = cursor
            guard case .frame(let query) = decoder.next(in: buffer, at: &cursor) else { Issue.record("no frame"); return }
            #expect(query.kind == .message(UInt8(ascii: "Q")) && query.offset == queryStart && query.length == 14)
            #expect(decoder.next(in: buffer, at: &cursor) == .frame(PostgresFrame(kind: .message(UInt8(ascii: "S")), offset: cursor - 5, length: 5)))
            #expect(decoder.next(in: buffer, at: &cursor) == .needMoreData)
            #expect(decoder.scratchBufferCapacity == 0)
        }
    }

    @Test func uninspectedMessagesCrossingBuffersAreNotCopied() {
        let big = Wire.message("D", [UInt8](repeating: 7, count: 100_000))
        let result = decodeStream(cut(big, at: [10, 5000, 50_000]), configuration: PostgresFrameDecoderConfiguration(sender: .backend))
        #expect(result.messages.count == 1 && result.reassembledCount == 0 && result.maxScratch == 0)
    }

    @Test func inspectedMessagesCrossingBuffersAreReassembled() {
        let query = Wire.message("Q", Wire.cstring(String(repeating: "select 1;", count: 1000)))
        let result = decodeStream(cut(query, at: [3, 4000]), configuration: .frontend().withStartupSkipped())
        #expect(result.messages.count == 1 && result.reassembledCount == 1 && result.reassembledMismatches == 0)
    }

    @Test func malformedLengthsAreProtocolErrors() {
        let backend = PostgresFrameDecoderConfiguration(sender: .backend)
        #expect(decodeStream([[UInt8(ascii: "Z")] + Wire.int32(3)], configuration: backend).error == .lengthTooSmall(type: UInt8(ascii: "Z"), length: 3))
        #expect(decodeStream([[UInt8(ascii: "Z")] + Wire.int32(-1) + [0, 0]], configuration: backend).error == .lengthTooSmall(type: UInt8(ascii: "Z"), length: -1))
        #expect(decodeStream([[UInt8(ascii: "Z")] + Wire.int32(Int32.min)], configuration: backend).error != nil)
        let small = PostgresFrameDecoderConfiguration(sender: .backend, maxMessageLength: 1000)
        #expect(decodeStream([[UInt8(ascii: "D")] + Wire.int32(1000)], configuration: small).error == .messageTooLarge(type: UInt8(ascii: "D"), length: 1001, limit: 1000))
        #expect(decodeStream([[UInt8(ascii: "D")] + Wire.int32(Int32.max)], configuration: backend).error != nil)
        // An inspected type over the inspection limit fails even when the whole message is present.
        let inspected = PostgresFrameDecoderConfiguration(sender: .frontend, inspectedTypes: PostgresMessageTypeSet(UInt8(ascii: "Q")), maxInspectedLength: 64)
        let longQuery = Wire.startup([("user", "u")]) + Wire.message("Q", Wire.cstring(String(repeating: "x", count: 100)))
        #expect(decodeStream([longQuery], configuration: inspected).error == .messageTooLarge(type: UInt8(ascii: "Q"), length: 106, limit: 64))
        // The header split across buffers is validated the same way.
        #expect(decodeStream([[UInt8(ascii: "Z"), 0, 0], [0, 2]], configuration: backend).error == .lengthTooSmall(type: UInt8(ascii: "Z"), length: 2))
    }

    @Test func malformedStartupPacketsAreProtocolErrors() {
        let frontend = PostgresFrameDecoderConfiguration.frontend()
        #expect(decodeStream([Wire.int32(7) + Wire.int32(196_608)], configuration: frontend).error == .lengthTooSmall(type: 0, length: 7))
        #expect(decodeStream([Wire.int32(20_000) + Wire.int32(196_608)], configuration: frontend).error == .messageTooLarge(type: 0, length: 20_000, limit: 10_000))
        #expect(decodeStream([Wire.int32(8) + Wire.int32(131_072)], configuration: frontend).error == .unsupportedStartupCode(131_072))
        #expect(decodeStream([Wire.int32(12) + Wire.int32(80_877_103) + [0, 0, 0, 0]], configuration: frontend).error == .invalidField(type: 0))
        // Nothing may follow a CancelRequest.
        let cancel = decodeStream([Wire.cancelRequest(pid: 1, key: 2) + Wire.message("Q", [0])], configuration: frontend)
        #expect(cancel.messages.count == 1 && cancel.error == .unexpectedMessage(type: UInt8(ascii: "Q")))
    }

    @Test func aFailedDecoderStaysFailed() {
        var decoder = PostgresFrameDecoder(configuration: PostgresFrameDecoderConfiguration(sender: .backend))
        let bad: [UInt8] = [UInt8(ascii: "Z")] + Wire.int32(1)
        let good = Wire.message("Z", [UInt8(ascii: "I")])
        bad.withUnsafeBytes { buffer in
            var cursor = 0
            #expect(decoder.next(in: buffer, at: &cursor) == .protocolError(.lengthTooSmall(type: UInt8(ascii: "Z"), length: 1)))
        }
        good.withUnsafeBytes { buffer in
            var cursor = 0
            #expect(decoder.next(in: buffer, at: &cursor) == .protocolError(.lengthTooSmall(type: UInt8(ascii: "Z"), length: 1)))
        }
    }

    @Test func sslAnswerByteIsReportedWhenExpected() {
        var decoder = PostgresFrameDecoder(configuration: PostgresFrameDecoderConfiguration(sender: .backend))
        decoder.expectSingleByteResponse()
        let bytes: [UInt8] = [UInt8(ascii: "N")] + Wire.message("Z", [UInt8(ascii: "I")])
        bytes.withUnsafeBytes { buffer in
            var cursor = 0
            #expect(decoder.next(in: buffer, at: &cursor) == .singleByte(UInt8(ascii: "N")))
            #expect(decoder.next(in: buffer, at: &cursor) == .frame(PostgresFrame(kind: .message(UInt8(ascii: "Z")), offset: 1, length: 6)))
        }
    }
}

extension PostgresFrameDecoderConfiguration {
    /// The same limits, decoding a backend-like stream of regular messages only.
    func withStartupSkipped() -> Self {
        Self(sender: .backend, inspectedTypes: inspectedTypes, maxInspectedLength: maxInspectedLength,
             maxMessageLength: maxMessageLength, maxStartupLength: maxStartupLength)
    }
}

@Suite struct FrameDecoderInspectionSwitchTests {
    /// A session that masks nothing in the current result stops inspecting DataRow: a row
    /// over the inspection limit then streams through instead of failing.
    @Test func inspectionCanBeTurnedOffBetweenMessages() {
        let big = Wire.message("D", [UInt8](repeating: 1, count: 5000))
        let chunks = cut(big + big, at: [100, 5100, 6000])
        var decoder = PostgresFrameDecoder(configuration: .backend(maxInspectedLength: 1024))
        decoder.inspectedTypes = PostgresMessageTypeSet(UInt8(ascii: "T"))
        var completed = 0
        for chunk in chunks {
            chunk.withUnsafeBytes { buffer in
                var cursor = 0
                while true {
                    switch decoder.next(in: buffer, at: &cursor) {
                    case .needMoreData: return
                    case .part(let part): if part.isLast { completed += 1 }; #expect(!part.isBuffered)
                    case .protocolError(let error): Issue.record("unexpected \(error)"); return
                    default: continue
                    }
                }
            }
        }
        #expect(completed == 2 && decoder.scratchBufferCapacity == 0)
        // With DataRow inspected again, the same row is over the limit: fail closed.
        var strict = PostgresFrameDecoder(configuration: .backend(maxInspectedLength: 1024))
        big.withUnsafeBytes { buffer in
            var cursor = 0
            #expect(strict.next(in: buffer, at: &cursor) == .protocolError(.messageTooLarge(type: UInt8(ascii: "D"), length: 5005, limit: 1024)))
        }
    }
}

@Suite struct FrameForwardingTests {
    /// What a forwarding proxy sends: frames and unbuffered parts as they arrive, buffered
    /// messages once, from the scratch copy.
    static func forward(_ chunks: [[UInt8]], configuration: PostgresFrameDecoderConfiguration) -> (bytes: [UInt8], error: PostgresProtocolError?) {
        var decoder = PostgresFrameDecoder(configuration: configuration)
        var out: [UInt8] = []
        var error: PostgresProtocolError?
        var flags: [Bool] = []
        for chunk in chunks {
            chunk.withUnsafeBytes { buffer in
                var cursor = 0
                while true {
                    switch decoder.next(in: buffer, at: &cursor) {
                    case .needMoreData: return
                    case .frame(let frame): out += frame.bytes(in: buffer)
                    case .part(let part):
                        if part.isFirst { flags = [] }
                        flags.append(part.isBuffered)
                        if !part.isBuffered { out += buffer[part.offset..<(part.offset + part.count)] }
                        if part.isLast && Set(flags).count != 1 { error = .decoderFailed }
                    case .reassembled(let frame): out += UnsafeRawBufferPointer(decoder.reassembled)[0..<frame.length]
                    case .singleByte(let byte): out.append(byte)
                    case .protocolError(let e): error = e; return
                    }
                }
            }
        }
        return (out, error)
    }

    @Test(arguments: [true, false])
    func forwardedBytesEqualTheStreamWhereverItIsCut(frontend: Bool) {
        var rng = SeededGenerator(seed: frontend ? 11 : 12)
        let sender: PostgresFrameDecoderConfiguration.Sender = frontend ? .frontend : .backend
        for _ in 0..<4 {
            let (bytes, _) = randomStream(frontend: frontend, count: 8, maxPayload: 10, using: &rng)
            for configuration in [PostgresFrameDecoderConfiguration(sender: sender),
                                  PostgresFrameDecoderConfiguration(sender: sender, inspectedTypes: FrameDecoderTests.everyType),
                                  frontend ? .frontend() : .backend()] {
                for a in 0...bytes.count {
                    for b in stride(from: a, through: bytes.count, by: 2) {
                        let result = Self.forward(cut(bytes, at: [a, b]), configuration: configuration)
                        #expect(result.error == nil && result.bytes == bytes)
                    }
                }
                let bytewise = Self.forward(bytes.map { [$0] }, configuration: configuration)
                #expect(bytewise.error == nil && bytewise.bytes == bytes)
            }
        }
    }
}
