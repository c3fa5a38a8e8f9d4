/// Runs a configured set of detectors over bytes in one pass, and reports or masks
/// what they find, without allocating.
///
/// The pass skips eight bytes at a time (``SWAR``) to the next byte that can start a
/// finding: a digit or `:` (cards, SSNs, IPv4, IPv6), `@` (e-mail, found by scanning back
/// over the local part), an upper-case letter (IBAN) or a keyword's first byte. Only
/// there do detectors run; on text without such bytes the cost is a few instructions per
/// eight bytes. Findings never overlap and come in increasing order; at one position a
/// keyword wins over built-in detectors, and IPv4 over SSN over card.
public struct SensitiveDataScanner: Sendable {
    /// What to look for and how to mask it.
    public struct Configuration: Sendable, Hashable {
        /// Detectors to run. ``SensitiveDataKind/keyword`` needs non-empty ``keywords``.
        public var kinds: SensitiveDataKind
        /// User-defined literal keywords.
        public var keywords: KeywordSet?
        /// How ``SensitiveDataScanner/maskInPlace(_:)`` overwrites findings.
        public var maskStyle: MaskStyle
        /// Require card numbers to have a known issuer prefix and length (see ``CardIssuer``).
        public var requirePlausibleCardIssuer: Bool
        /// Also match SSNs written as nine bare digits (see ``SSNDetector``).
        public var allowUnseparatedSSN: Bool

        public init(
            kinds: SensitiveDataKind = .all,
            keywords: KeywordSet? = nil,
            maskStyle: MaskStyle = .fixed,
            requirePlausibleCardIssuer: Bool = true,
            allowUnseparatedSSN: Bool = false
        ) {
            self.kinds = kinds
            self.keywords = keywords
            self.maskStyle = maskStyle
            self.requirePlausibleCardIssuer = requirePlausibleCardIssuer
            self.allowUnseparatedSSN = allowUnseparatedSSN
        }
    }

    public let configuration: Configuration

    @usableFromInline let kinds: SensitiveDataKind
    @usableFromInline let keywords: KeywordSet?
    @usableFromInline let triggers: TriggerSet

    public init(configuration: Configuration) {
        self.configuration = configuration
        var kinds = configuration.kinds
        var keywords = configuration.keywords
        if keywords?.isEmpty ?? true {
            kinds.remove(.keyword)
            keywords = nil
        }
        if !kinds.contains(.keyword) { keywords = nil }
        self.kinds = kinds
        self.keywords = keywords
        self.triggers = TriggerSet(kinds: kinds, keywordFirstBytes: keywords?.firstBytes)
    }

    /// Finds sensitive values in `bytes`.
    ///
    /// - Parameter spans: caller-provided storage; the first `spans.count` findings go there.
    /// - Returns: the number of findings, which exceeds `spans.count` when some did not fit.
    @inlinable
    public func scan(_ bytes: UnsafeRawBufferPointer, into spans: UnsafeMutableBufferPointer<SensitiveSpan>) -> Int {
        var sink = CollectingSink(spans)
        run(bytes, &sink)
        return sink.found
    }

    /// Finds sensitive values in `bytes`; see ``scan(_:into:)-(UnsafeRawBufferPointer,_)``.
    @inlinable
    public func scan(_ bytes: RawSpan, into spans: UnsafeMutableBufferPointer<SensitiveSpan>) -> Int {
        bytes.withUnsafeBytes { scan($0, into: spans) }
    }

    /// Masks every sensitive value in `cell` in place with the configured ``MaskStyle``.
    /// The cell keeps its length.
    @inlinable
    public func maskInPlace(_ cell: UnsafeMutableRawBufferPointer) {
        _ = maskInPlaceCountingFindings(cell)
    }

    /// Masks like ``maskInPlace(_:)`` and returns how many values were masked.
    @inlinable
    public func maskInPlaceCountingFindings(_ cell: UnsafeMutableRawBufferPointer) -> Int {
        var sink = MaskingSink(cell, style: configuration.maskStyle)
        run(UnsafeRawBufferPointer(cell), &sink)
        sink.finish()
        return sink.found
    }

