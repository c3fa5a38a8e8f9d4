import CAllocCounter
import Codecs
import Testing

@Suite struct SensitiveDataScannerTests {
    static let mixedText = """
        {"user":"ann","email":"ann.lee@example.com","card":"4111 1111 1111 1111","ssn":"536-22-8726"}
        Wire to DE89 3704 0044 0532 0130 00 from 10.20.30.40 or 2001:db8::7; ask bob@corp.example.org.
        Plain prose with numbers 3.14, 2024-05-01 12:30:45 and order ORD-2024-000123 mentions Project Falcon.
        Amex 3782 822463 10005 and GB29NWBK60161331926819 and ::ffff:192.0.2.1 end.
        """

    static func allKinds() throws -> SensitiveDataScanner {
        SensitiveDataScanner(configuration: .init(keywords: try KeywordSet(["project falcon"])))
    }

    @Test func findsEveryKindInOnePassInOrder() throws {
        let scanner = try Self.allKinds()
        #expect(scanner.findings(in: Self.mixedText) == [
            Found(kind: .email, text: "ann.lee@example.com"), Found(kind: .creditCard, text: "4111 1111 1111 1111"),
            Found(kind: .ssn, text: "536-22-8726"), Found(kind: .iban, text: "DE89 3704 0044 0532 0130 00"),
            Found(kind: .ipv4, text: "10.20.30.40"), Found(kind: .ipv6, text: "2001:db8::7"),
            Found(kind: .email, text: "bob@corp.example.org"), Found(kind: .keyword, text: "Project Falcon"),
            Found(kind: .creditCard, text: "3782 822463 10005"), Found(kind: .iban, text: "GB29NWBK60161331926819"),
            Found(kind: .ipv6, text: "::ffff:192.0.2.1"),
        ])
    }

    @Test func disabledDetectorsFindNothing() {
        let scanner = SensitiveDataScanner.only([])
        #expect(scanner.findings(in: Self.mixedText).isEmpty)
        let onlyEmail = SensitiveDataScanner.only(.email)
        #expect(onlyEmail.findings(in: Self.mixedText).map(\.kind) == [.email, .email])
    }

    @Test func maskingOverwritesExactlyTheScannedSpans() throws {
        for style in [MaskStyle.full, .keepLast4, try MaskStyle(maskCharacter: "#")] {
            let scanner = SensitiveDataScanner(configuration: .init(keywords: try KeywordSet(["project falcon"]), maskStyle: style))
            let spans = scanner.spans(in: Self.mixedText)
            var expected = Array(Self.mixedText.utf8)
            expected.withUnsafeMutableBytes { bytes in
                for span in spans { style.apply(to: bytes, span.start, span.end) }
            }
            let masked = scanner.masked(Self.mixedText)
            #expect(masked == String(decoding: expected, as: UTF8.self))
            #expect(masked.utf8.count == Self.mixedText.utf8.count)
            #expect(!masked.contains("4111 1111 1111 1111"))
            #expect(!masked.contains("ann.lee"))
        }
    }

    @Test func maskStyleRefusesCharactersThatCouldBreakFraming() {
        for c: Character in ["\"", "'", "\\", " ", "\n", "é", "\u{0}"] {
            #expect(throws: MaskStyle.Error.unsupportedMaskCharacter) { try MaskStyle(maskCharacter: c) }
        }
        #expect((try? MaskStyle(maskCharacter: "X", keepLastFour: true))?.fill == 0x58)
    }

    @Test func reportsTheTotalWhenTheSpanBufferIsTooSmall() throws {
        let scanner = try Self.allKinds()
        let bytes = Array(Self.mixedText.utf8)
        let storage = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 3)
        defer { storage.deallocate() }
        let total = bytes.withUnsafeBytes { scanner.scan($0, into: storage) }
        #expect(total == 11)
        #expect(storage[0].kind == .email && storage[2].kind == .ssn)
        let empty = UnsafeMutableBufferPointer<SensitiveSpan>(start: nil, count: 0)
        #expect(bytes.withUnsafeBytes { scanner.scan($0, into: empty) } == 11)
        #expect(scanner.scan(UnsafeRawBufferPointer(start: nil, count: 0), into: storage) == 0)
    }

    @Test func rawSpanEntryPointAgrees() throws {
        let scanner = try Self.allKinds()
        let bytes = Array(Self.mixedText.utf8)
        let storage = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 32)
        defer { storage.deallocate() }
        let viaSpan = scanner.scan(bytes.span.bytes, into: storage)
        #expect(viaSpan == 11)
        #expect(Array(storage[0..<viaSpan]) == scanner.spans(in: Self.mixedText))
    }

    @Test func everyTailLengthIsHandled() throws {
        // Findings at the very end of buffers of every length exercise the word-at-a-time
        // tail and the byte-at-a-time path for short buffers.
        let scanner = try Self.allKinds()
        for padding in 0..<20 {
            let pad = String(repeating: "x ", count: padding)
            for value in ["10.0.0.1", "a@b.cd", "::1", "4111111111111111", "536-22-8726", "NO9386011117947", "project falcon"] {
                #expect(scanner.findings(in: pad + value).map(\.text) == [value], "\(padding) \(value)")
            }
        }
    }

    @Test func scanningAndMaskingAllocateNothing() throws {
        let scanner = try Self.allKinds()
        var corpus = OrdinaryTextCorpus(seed: 99)
        var text = Array((corpus.text(lines: 200) + Self.mixedText).utf8)
        let storage = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 64)
        defer { storage.deallocate() }
        var found = 0
        var masked = 0
        // Warm up once: one-time lazy initialization (global tables) is not per-scan cost, and
        // whether another test got there first depends on test order.
        var warmUp = text
        _ = text.withUnsafeBytes { scanner.scan($0, into: storage) }
        warmUp.withUnsafeMutableBytes { scanner.maskInPlace($0) }
        let before = rg_thread_allocation_count()
        for _ in 0..<10 {
            found &+= text.withUnsafeBytes { scanner.scan($0, into: storage) }
        }
        text.withUnsafeMutableBytes { masked = scanner.maskInPlaceCountingFindings($0) }
        text.withUnsafeMutableBytes { scanner.maskInPlace($0) }
        let after = rg_thread_allocation_count()
        #expect(after - before == 0)
        #expect(found == 110)
        #expect(masked == 11)
    }

    @Test func randomBytesNeverCrashAndSpansAreOrderedAndInBounds() throws {
        let scanner = SensitiveDataScanner(configuration: .init(
            keywords: try KeywordSet(["ab", "ünï", "12"]), maskStyle: .keepLast4, allowUnseparatedSSN: true))
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("0123456789abcdefABCDEFXYZ:.@- _+,%\n\u{7f}".utf8) + [0xC3, 0xBC, 0xFF, 0x00]
        let storage = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 512)
        defer { storage.deallocate() }
        for _ in 0..<3000 {
            let length = Int.random(in: 0...200, using: &rng)
            var bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            let found = bytes.withUnsafeBytes { scanner.scan($0, into: storage) }
            var previousEnd = 0
            for span in storage[0..<min(found, storage.count)] {
                #expect(span.start >= previousEnd && span.count >= 2 && span.end <= length)
                previousEnd = span.end
            }
            let masked = bytes.withUnsafeMutableBytes { scanner.maskInPlaceCountingFindings($0) }
            #expect(masked == found)
        }
    }

    @Test func wordAtATimeTriggersFindWhatTheByteAtATimePathFinds() throws {
        // Four keyword pairs force the byte-at-a-time path; the keywords never occur, so
        // both scanners must report exactly the same built-in findings.
        let bytewise = SensitiveDataScanner(configuration: .init(keywords: try KeywordSet(["zqzq", "zwzw", "zxzx", "zyzy"])))
        let wordwise = SensitiveDataScanner(configuration: .init(kinds: .all.subtracting(.keyword)))
        var rng = SplitMix64(seed: 11)
        var corpus = OrdinaryTextCorpus(seed: 12)
        let values = [
            "4111 1111 1111 1111", "5500000000000004", "ann@example.com", "536-22-8726", "DE89370400440532013000",
            "GB29 NWBK 6016 1331 9268 19", "10.0.0.1", "fe80::1", "::ffff:192.0.2.1", "2001:db8:0:0:1:0:0:1",
        ]
        var text = ""
        for _ in 0..<2_000 {
            text += corpus.line()
            text += Int.random(in: 0..<3, using: &rng) == 0 ? " \(values[Int.random(in: 0..<values.count, using: &rng)]) " : " "
        }
        let expected = bytewise.spans(in: text)
        #expect(expected.count > 300)
        #expect(wordwise.spans(in: text) == expected)
    }

    /// Buffers shorter than the block test's look-behind (three bytes) are scanned byte at a
    /// time within their own bounds. Before the fix the head loop ran to the look-behind
    /// whatever the length, reading (and in debug builds trapping on) bytes past a one- or
    /// two-byte cell; the PostgreSQL frames fuzzer found it. Every short buffer of trigger
    /// bytes is compared with the byte-at-a-time scanner, through views that end exactly
    /// at the buffer (the bytes after it are triggers too).
    @Test func buffersShorterThanTheLookBehindStayInBounds() throws {
        let words = ["project falcon", "falcon", "annex"]
        let blockwise = SensitiveDataScanner(configuration: .init(keywords: try KeywordSet(words)))
        let bytewise = SensitiveDataScanner(configuration: .init(keywords: try KeywordSet(words + ["zqzq", "zwzw"])))
        let alphabet = Array("1@:.fa -".utf8)
        let backing = [UInt8](repeating: UInt8(ascii: "4"), count: 64)
        for length in 0...3 {
            var combination = [Int](repeating: 0, count: length)
            while true {
                var bytes = backing
                for (k, index) in combination.enumerated() { bytes[k] = alphabet[index] }
                bytes.withUnsafeBytes { all in
                    let view = UnsafeRawBufferPointer(rebasing: all[..<length])
                    var got = [SensitiveSpan](repeating: SensitiveSpan(start: 0, count: 0, kind: .keyword), count: 8)
                    var expected = got
                    let gotCount = got.withUnsafeMutableBufferPointer { blockwise.scan(view, into: $0) }
                    let expectedCount = expected.withUnsafeMutableBufferPointer { bytewise.scan(view, into: $0) }
                    #expect(gotCount == expectedCount)
                    #expect(Array(got[..<min(gotCount, 8)]) == Array(expected[..<min(expectedCount, 8)]))
                    #expect(got[..<min(gotCount, 8)].allSatisfy { $0.end <= length }, "a span past a \(length)-byte buffer")
                }
                // Next combination (odometer); done after the last.
                var position = length - 1
                while position >= 0 && combination[position] == alphabet.count - 1 {
                    combination[position] = 0
                    position -= 1
                }
                if position < 0 { break }
                combination[position] += 1
            }
        }
    }

    /// The block path stops only where a detector's shape fits (digit-run shapes, dot
    /// counts, IPv6 colon counts, keyword third bytes). Against the byte-at-a-time path,
    /// which tries every trigger byte, it must find the same on text built from values
    /// and their near misses glued together (so shapes straddle the sixteen-byte blocks).
    @Test(arguments: [false, true])
    func blockStopsMissNothingOnNearMisses(allowUnseparatedSSN: Bool) throws {
        let fragments = [
            "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005", "4222222222222",
            "4111 1111 1111 1111 12/25", "1234 5678 9012 3456 7890", "2024-05-01", "2024-000123", "ORD-2024-000123",
            "536-22-8726", "536 22 8726", "536228726", "123-45-6789", "12.5", "2.14.7", "45.123Z", "10.20.30.40",
            "255.255.255.255:80", "1.2.3.4.5", "010.1.1.1", "12:30:45", "2001:db8::7", "::1", "fe80::1%eth0",
            "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "abcd:abcd:abcd::1", "64:ff9b::192.0.2.33", "a:b", "dead:beef:",
            "2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:192.0.2.1", "1::", "a:b:c:d:e:f::", "ab:cdef0123456789::1",
            "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB82WEST12345698765432", "1Z999AA10123456784",
            "550e8400-e29b-41d4-a716-446655440000", "+4111111111111111", "4111111111111111.5", "ann.lee@example.com",
            "project falcon", "Project Falcon", "pro", "prx", "Falcon", "falcon:1", "123456789012345678901",
        ]
        let glue = [" ", "", "-", ".", ":", ",", "_", "a", "Z", "\n", "\"", "/", "é", "`", "[", "^", "|", "~", "@"]
        // The first keyword set has three pairs (block path, third bytes compared); adding
        // never-occurring keywords makes four pairs, which forces the byte-at-a-time path.
        let words = ["project falcon", "falcon", "annex"]
        let blockwise = SensitiveDataScanner(configuration: .init(
            keywords: try KeywordSet(words), allowUnseparatedSSN: allowUnseparatedSSN))
        let bytewise = SensitiveDataScanner(configuration: .init(
            keywords: try KeywordSet(words + ["zqzq", "zwzw"]), allowUnseparatedSSN: allowUnseparatedSSN))
        var rng = SplitMix64(seed: allowUnseparatedSSN ? 21 : 22)
        var found = 0
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1..<12, using: &rng) {
                text += fragments[Int.random(in: 0..<fragments.count, using: &rng)]
                text += glue[Int.random(in: 0..<glue.count, using: &rng)]
            }
            let expected = bytewise.spans(in: text)
            found += expected.count
            #expect(blockwise.spans(in: text) == expected, "\(text.debugDescription)")
        }
        #expect(found > 5_000)
    }
}
