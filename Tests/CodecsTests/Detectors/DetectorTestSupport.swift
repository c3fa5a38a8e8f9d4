import Codecs

/// A small deterministic generator (SplitMix64) so generated test data is reproducible.
struct SplitMix64: RandomNumberGenerator {
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

/// A finding resolved to its text, for readable expectations.
struct Found: Hashable, CustomStringConvertible {
    var kind: SensitiveDataKind
    var text: String
    var description: String { "\(SensitiveDataKind.allNamed.first { $0.kind == kind }?.name ?? "?"):\(text)" }
}

extension SensitiveDataScanner {
    /// A scanner for one kind (plus options), for focused tests.
    static func only(
        _ kinds: SensitiveDataKind, keywords: KeywordSet? = nil, maskStyle: MaskStyle = .full,
        requirePlausibleCardIssuer: Bool = true, allowUnseparatedSSN: Bool = false
    ) -> SensitiveDataScanner {
        SensitiveDataScanner(configuration: .init(
            kinds: kinds, keywords: keywords, maskStyle: maskStyle,
            requirePlausibleCardIssuer: requirePlausibleCardIssuer, allowUnseparatedSSN: allowUnseparatedSSN))
    }

    /// Every span found in `text` (test helper: allocates its result).
    func spans(in text: String) -> [SensitiveSpan] { spans(in: Array(text.utf8)) }

    /// Every span found in `bytes`, which need not be UTF-8 (test helper: allocates its result).
    func spans(in bytes: [UInt8]) -> [SensitiveSpan] {
        var bytes = bytes
        let capacity = bytes.count / 2 + 1
        let storage = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: capacity)
        defer { storage.deallocate() }
        let found = bytes.withUnsafeMutableBytes { scan(UnsafeRawBufferPointer($0), into: storage) }
        precondition(found <= capacity)
        return Array(storage[0..<found])
    }

    /// Every finding in `text` with its text.
    func findings(in text: String) -> [Found] {
        let bytes = Array(text.utf8)
        return spans(in: text).map { Found(kind: $0.kind, text: String(decoding: bytes[$0.start..<$0.end], as: UTF8.self)) }
    }

    /// `text` after masking in place.
    func masked(_ text: String) -> String {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { maskInPlace($0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Generates Luhn-valid card numbers of the major schemes.
enum CardGenerator {
    /// Scheme prefixes and their valid lengths.
    static let schemes: [(name: String, prefixes: [String], lengths: [Int])] = [
        ("visa", ["4"], [13, 16, 19]),
        ("mastercard", ["51", "52", "53", "54", "55", "2221", "2500", "2720"], [16]),
        ("amex", ["34", "37"], [15]),
        ("discover", ["6011", "644", "65"], [16, 17, 18, 19]),
        ("diners", ["300", "305", "36", "38", "39"], [14, 15, 16, 17, 18, 19]),
        ("jcb", ["3528", "3589"], [16, 17, 18, 19]),
        ("maestro", ["50", "56", "58", "6759"], [12, 13, 14, 15, 16, 17, 18, 19]),
        ("unionpay", ["62"], [16, 17, 18, 19]),
        ("mir", ["2200", "2204"], [16, 17, 18, 19]),
        ("uatp", ["1"], [15]),
    ]

    /// The Luhn check digit for `body` (all digits but the last).
    static func checkDigit(_ body: [UInt8]) -> UInt8 {
        var sum = 0
        for (index, digit) in body.reversed().enumerated() {
            var v = Int(digit)
            if index % 2 == 0 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return UInt8((10 - sum % 10) % 10)
    }

    /// A Luhn-valid number with `prefix` and `length` digits.
    static func valid<R: RandomNumberGenerator>(prefix: String, length: Int, using rng: inout R) -> String {
        var digits = prefix.utf8.map { $0 - 0x30 }
        while digits.count < length - 1 { digits.append(UInt8.random(in: 0...9, using: &rng)) }
        digits.append(checkDigit(digits))
        return String(decoding: digits.map { $0 + 0x30 }, as: UTF8.self)
    }

    /// The same number with a wrong check digit.
    static func corrupted(_ number: String) -> String {
        var bytes = Array(number.utf8)
        let last = bytes[bytes.count - 1] - 0x30
        bytes[bytes.count - 1] = (last + 1) % 10 + 0x30
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `number` split into groups of the given sizes joined by `separator`.
    static func grouped(_ number: String, _ sizes: [Int], separator: Character) -> String {
        var result = ""
        var index = number.startIndex
        for (n, size) in sizes.enumerated() {
            if n > 0 { result.append(separator) }
            let end = number.index(index, offsetBy: size)
            result += number[index..<end]
            index = end
        }
        precondition(index == number.endIndex)
        return result
    }

    /// Groups of four with the remainder last: the layout cards are printed in.
    static func fourGroups(_ length: Int) -> [Int] {
        var sizes = Array(repeating: 4, count: length / 4)
        if length % 4 != 0 { sizes.append(length % 4) }
        return sizes
    }
}

/// Generates IBANs with correct check digits.
enum IBANGenerator {
    /// Lengths of a few countries used in tests (must agree with the registry).
    static let countries: [(code: String, length: Int, bankLetters: Int)] = [
        ("DE", 22, 0), ("GB", 22, 4), ("FR", 27, 0), ("NL", 18, 4), ("ES", 24, 0), ("IT", 27, 1),
        ("CH", 21, 0), ("AT", 20, 0), ("BE", 16, 0), ("PL", 28, 0), ("SE", 24, 0), ("NO", 15, 0),
        ("IE", 22, 4), ("PT", 25, 0), ("MT", 31, 4), ("LC", 32, 4),
    ]

    static func remainder(_ text: some Sequence<UInt8>) -> Int {
        var r = 0
        for b in text {
            if b >= 0x30 && b <= 0x39 { r = (r * 10 + Int(b - 0x30)) % 97 } else { r = (r * 100 + Int(b - 0x41 + 10)) % 97 }
        }
        return r
    }

    /// A valid electronic-format IBAN.
    static func valid<R: RandomNumberGenerator>(country: String, length: Int, bankLetters: Int, using rng: inout R) -> String {
        var bban: [UInt8] = []
        for _ in 0..<bankLetters { bban.append(UInt8.random(in: 0x41...0x5A, using: &rng)) }
        while bban.count < length - 4 { bban.append(UInt8.random(in: 0x30...0x39, using: &rng)) }
        let check = 98 - remainder(bban + Array(country.utf8) + [0x30, 0x30])
        let checkText = check < 10 ? "0\(check)" : "\(check)"
        return country + checkText + String(decoding: bban, as: UTF8.self)
    }

    /// The printed form: a space after every four characters.
    static func printed(_ iban: String) -> String {
        var out = ""
        for (i, c) in iban.enumerated() {
            if i > 0 && i % 4 == 0 { out.append(" ") }
            out.append(c)
        }
        return out
    }
}
