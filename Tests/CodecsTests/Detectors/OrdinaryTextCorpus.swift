/// Generates ordinary text and numbers that contain no sensitive value: the corpus the
/// detectors must report nothing on. Deterministic for a seed; nothing is committed but
/// this generator.
///
/// What it writes, line by line: prose; ISO-8601, RFC 2822, US/EU dates, times and
/// Unix timestamps in seconds, milliseconds and microseconds; UUIDs; phone numbers in
/// E.164, US and European layouts; order, invoice and ticket ids; version strings
/// (semver, `v`-prefixed, Windows builds); decimals, prices, percentages and thousands
/// separators; hex literals, colours, git and SHA-256 hashes; long digit runs that fail
/// the Luhn check (12–19 digits) and runs of 20+ digits; ZIP codes, ratios, clock times,
/// MAC addresses, `@mentions`, `user@localhost`, code with `::`; upper-case acronyms
/// and product codes; JSON and CSV records built from the above.
struct OrdinaryTextCorpus {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    static let words = """
        the of and to in is that for it as was with be by on not he this are or his from at which but have an they \
        you were her she there been one all we their has would when if so no will more what up out can said about \
        other into than them could only time new some these two may first then do any like my now over such our man \
        me even most made after also did many before must through back years where much your way well down should \
        because each just those people how too little state good very make world still own see men work long get here \
        between both life being under never day same another know while last might us great old year off come since \
        against go came right used take three database query server backup report meeting invoice customer order \
        shipment release deploy config cluster latency throughput replica primary schema index migration
        """.split(separator: " ").map(String.init)

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    mutating func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(int(0...9))) }) }
    mutating func hex(_ n: Int) -> String { String((0..<n).map { _ in Array("0123456789abcdef")[int(0...15)] }) }
    func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }

    mutating func sentence() -> String {
        var words = (0..<int(6...18)).map { _ in pick(Self.words) }
        words[0] = words[0].prefix(1).uppercased() + words[0].dropFirst()
        return words.joined(separator: " ") + pick([".", ".", "?", "!", ";"])
    }

    /// A digit run of `length` that fails the Luhn check.
    mutating func luhnInvalidRun(_ length: Int) -> String {
        var d = digits(length - 1).utf8.map { $0 - 0x30 }
        let check = CardGenerator.checkDigit(d)
        d.append((check + UInt8(int(1...9))) % 10)
        return String(decoding: d.map { $0 + 0x30 }, as: UTF8.self)
    }

    mutating func date() -> String {
        let y = int(1990...2030), m = int(1...12), d = int(1...28)
        return pick([
            "\(y)-\(pad(m, 2))-\(pad(d, 2))", "\(pad(d, 2))/\(pad(m, 2))/\(y)", "\(m)/\(d)/\(y)", "\(pad(d, 2)).\(pad(m, 2)).\(y)",
            "\(y)-\(pad(m, 2))-\(pad(d, 2))T\(pad(int(0...23), 2)):\(pad(int(0...59), 2)):\(pad(int(0...59), 2))Z",
            "\(y)-\(pad(m, 2))-\(pad(d, 2)) \(pad(int(0...23), 2)):\(pad(int(0...59), 2)):\(pad(int(0...59), 2)).\(digits(6))+00",
            "Mon, \(d) Jan \(y) \(pad(int(0...23), 2)):\(pad(int(0...59), 2)):00 +0100", "Jan \(d), \(y)",
        ])
    }

    mutating func token() -> String {
        switch int(0...27) {
        case 0: return date()
        case 1: return "\(int(946_684_800...1_900_000_000))"
        case 2: return "\(int(946_684_800_000...1_900_000_000_000))"
        case 3: return "\(int(946_684_800_000_000...1_900_000_000_000_000))"
        case 4: return "\(hex(8))-\(hex(4))-4\(hex(3))-\(pick(["8", "9", "a", "b"]))\(hex(3))-\(hex(12))"
        case 5: return pick(["+1 (\(int(200...999))) \(int(200...999))-\(digits(4))", "+49 \(int(150...179)) \(digits(7))",
                             "\(int(200...999))-\(int(200...999))-\(digits(4))", "+44 20 \(digits(4)) \(digits(4))",
                             "+\(int(1...99))\(digits(10))", "(0\(int(10...99))) \(digits(3)) \(digits(2)) \(digits(2))",
                             "+33 6 \(digits(2)) \(digits(2)) \(digits(2)) \(digits(2))"])
        case 6: return pick(["ORD-\(int(2000...2030))-\(digits(6))", "INV\(digits(8))", "#\(digits(5))", "ticket \(int(1...99999))",
                             "order no. \(digits(int(5...9)))", "PO-\(digits(4))-\(digits(4))", "SKU-\(hex(6).uppercased())"])
        case 7: return pick(["\(int(0...20)).\(int(0...40)).\(int(0...200))", "v\(int(0...9)).\(int(0...20)).\(int(0...9))",
                             "\(int(1...3)).\(int(0...9)).\(int(0...9))-beta.\(int(1...9))", "10.0.\(int(10000...22631)).\(int(1000...5000))",
                             "Swift \(int(5...6)).\(int(0...3))", "\(int(0...9)).\(int(0...99))", "HTTP/1.1"])
        case 8: return pick(["\(int(0...9999)).\(digits(int(1...6)))", "$\(int(0...999)),\(digits(3)).\(digits(2))",
                             "\(int(0...100))%", "-\(int(0...999)).\(digits(2))", "\(int(1...999)),\(digits(3)),\(digits(3))",
                             "€\(int(1...9999)),\(digits(2))", "1e-\(int(1...20))", "3.14159265358979323846"])
        case 9: return pick(["0x\(hex(int(2...16)))", "#\(hex(6))", hex(40), hex(64), "sha256:\(hex(64))", hex(7)])
        case 10: return luhnInvalidRun(int(12...19))
        case 11: return digits(int(20...40))
        case 12: return pick(["\(digits(5))", "\(digits(5))-\(digits(4))", "\(int(1...16)):\(int(1...16))", "\(int(0...23)):\(pad(int(0...59), 2))",
                              "\(pad(int(0...23), 2)):\(pad(int(0...59), 2)):\(pad(int(0...59), 2))"])
        case 13: return (0..<6).map { _ in hex(2).uppercased() }.joined(separator: ":")
        case 14: return pick(["@\(pick(Self.words))", "root@localhost", "user@host", "a @ b", "foo::bar()", "std::vector<int>",
                              "Note: see above", "C:\\Users\\\(pick(Self.words))", "http://\(pick(Self.words)).local/path?q=1"])
        case 15: return pick(["NASA", "HTTP", "JSON", "SQL", "ISO 8601", "UTF-8", "AB12", "DE", "GB", "FR 75001 Paris",
                              "NL-\(digits(4))", "Model X\(int(1...99))", "A4", "CO2", "ID\(digits(6))", "ES\(digits(2))"])
        case 16: return "{\"id\":\(int(1...99999)),\"created\":\"\(date())\",\"amount\":\(int(0...9999)).\(digits(2))}"
        case 17: return "\(int(1...99999)),\(pick(Self.words)),\(date()),\(int(0...999)).\(digits(2)),\(int(0...1))"
        case 18: return "\(digits(3)) \(digits(3)) \(digits(3))"
        case 19: return "\(digits(4)) \(digits(4))"
        case 20: return "\(digits(int(1...11)))"
        case 21: return "\(int(1...9)) \(pick(Self.words)) at \(int(1...12)):\(pad(int(0...59), 2)) \(pick(["AM", "PM"]))"
        case 22: return "\(int(0...255)).\(int(0...255)).\(int(0...255))"
        case 23: return "chapter \(int(1...30)).\(int(1...30)).\(int(1...30))."
        case 24: return "\(digits(9))"
        case 25: return "\(int(100...999))-\(int(100...999))-\(digits(4))"
        case 26: return "\(luhnInvalidRun(16).enumerated().map { $0.offset > 0 && $0.offset % 4 == 0 ? " \($0.element)" : "\($0.element)" }.joined())"
        default: return pick(Self.words)
        }
    }

    /// One line of ordinary text.
    mutating func line() -> String {
        var parts: [String] = []
        for _ in 0..<int(1...3) {
            parts.append(sentence())
            // Numbers in real text sit between words: two random digit tokens glued by one
            // space could form a card layout by chance, which would not be ordinary text.
            for _ in 0..<int(0...3) { parts.append(pick(Self.words) + " " + token() + pick([" ", ", ", "; "]) + pick(Self.words)) }
        }
        return parts.joined(separator: " ")
    }

    /// `count` lines joined by newlines.
    mutating func text(lines count: Int) -> String {
        (0..<count).map { _ in line() }.joined(separator: "\n")
    }
}