    /// The single pass.
    @inlinable
    func run<Sink: SensitiveSpanSink>(_ p: UnsafeRawBufferPointer, _ sink: inout Sink) {
        let n = p.count
        guard n > 0, let base = p.baseAddress else { return }
        let kinds = self.kinds
        let triggers = self.triggers
        let digitDetectors = triggers.digitDetectors
        let skipDigitRuns = !triggers.keywordStartsWithDigit
        var i = 0
        var lastEnd = 0
        var ipv6Horizon = 0

        while true {
            i = triggers.next(base, n, from: i)
            if i >= n { return }
            let b = p[i]

            if let keywords, keywords.firstBytes.contains(b), let end = keywords.match(p, at: i) {
                sink.report(SensitiveSpan(start: i, count: end &- i, kind: .keyword))
                lastEnd = end
                i = end
                continue
            }
            if ASCII.isDigit(b) {
                if i > 0 && ASCII.isDigit(p[i &- 1]) {
                    // Inside a digit run whose start was already tried.
                    i = skipDigitRuns ? NumberBoundary.digitRunEnd(p, from: i, limit: n) : i &+ 1
                    continue
                }
                if digitDetectors {
                    if kinds.contains(.ipv4), let end = IPv4Detector.match(p, at: i) {
                        sink.report(SensitiveSpan(start: i, count: end &- i, kind: .ipv4))
                        lastEnd = end
                        i = end
                        continue
                    }
                    if kinds.contains(.ssn), let end = SSNDetector.match(p, at: i, allowUnseparated: configuration.allowUnseparatedSSN) {
                        sink.report(SensitiveSpan(start: i, count: end &- i, kind: .ssn))
                        lastEnd = end
                        i = end
                        continue
                    }
                    if kinds.contains(.creditCard),
                       let end = CreditCardDetector.match(p, at: i, requirePlausibleIssuer: configuration.requirePlausibleCardIssuer) {
                        sink.report(SensitiveSpan(start: i, count: end &- i, kind: .creditCard))
                        lastEnd = end
                        i = end
                        continue
                    }
                }
                i = skipDigitRuns ? NumberBoundary.digitRunEnd(p, from: i, limit: n) : i &+ 1
                continue
            }
            switch b {
            case ASCII.colon:
                if kinds.contains(.ipv6) && i >= ipv6Horizon && (i == 0 || p[i &- 1] != ASCII.colon) {
                    if let range = IPv6Detector.match(p, firstColon: i, lowerBound: lastEnd) {
                        sink.report(SensitiveSpan(start: range.lowerBound, count: range.upperBound &- range.lowerBound, kind: .ipv6))
                        lastEnd = range.upperBound
                        i = range.upperBound
                        continue
                    }
                    // Later colons of this run belong to the candidate that just failed.
                    var j = i &+ 1
                    while j < n && (ASCII.isHex(p[j]) || p[j] == ASCII.colon || p[j] == ASCII.dot) { j &+= 1 }
                    ipv6Horizon = j
                }
            case ASCII.at:
                if kinds.contains(.email), let range = EmailDetector.match(p, atSign: i, lowerBound: lastEnd) {
                    sink.report(SensitiveSpan(start: range.lowerBound, count: range.upperBound &- range.lowerBound, kind: .email))
                    lastEnd = range.upperBound
                    i = range.upperBound
                    continue
                }
            default:
                if kinds.contains(.iban) && ASCII.isUpper(b), let end = IBANDetector.match(p, at: i) {
                    sink.report(SensitiveSpan(start: i, count: end &- i, kind: .iban))
                    lastEnd = end
                    i = end
                    continue
                }
            }
            i &+= 1
        }
    }
}

