/// Runs a configured set of detectors over bytes in one pass, and reports or masks
/// what they find, without allocating.
///
/// The pass skips eight bytes at a time (``SWAR``) to the next byte that can start a
/// finding: a digit or `:` (cards, SSNs, IPv4, IPv6, and IBANs from their check digits),
/// `@` (e-mail, found by scanning back over the local part) or a keyword's first byte.
/// Only there do detectors run, and at a digit only those whose shape fits the run's
/// length and the byte after it; on text without such bytes the cost is a few
/// instructions per eight bytes. Findings never overlap and come in increasing order; at one position a
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
            maskStyle: MaskStyle = .full,
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
        self.triggers = TriggerSet(kinds: kinds, keywords: keywords)
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
        let wantCard = kinds.contains(.creditCard), wantSSN = kinds.contains(.ssn), wantIPv4 = kinds.contains(.ipv4)
        let wantIPv6 = kinds.contains(.ipv6), wantIBAN = kinds.contains(.iban), wantEmail = kinds.contains(.email)
        let allowUnseparatedSSN = configuration.allowUnseparatedSSN
        let requireIssuer = configuration.requirePlausibleCardIssuer
        let triggers = self.triggers
        let skipDigitRuns = !triggers.keywordStartsWithDigit
        let hasKeywords = keywords != nil
        let keywordFirstBytes = keywords?.firstBytes ?? ByteSet()
        var i = 0
        var lastEnd = 0
        var ipv6Horizon = 0

        // The refined trigger mask of the word at `wordStart`, kept across findings so a
        // word with several triggers is examined once.
        var wordStart = Int.min / 2
        var wordMask: UInt64 = 0

        while true {
            if triggers.bytewise {
                i = triggers.nextByte(base, n, from: i)
            } else {
                var m: UInt64 = 0
                if i &- wordStart < 8 {
                    m = wordMask & (~0 << UInt64(truncatingIfNeeded: (i &- wordStart) &* 8))
                }
                if m != 0 {
                    i = wordStart &+ (m.trailingZeroBitCount &>> 3)
                } else {
                    let word = triggers.nextWord(base, n, from: max(i, wordStart &+ 8))
                    if word.mask != 0 {
                        wordStart = word.start
                        wordMask = word.mask
                        i = word.start &+ (word.mask.trailingZeroBitCount &>> 3)
                    } else {
                        // Fewer than nine bytes left: byte at a time.
                        i = triggers.nextByte(base, n, from: word.start)
                    }
                }
            }
            if i >= n { return }
            let b = p[i]

            if hasKeywords && keywordFirstBytes.contains(b), let keywords, let end = keywords.match(p, at: i) {
                sink.report(SensitiveSpan(start: i, count: end &- i, kind: .keyword))
                lastEnd = end
                i = end
                continue
            }

            if ASCII.isDigit(b) {
                let previous: UInt8 = i > 0 ? p[i &- 1] : ASCII.space
                if ASCII.isDigit(previous) {
                    // Inside a digit run whose start was already tried.
                    i = skipDigitRuns ? NumberBoundary.digitRunEnd(p, from: i, limit: n) : i &+ 1
                    continue
                }
                // Dispatch on the run's length and the byte after it, so a detector only
                // runs where its shape can start.
                let runEnd = NumberBoundary.digitRunEnd(p, from: i, limit: 20)
                let runLength = runEnd &- i
                let next: UInt8 = runEnd < n ? p[runEnd] : 0
                if ASCII.isWord(previous) {
                    // Letters right before the digits: only an IBAN (two capitals, then
                    // the check digits) can start here, two bytes back.
                    if wantIBAN && i >= 2 && i &- 2 >= lastEnd && ASCII.isUpper(previous) && ASCII.isUpper(p[i &- 2]),
                       let end = IBANDetector.match(p, at: i &- 2) {
                        sink.report(SensitiveSpan(start: i &- 2, count: end &- (i &- 2), kind: .iban))
                        lastEnd = end
                        i = end
                        continue
                    }
                } else {
                    if wantIPv4 && runLength <= 3 && next == ASCII.dot, let end = IPv4Detector.match(p, at: i) {
                        sink.report(SensitiveSpan(start: i, count: end &- i, kind: .ipv4))
                        lastEnd = end
                        i = end
                        continue
                    }
                    if wantSSN && ((runLength == 3 && (next == ASCII.dash || next == ASCII.space)) || (runLength == 9 && allowUnseparatedSSN)),
                       let end = SSNDetector.match(p, at: i, allowUnseparated: allowUnseparatedSSN) {
                        sink.report(SensitiveSpan(start: i, count: end &- i, kind: .ssn))
                        lastEnd = end
                        i = end
                        continue
                    }
                    if wantCard && ((runLength >= 12 && runLength <= 19) || (runLength == 4 && (next == ASCII.space || next == ASCII.dash))),
                       let end = CreditCardDetector.match(p, at: i, requirePlausibleIssuer: requireIssuer) {
                        sink.report(SensitiveSpan(start: i, count: end &- i, kind: .creditCard))
                        lastEnd = end
                        i = end
                        continue
                    }
                }
                if !skipDigitRuns {
                    i &+= 1
                } else {
                    i = runLength < 20 ? runEnd : NumberBoundary.digitRunEnd(p, from: runEnd, limit: n)
                }
                continue
            }

            if b == ASCII.colon {
                if wantIPv6 && i >= ipv6Horizon && (i == 0 || p[i &- 1] != ASCII.colon) {
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
            } else if b == ASCII.at {
                if wantEmail, let range = EmailDetector.match(p, atSign: i, lowerBound: lastEnd) {
                    sink.report(SensitiveSpan(start: range.lowerBound, count: range.upperBound &- range.lowerBound, kind: .email))
                    lastEnd = range.upperBound
                    i = range.upperBound
                    continue
                }
            }
            i &+= 1
        }
    }
}

