import Codecs
import Testing

/// The block scanner's screen (one test per sixteen bytes for `@`, keyword pairs, digits
/// and `:`) and its copies per keyword pair count must find exactly what the
/// byte-at-a-time path finds, for every detector subset and pair count, at every block
/// alignment and buffer length.
@Suite struct BlockScreenTests {
    /// Keyword sets with 0, 1, 2 and 3 starting pairs (2 leaves a slot unused, which
    /// must never match, NUL bytes included).
    static let keywordSets: [[String]] = [
        [], ["project falcon"], ["project falcon", "hunter2"], ["project falcon", "hunter2", "ünï"],
        ["12-ab"], ["project falcon", "12-ab"],
    ]
    /// Four never-matching starting pairs force the byte-at-a-time path.
    static let forcers = ["\u{1}\u{2}q", "\u{1}\u{3}q", "\u{1}\u{4}q", "\u{1}\u{5}q"]
    static let kindSets: [SensitiveDataKind] = [.all, [.email], [.creditCard, .ssn], [.ipv6], [.keyword], [.email, .keyword]]

    /// Pieces glued at random: values of every kind, near misses, keyword text in both
    /// cases, NUL pairs and high bytes.
    static let pieces: [[UInt8]] = [
        "4111 1111 1111 1111", "5500000000000004", "536-22-8726", "DE89 3704 0044 0532 0130 00",
        "10.20.30.40", "2001:db8::7", "fe80::1", "ann.lee@example.com", "@", "a@b.co", "Project Falcon",
        "project falcon", "PROJECT FALCON", "pro", "hunter2", "HUNTER2", "12-ab", "12-AB", "ünï", "ÜNÏ",
        "2024-05-01T12:30:45.123Z", "12:30:45", "1299.95", "2.14.7", "ORD-2024-000123", " ", "  ", "\n", ",",
        "-", ".", ":", "::", "x", "text ", "_", "`", "\u{0}\u{0}", "\u{0}",
    ].map { Array($0.utf8) } + [[0xFF, 0xFE], [0xC3], [0x80, 0x30]]

    static func text(seed: UInt64, length: Int) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out: [UInt8] = []
        while out.count < length { out += pieces[Int(rng.next() % UInt64(pieces.count))] }
        return Array(out.prefix(length))
    }

    @Test(arguments: 0..<keywordSets.count)
    func screenMatchesByteAtATime(keywordSet: Int) throws {
        let words = Self.keywordSets[keywordSet]
        for kinds in Self.kindSets {
            let block = SensitiveDataScanner(configuration: .init(
                kinds: kinds, keywords: words.isEmpty ? nil : try KeywordSet(words)))
            let bytewise = SensitiveDataScanner(configuration: .init(
                kinds: kinds, keywords: try KeywordSet(words + Self.forcers)))
            for seed in UInt64(0)..<24 {
                let text = Self.text(seed: seed &+ UInt64(keywordSet) &* 1_000, length: 700)
                // Every start offset modulo the block size, and lengths around the block
                // loop's bounds.
                for (start, length) in [(0, 700), (1, 699), (7, 600), (15, 17), (3, 27), (5, 28), (9, 43), (2, 1), (0, 3)] {
                    let slice = Array(text[start..<(start + length)])
                    let expected = bytewise.spans(in: slice)
                    let got = block.spans(in: slice)
                    #expect(got == expected, "kinds \(kinds.rawValue), keywords \(words), seed \(seed), slice \(start)+\(length)")
                }
            }
        }
    }

    /// A keyword set with one starting pair still finds its keyword in every case and at
    /// every lane of a block (the benchmark's configuration: one keyword, every detector).
    @Test func onePairKeywordAtEveryLane() throws {
        let scanner = SensitiveDataScanner(configuration: .init(keywords: try KeywordSet(["project falcon"])))
        for lane in 0..<40 {
            for word in ["project falcon", "Project Falcon", "PROJECT FALCON"] {
                let text = String(repeating: "x", count: lane) + " " + word + " tail"
                let found = scanner.findings(in: text)
                #expect(found == [Found(kind: .keyword, text: word)], "lane \(lane): \(found)")
            }
        }
    }
}