/// The bytes at which the scanner stops to run detectors, and how to find the next one.
@usableFromInline
struct TriggerSet: Sendable {
    /// Stop at `0`–`9` and `:`.
    @usableFromInline let digitsAndColon: Bool
    /// Stop at `@` and `A`–`Z` (IBAN); otherwise `atSign` may still stop at `@` alone.
    @usableFromInline let atAndUpper: Bool
    @usableFromInline let atSign: Bool
    /// Up to three more bytes (keyword starts), each broadcast to all lanes; 0 = unused.
    @usableFromInline let extra0: UInt64, extra1: UInt64, extra2: UInt64
    /// Every trigger byte, for the byte-at-a-time path.
    @usableFromInline let all: ByteSet
    /// Too many distinct keyword first bytes for the word-at-a-time path.
    @usableFromInline let bytewise: Bool
    @usableFromInline let keywordStartsWithDigit: Bool
    /// Whether any detector that starts at a digit (card, SSN, IPv4) runs.
    @usableFromInline let digitDetectors: Bool

    init(kinds: SensitiveDataKind, keywordFirstBytes: ByteSet?) {
        digitDetectors = !kinds.isDisjoint(with: [.creditCard, .ssn, .ipv4])
        digitsAndColon = !kinds.isDisjoint(with: [.creditCard, .ssn, .ipv4, .ipv6])
        atAndUpper = kinds.contains(.iban)
        atSign = kinds.contains(.email)
        var all = ByteSet()
        if digitsAndColon { for b in UInt8(0x30)...0x3A { all.insert(b) } }
        if atAndUpper { for b in UInt8(0x40)...0x5A { all.insert(b) } }
        if atSign { all.insert(ASCII.at) }
        var extras: [UInt8] = []
        var startsWithDigit = false
        if let keywordFirstBytes {
            for b in keywordFirstBytes.members {
                if ASCII.isDigit(b) { startsWithDigit = true }
                if !all.contains(b) { extras.append(b) }
            }
            all.formUnion(keywordFirstBytes)
        }
        self.all = all
        keywordStartsWithDigit = startsWithDigit
        bytewise = extras.count > 3 || extras.contains { $0 >= 0x80 || $0 == 0 }
        let patterns = bytewise ? [] : extras.map { SWAR.ones &* UInt64($0) }
        extra0 = patterns.count > 0 ? patterns[0] : 0
        extra1 = patterns.count > 1 ? patterns[1] : 0
        extra2 = patterns.count > 2 ? patterns[2] : 0
    }

    /// Lanes of `x` holding a trigger byte (lowest set lane exact).
    @inlinable @inline(__always)
    func mask(_ x: UInt64) -> UInt64 {
        var m: UInt64 = 0
        if digitsAndColon { m |= SWAR.between(x, 0x2F, 0x3B) }
        if atAndUpper {
            m |= SWAR.between(x, 0x3F, 0x5B)
        } else if atSign {
            m |= SWAR.equal(x, SWAR.ones &* 0x40)
        }
        if extra0 != 0 { m |= SWAR.equal(x, extra0) }
        if extra1 != 0 { m |= SWAR.equal(x, extra1) }
        if extra2 != 0 { m |= SWAR.equal(x, extra2) }
        return m
    }

    /// Index of the first trigger byte at or after `from`, or `n`.
    @inlinable @inline(__always)
    func next(_ base: UnsafeRawPointer, _ n: Int, from: Int) -> Int {
        var i = from
        if bytewise {
            while i < n && !all.contains(base.load(fromByteOffset: i, as: UInt8.self)) { i &+= 1 }
            return i
        }
        while i &+ 8 <= n {
            let m = mask(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            if m != 0 { return i &+ (m.trailingZeroBitCount &>> 3) }
            i &+= 8
        }
        if i >= n { return n }
        if n >= 8 {
            // Re-read the last eight bytes and ignore the lanes already looked at.
            let skip = i &- (n &- 8)
            var m = mask(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)))
            m &= ~0 << UInt64(truncatingIfNeeded: skip &* 8)
            return m != 0 ? n &- 8 &+ (m.trailingZeroBitCount &>> 3) : n
        }
        while i < n && mask(UInt64(base.load(fromByteOffset: i, as: UInt8.self))) & 0x80 == 0 { i &+= 1 }
        return i
    }
}