/// The bytes at which the scanner stops to run detectors, and how to find the next one.
///
/// Tested eight bytes at a time, each lane together with the byte before and after it:
/// - a digit, unless the byte before is a digit, a lower-case letter or `_` (nothing
///   starts there: runs are tried from their first digit, and an IBAN's check digits
///   follow two capitals);
/// - `:` with a hex digit or `:` after it and a hex digit before it, or `::` (IPv6);
/// - `@` (e-mail);
/// - the first two bytes of a keyword (case-folded when the keywords are), up to three
///   distinct pairs; more fall back to a byte-at-a-time table of first bytes.
/// Sixteen bytes are first screened at once (two words in a vector register) for digits,
/// `:`, `@` and keyword first bytes; only a hit looks at the words in detail.
/// The last bytes of the buffer, and the byte-at-a-time path, stop at a superset
/// (every digit, `:`, `@`, keyword first byte); the scanner re-checks every stop.
@usableFromInline
struct TriggerSet: Sendable {
    @usableFromInline let numeric: Bool
    @usableFromInline let email: Bool
    /// Keyword pairs: byte patterns broadcast to all lanes (0xFF: unused; never in UTF-8)
    /// and the case fold (0x20 per lane, or 0) applied before comparing.
    @usableFromInline let first0: UInt64, second0: UInt64, firstFold0: UInt64, secondFold0: UInt64
    @usableFromInline let first1: UInt64, second1: UInt64, firstFold1: UInt64, secondFold1: UInt64
    @usableFromInline let first2: UInt64, second2: UInt64, firstFold2: UInt64, secondFold2: UInt64
    /// Every byte that may start a finding, for the byte-at-a-time paths.
    @usableFromInline let all: ByteSet
    /// Too many keyword pairs for the word-at-a-time path.
    @usableFromInline let bytewise: Bool
    /// Keyword pair slots in use (0…3).
    @usableFromInline let pairCount: Int
    /// A keyword may start at any digit, so digits are never excluded.
    @usableFromInline let keywordStartsWithDigit: Bool

    init(kinds: SensitiveDataKind, keywords: KeywordSet?) {
        var all = ByteSet()
        numeric = !kinds.isDisjoint(with: [.creditCard, .ssn, .ipv4, .ipv6, .iban])
        if numeric { for b in UInt8(0x30)...0x3A { all.insert(b) } }
        email = kinds.contains(.email)
        if email { all.insert(ASCII.at) }
        var pairs: [(UInt8, UInt8)] = []
        var startsWithDigit = false
        if let keywords {
            all.formUnion(keywords.firstBytes)
            for pair in keywords.leadingPairs where !pairs.contains(where: { $0 == pair }) { pairs.append(pair) }
            startsWithDigit = keywords.firstBytes.members.contains(where: ASCII.isDigit)
        }
        self.all = all
        keywordStartsWithDigit = startsWithDigit
        let bytewise = pairs.count > 3
        self.bytewise = bytewise
        pairCount = bytewise ? 0 : pairs.count
        let insensitive = keywords?.caseInsensitive ?? false
        (first0, second0, firstFold0, secondFold0) = Self.slot(bytewise ? [] : pairs, 0, insensitive)
        (first1, second1, firstFold1, secondFold1) = Self.slot(bytewise ? [] : pairs, 1, insensitive)
        (first2, second2, firstFold2, secondFold2) = Self.slot(bytewise ? [] : pairs, 2, insensitive)
    }

    /// Patterns and folds of keyword pair `k` (unused: 0xFF patterns, never in UTF-8).
    private static func slot(_ pairs: [(UInt8, UInt8)], _ k: Int, _ insensitive: Bool) -> (UInt64, UInt64, UInt64, UInt64) {
        guard k < pairs.count else { return (SWAR.ones &* 0xFF, SWAR.ones &* 0xFF, 0, 0) }
        let (a, b) = pairs[k]
        let foldA: UInt64 = insensitive && ASCII.isAlpha(a) ? SWAR.ones &* 0x20 : 0
        let foldB: UInt64 = insensitive && ASCII.isAlpha(b) ? SWAR.ones &* 0x20 : 0
        return (SWAR.ones &* UInt64(a), SWAR.ones &* UInt64(b), foldA, foldB)
    }

    /// Whether any of sixteen bytes (two words in one vector register) may be a trigger:
    /// a digit, `:`, `@` or a keyword's first byte. A cheap superset of ``refine``.
    @inlinable @inline(__always)
    func quick16(_ x: SIMD2<UInt64>) -> Bool {
        var m = SIMD2<UInt64>(repeating: 0)
        if numeric { m = SWAR.between(x, 0x2F, 0x3B) }
        if email { m |= SWAR.equalExact(x, SIMD2(repeating: SWAR.ones &* 0x40)) }
        if pairCount > 0 {
            m |= SWAR.equalExact(x | SIMD2(repeating: firstFold0), SIMD2(repeating: first0))
            if pairCount > 1 {
                m |= SWAR.equalExact(x | SIMD2(repeating: firstFold1), SIMD2(repeating: first1))
                if pairCount > 2 { m |= SWAR.equalExact(x | SIMD2(repeating: firstFold2), SIMD2(repeating: first2)) }
            }
        }
        return (m[0] | m[1]) != 0
    }

    /// The lanes of `x` that hold a trigger byte, given the words one byte before
    /// (`before`) and one byte after (`after`). Exact in every lane.
    @inlinable @inline(__always)
    func refine(_ x: UInt64, before: UInt64, after: UInt64) -> UInt64 {
        var m: UInt64 = 0
        if numeric {
            let beforeDigit = SWAR.between(before, 0x2F, 0x3A)
            var digits = SWAR.between(x, 0x2F, 0x3A)
            if !keywordStartsWithDigit {
                digits &= ~(beforeDigit | SWAR.between(before, 0x5E, 0x7B))
            }
            let colon = SWAR.equalExact(x, SWAR.ones &* 0x3A)
            if colon != 0 {
                let afterColon = SWAR.equalExact(after, SWAR.ones &* 0x3A)
                let afterHex = SWAR.between(after, 0x2F, 0x3A) | SWAR.between(after | SWAR.ones &* 0x20, 0x60, 0x67)
                let beforeHex = beforeDigit | SWAR.between(before | SWAR.ones &* 0x20, 0x60, 0x67)
                m = colon & (afterHex | afterColon) & (beforeHex | afterColon)
            }
            m |= digits
        }
        if email { m |= SWAR.equalExact(x, SWAR.ones &* 0x40) }
        if pairCount > 0 {
            m |= SWAR.equalExact(x | firstFold0, first0) & SWAR.equalExact(after | secondFold0, second0)
            if pairCount > 1 {
                m |= SWAR.equalExact(x | firstFold1, first1) & SWAR.equalExact(after | secondFold1, second1)
                if pairCount > 2 {
                    m |= SWAR.equalExact(x | firstFold2, first2) & SWAR.equalExact(after | secondFold2, second2)
                }
            }
        }
        return m
    }

    /// The first word (eight bytes at `start`, `start >= from`) holding a trigger byte, and
    /// its exact lane mask; or, when fewer than nine bytes are left, `mask == 0` and
    /// `start` where ``nextByte(_:_:from:)`` must continue.
    @inlinable @inline(__always)
    func nextWord(_ base: UnsafeRawPointer, _ n: Int, from: Int) -> (start: Int, mask: UInt64) {
        var i = from
        while true {
            // Sixteen bytes per step while nothing can trigger (most of ordinary text).
            while i &+ 17 <= n {
                let pair = SIMD2<UInt64>(
                    UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)),
                    UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)))
                if quick16(pair) { break }
                i &+= 16
            }
            if i &+ 9 > n { break }
            let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let before = i > 0
                ? UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &- 1, as: UInt64.self))
                : x << 8 | 0x20
            let after = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 1, as: UInt64.self))
            let m = refine(x, before: before, after: after)
            if m != 0 { return (i, m) }
            i &+= 8
        }
        return (i, 0)
    }

    /// Index of the first byte at or after `from` in ``all``, or `n` (byte at a time).
    @inlinable @inline(__always)
    func nextByte(_ base: UnsafeRawPointer, _ n: Int, from: Int) -> Int {
        var i = from
        while i < n && !all.contains(base.load(fromByteOffset: i, as: UInt8.self)) { i &+= 1 }
        return i
    }
}
