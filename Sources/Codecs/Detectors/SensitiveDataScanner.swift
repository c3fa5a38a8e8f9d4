/// Runs a configured set of detectors over bytes in one pass, and reports or masks
/// what they find, without allocating.
///
/// The pass tests sixteen bytes at a time (``Bytes16``, one SSE2 register) for the
/// positions where a detector can start: a digit run whose shape fits a numeric detector
/// (cards, SSNs, IPv4, IBANs from their check digits), a `:` that can open an IPv6
/// address, `@` (e-mail, found by scanning back over the local part), or a keyword's
/// first bytes. Only there do detectors run; dates, times, counters and decimals cost
/// no stop, and text without such bytes costs a few instructions per sixteen bytes.
/// Findings never overlap and come in increasing order; at one position a keyword wins
/// over built-in detectors, and IPv4 over SSN over card.
public struct SensitiveDataScanner: Sendable {
    /// What to look for and how to mask it.
    public struct Configuration: Sendable, Hashable {
        /// Detectors to run. ``SensitiveDataKind/keyword`` needs non-empty ``keywords``.
        public var kinds: SensitiveDataKind
        /// User-defined literal keywords.
        public var keywords: KeywordSet?
        /// How ``SensitiveDataScanner/maskInPlace(_:)`` overwrites findings.
        public var maskStyle: MaskStyle
        /// Styles for particular kinds, overriding ``maskStyle`` (`nil`: every kind uses it).
        public var kindStyles: SensitiveDataStyles?
        /// Require card numbers to have a known issuer prefix and length (see ``CardIssuer``).
        public var requirePlausibleCardIssuer: Bool
        /// Also match SSNs written as nine bare digits (see ``SSNDetector``).
        public var allowUnseparatedSSN: Bool

        public init(
            kinds: SensitiveDataKind = .all,
            keywords: KeywordSet? = nil,
            maskStyle: MaskStyle = .full,
            kindStyles: SensitiveDataStyles? = nil,
            requirePlausibleCardIssuer: Bool = true,
            allowUnseparatedSSN: Bool = false
        ) {
            self.kinds = kinds
            self.keywords = keywords
            self.maskStyle = maskStyle
            self.kindStyles = kindStyles
            self.requirePlausibleCardIssuer = requirePlausibleCardIssuer
            self.allowUnseparatedSSN = allowUnseparatedSSN
        }
    }

    public let configuration: Configuration

    @usableFromInline let kinds: SensitiveDataKind
    @usableFromInline let keywords: KeywordSet?
    @usableFromInline let triggers: TriggerSet
    @usableFromInline let styles: SensitiveDataStyles
    /// The cursor every pass starts from: plain values, so starting a pass copies no
    /// reference (no retain or release per cell).
    @usableFromInline let start: ScanCursor

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
        self.styles = configuration.kindStyles ?? SensitiveDataStyles(configuration.maskStyle)
        self.triggers = TriggerSet(kinds: kinds, keywords: keywords, allowUnseparatedSSN: configuration.allowUnseparatedSSN)
        self.start = ScanCursor(
            kinds: kinds, keywords: keywords, allowUnseparatedSSN: configuration.allowUnseparatedSSN,
            requireIssuer: configuration.requirePlausibleCardIssuer, skipDigitRuns: !triggers.keywordStartsWithDigit)
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

    /// Masks every sensitive value in `cell` in place with its kind's configured ``MaskStyle``.
    /// The cell keeps its length.
    @inlinable
    public func maskInPlace(_ cell: UnsafeMutableRawBufferPointer) {
        _ = maskInPlaceCountingFindings(cell)
    }

    /// Masks like ``maskInPlace(_:)`` and returns how many values were masked.
    @inlinable
    public func maskInPlaceCountingFindings(_ cell: UnsafeMutableRawBufferPointer) -> Int {
        var sink = MaskingSink(cell, styles: styles)
        run(UnsafeRawBufferPointer(cell), &sink)
        sink.finish()
        return sink.found
    }

    /// The single pass.
    ///
    /// Sixteen bytes at a time (``blockLoop(_:_:from:lastBlock:_:_:_:)``: a cheap
    /// ``TriggerSet/screen(_:_:pairs:)``, then ``TriggerSet/blockMask(_:_:_:)``), the exact
    /// lanes where a detector may start are found; the stops in them are handled in order, and lanes a
    /// finding or a skipped digit run covered are dropped. The first byte, the last 16,
    /// and sets with too many keyword pairs go byte at a time over a superset of stops.
    @inlinable
    func run<Sink: SensitiveSpanSink>(_ p: UnsafeRawBufferPointer, _ sink: inout Sink) {
        let n = p.count
        guard n > 0, let base = p.baseAddress else { return }
        let triggers = self.triggers
        var cursor = self.start
        let blocks = !triggers.bytewise
        // The last offset a block may start at (it reads up to `blockLookAhead` bytes past
        // its sixteen).
        let lastBlock = n &- 16 &- TriggerSet.blockLookAhead
        var i = 0
        while i < n {
            if blocks && i >= TriggerSet.blockLookBehind && i <= lastBlock {
                // One copy of the block loop per keyword pair count, so the screen holds
                // no test of it.
                switch triggers.pairCount {
                case 0: i = blockLoop(p, base, from: i, lastBlock: lastBlock, NoKeywordPairs.self, &cursor, &sink)
                case 1: i = blockLoop(p, base, from: i, lastBlock: lastBlock, OneKeywordPair.self, &cursor, &sink)
                default: i = blockLoop(p, base, from: i, lastBlock: lastBlock, ThreeKeywordPairs.self, &cursor, &sink)
                }
                continue
            }
            // Byte at a time: the first byte (no byte before it for the block test), the
            // tail, or too many keyword pairs.
            let limit = blocks && i < TriggerSet.blockLookBehind ? min(TriggerSet.blockLookBehind, n) : n
            let stop = triggers.nextByte(base, limit, from: i)
            if stop >= limit {
                i = limit
                continue
            }
            i = cursor.handle(p, at: stop, self, &sink)
        }
    }
}

extension SensitiveDataScanner {
    /// Sixteen bytes at a time from `start` while a block fits (`i <= lastBlock`): the
    /// ``TriggerSet/screen(_:_:pairs:)`` first, then the exact lanes of blocks that pass
    /// it, drained in order. `Pairs` is how many keyword pair slots the screen tests (a
    /// type, so each count gets its own specialized loop with the count folded in).
    /// Returns where scanning continues.
    @inlinable @inline(__always)
    func blockLoop<Sink: SensitiveSpanSink, Pairs: KeywordPairSlots>(
        _ p: UnsafeRawBufferPointer, _ base: UnsafeRawPointer, from start: Int, lastBlock: Int, _: Pairs.Type,
        _ cursor: inout ScanCursor, _ sink: inout Sink
    ) -> Int {
        let triggers = self.triggers
        var i = start
        repeat {
            let screen = triggers.screen(base, i, pairs: Pairs.count)
            if !screen.hit {
                i &+= 16
                continue
            }
            let mask = triggers.blockMask(base, i, screen)
            let lo = mask[0], hi = mask[1]
            if lo | hi == 0 {
                i &+= 16
            } else {
                i = max(cursor.drain(p, lo, hi, blockStart: i, self, &sink), i &+ 16)
            }
        } while i <= lastBlock
        return i
    }
}

/// How many keyword pair slots the block screen tests, as a type (see
/// ``SensitiveDataScanner/blockLoop(_:_:from:lastBlock:_:_:_:)``).
@usableFromInline
protocol KeywordPairSlots {
    static var count: Int { get }
}

@usableFromInline
enum NoKeywordPairs: KeywordPairSlots {
    @inlinable static var count: Int { 0 }
}

@usableFromInline
enum OneKeywordPair: KeywordPairSlots {
    @inlinable static var count: Int { 1 }
}

/// Two or three pairs (an unused slot never matches).
@usableFromInline
enum ThreeKeywordPairs: KeywordPairSlots {
    @inlinable static var count: Int { 3 }
}

/// What one pass of ``SensitiveDataScanner`` carries from stop to stop: plain values only
/// (the keyword set is read through the scanner, borrowed, in ``handle(_:at:_:_:)``).
@usableFromInline
struct ScanCursor: Sendable {
    @usableFromInline let wantCard: Bool, wantSSN: Bool, wantIPv4: Bool, wantIPv6: Bool, wantIBAN: Bool, wantEmail: Bool
    @usableFromInline let allowUnseparatedSSN: Bool
    @usableFromInline let requireIssuer: Bool
    @usableFromInline let skipDigitRuns: Bool
    @usableFromInline let keywordFirstBytes: ByteSet
    /// A keyword starts with `:` (such a colon is tried as a keyword even where no IPv6
    /// address can start).
    @usableFromInline let colonStartsKeyword: Bool
    /// End of the last finding: no finding starts before it.
    @usableFromInline var lastEnd = 0
    /// Colons before this offset belong to an IPv6 candidate that already failed.
    @usableFromInline var ipv6Horizon = 0

    init(kinds: SensitiveDataKind, keywords: KeywordSet?, allowUnseparatedSSN: Bool, requireIssuer: Bool, skipDigitRuns: Bool) {
        wantCard = kinds.contains(.creditCard)
        wantSSN = kinds.contains(.ssn)
        wantIPv4 = kinds.contains(.ipv4)
        wantIPv6 = kinds.contains(.ipv6)
        wantIBAN = kinds.contains(.iban)
        wantEmail = kinds.contains(.email)
        self.allowUnseparatedSSN = allowUnseparatedSSN
        self.requireIssuer = requireIssuer
        self.skipDigitRuns = skipDigitRuns
        keywordFirstBytes = keywords?.firstBytes ?? ByteSet()
        colonStartsKeyword = keywordFirstBytes.contains(ASCII.colon)
    }

    /// Handles the stops in the lanes `lo`, `hi` (bit 7 per byte) of the sixteen bytes at
    /// `blockStart`, in order, dropping lanes a handled stop covered; returns where
    /// scanning continues.
    @inlinable @inline(__always)
    mutating func drain<Sink: SensitiveSpanSink>(
        _ p: UnsafeRawBufferPointer, _ lo: UInt64, _ hi: UInt64, blockStart: Int, _ scanner: SensitiveDataScanner,
        _ sink: inout Sink
    ) -> Int {
        var lo = lo, hi = hi
        var next = blockStart
        repeat {
            let stop = lo != 0
                ? blockStart &+ (lo.trailingZeroBitCount &>> 3)
                : blockStart &+ 8 &+ (hi.trailingZeroBitCount &>> 3)
            next = handle(p, at: stop, scanner, &sink)
            // Drop the lanes before `next`.
            let covered = next &- blockStart
            if covered >= 16 {
                lo = 0
                hi = 0
            } else if covered >= 8 {
                lo = 0
                hi &= ~0 << UInt64(truncatingIfNeeded: (covered &- 8) &* 8)
            } else {
                lo &= ~0 << UInt64(truncatingIfNeeded: covered &* 8)
            }
            // Colons below the IPv6 horizon only stop to be skipped: drop them (unless a
            // keyword starts with `:`).
            if ipv6Horizon > next && !colonStartsKeyword, let base = p.baseAddress {
                let colons = SWAR.ones &* 0x3A
                let h = ipv6Horizon &- blockStart
                let belowLo: UInt64 = h >= 8 ? ~0 : ~(~0 << UInt64(truncatingIfNeeded: h &* 8))
                let belowHi: UInt64 = h >= 16 ? ~0 : h <= 8 ? 0 : ~(~0 << UInt64(truncatingIfNeeded: (h &- 8) &* 8))
                lo &= ~(SWAR.equalExact(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: blockStart, as: UInt64.self)), colons) & belowLo)
                hi &= ~(SWAR.equalExact(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: blockStart &+ 8, as: UInt64.self)), colons) & belowHi)
            }
        } while lo | hi != 0
        return next
    }

    @inlinable @inline(__always)
    mutating func report<Sink: SensitiveSpanSink>(_ start: Int, _ end: Int, _ kind: SensitiveDataKind, _ sink: inout Sink) -> Int {
        sink.report(SensitiveSpan(start: start, count: end &- start, kind: kind))
        lastEnd = end
        return end
    }

    /// Runs the detectors that can start at the stop `i` (any byte: stops are re-checked)
    /// and returns where scanning continues (after `i`).
    @inlinable @inline(__always)
    mutating func handle<Sink: SensitiveSpanSink>(
        _ p: UnsafeRawBufferPointer, at i: Int, _ scanner: SensitiveDataScanner, _ sink: inout Sink
    ) -> Int {
        let b = p[i]
        // A digit is tried as a keyword only when a keyword starts with a digit.
        if ASCII.isDigit(b) && skipDigitRuns { return digit(p, at: i, &sink) }
        if keywordFirstBytes.contains(b), let end = scanner.keywords?.match(p, at: i) {
            return report(i, end, .keyword, &sink)
        }
        if ASCII.isDigit(b) { return digit(p, at: i, &sink) }
        if b == ASCII.colon {
            if wantIPv6 && i >= ipv6Horizon && (i == 0 || p[i &- 1] != ASCII.colon) {
                if Self.mayBeIPv6(p, firstColon: i), let range = IPv6Detector.match(p, firstColon: i, lowerBound: lastEnd) {
                    return report(range.lowerBound, range.upperBound, .ipv6, &sink)
                }
                // Later colons of this run belong to the candidate that just failed.
                var j = i &+ 1
                while j < p.count && (ASCII.isHex(p[j]) || p[j] == ASCII.colon || p[j] == ASCII.dot) { j &+= 1 }
                ipv6Horizon = j
            }
        } else if b == ASCII.at {
            if wantEmail, let range = EmailDetector.match(p, atSign: i, lowerBound: lastEnd) {
                return report(range.lowerBound, range.upperBound, .email, &sink)
            }
        }
        return i &+ 1
    }

    /// Whether the sixteen bytes at the colon `c` may hold the start of an IPv6 address
    /// whose first colon is `c`; `true` near the end of the buffer.
    ///
    /// Without `::` an address has at least six colons, at most five bytes apart (groups
    /// have at most four hex digits), so three more follow within fifteen bytes; with
    /// `::`, either it starts within those bytes or three single colons come first.
    /// Times such as `12:30:45` fail this.
    @inlinable @inline(__always)
    static func mayBeIPv6(_ p: UnsafeRawBufferPointer, firstColon c: Int) -> Bool {
        guard c &+ 16 <= p.count, let base = p.baseAddress else { return true }
        let colons = SWAR.ones &* 0x3A
        let a = SWAR.equalExact(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: c, as: UInt64.self)), colons)
        let b = SWAR.equalExact(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: c &+ 8, as: UInt64.self)), colons)
        if (a >> 8) & 0x80 != 0 { return true }  // `::` at `c`
        if (a & (a >> 8)) | (b & (b >> 8)) | (a >> 63 & b & 0x80) != 0 { return true }  // `::` later
        return (a & ~0x80).nonzeroBitCount &+ b.nonzeroBitCount >= 3
    }

    /// Whether the twelve bytes at `i` hold three dots, as every dotted quad starting at
    /// `i` does (octets have at most three digits); `true` near the end of the buffer.
    @inlinable @inline(__always)
    static func mayBeDottedQuad(_ p: UnsafeRawBufferPointer, at i: Int) -> Bool {
        guard i &+ 12 <= p.count, let base = p.baseAddress else { return true }
        let dots = SWAR.ones &* 0x2E
        let first = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        let last = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 4, as: UInt64.self))
        // `last` lanes 4…7 are bytes i + 8 … i + 11.
        let count = SWAR.equalExact(first, dots).nonzeroBitCount
            &+ (SWAR.equalExact(last, dots) & 0x8080_8080_0000_0000).nonzeroBitCount
        return count >= 3
    }

    /// A stop at a digit: dispatch on the digit run's length, the byte after it and the
    /// bytes around it, so a detector only runs where its shape can start.
    @inlinable @inline(__always)
    mutating func digit<Sink: SensitiveSpanSink>(_ p: UnsafeRawBufferPointer, at i: Int, _ sink: inout Sink) -> Int {
        let n = p.count
        let previous: UInt8 = i > 0 ? p[i &- 1] : ASCII.space
        if ASCII.isDigit(previous) {
            // Inside a digit run whose start was already tried.
            return skipDigitRuns ? NumberBoundary.digitRunEnd(p, from: i, limit: n) : i &+ 1
        }
        // The run's length (up to 20) and the byte after it.
        let runLength: Int
        if i &+ 16 <= n, let base = p.baseAddress {
            let w0 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let other0 = ~SWAR.between(w0, 0x2F, 0x3A) & SWAR.highs
            if other0 != 0 {
                runLength = other0.trailingZeroBitCount &>> 3
            } else {
                let w1 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self))
                let other1 = ~SWAR.between(w1, 0x2F, 0x3A) & SWAR.highs
                runLength = other1 != 0
                    ? 8 &+ (other1.trailingZeroBitCount &>> 3)
                    : NumberBoundary.digitRunEnd(p, from: i &+ 16, limit: 4) &- i
            }
        } else {
            runLength = NumberBoundary.digitRunEnd(p, from: i, limit: 20) &- i
        }
        let runEnd = i &+ runLength
        let next: UInt8 = runEnd < n ? p[runEnd] : 0
        if ASCII.isWord(previous) {
            // Letters right before the digits: only an IBAN (two capitals, then the
            // check digits) can start here, two bytes back.
            // (An IBAN has no word byte before it.)
            if wantIBAN && i >= 2 && i &- 2 >= lastEnd && ASCII.isUpper(previous) && ASCII.isUpper(p[i &- 2])
                && (i == 2 || !ASCII.isWord(p[i &- 3])),
               let end = IBANDetector.match(p, at: i &- 2) {
                return report(i &- 2, end, .iban, &sink)
            }
        } else if runLength <= 4 {
            if next == ASCII.dot {
                if wantIPv4 && runLength <= 3 && Self.mayBeDottedQuad(p, at: i), let end = IPv4Detector.match(p, at: i) {
                    return report(i, end, .ipv4, &sink)
                }
            } else if (next == ASCII.dash || next == ASCII.space) && NumberBoundary.before(p, i) {
                // (Cards and SSNs both need a number boundary before them.)
                // `AAA-GG-SSSS`: two digits and the same separator must follow.
                if wantSSN && runLength == 3 && runEnd &+ 3 < n
                    && ASCII.isDigit(p[runEnd &+ 1]) && ASCII.isDigit(p[runEnd &+ 2]) && p[runEnd &+ 3] == next,
                   let end = SSNDetector.match(p, at: i, allowUnseparated: allowUnseparatedSSN) {
                    return report(i, end, .ssn, &sink)
                }
                // A grouped card: its second group has four or six digits (not a date's `-05-`).
                if wantCard && runLength == 4 && runEnd &+ 4 < n
                    && ASCII.isDigit(p[runEnd &+ 1]) && ASCII.isDigit(p[runEnd &+ 2])
                    && ASCII.isDigit(p[runEnd &+ 3]) && ASCII.isDigit(p[runEnd &+ 4]),
                   let end = CreditCardDetector.match(p, at: i, requirePlausibleIssuer: requireIssuer) {
                    return report(i, end, .creditCard, &sink)
                }
            }
        } else if runLength >= 9 && NumberBoundary.before(p, i) {
            if wantSSN && runLength == 9 && allowUnseparatedSSN,
               let end = SSNDetector.match(p, at: i, allowUnseparated: true) {
                return report(i, end, .ssn, &sink)
            }
            if wantCard && runLength >= 12 && runLength <= 19,
               let end = CreditCardDetector.match(p, at: i, requirePlausibleIssuer: requireIssuer) {
                return report(i, end, .creditCard, &sink)
            }
        }
        if !skipDigitRuns { return i &+ 1 }
        return runLength < 20 ? runEnd : NumberBoundary.digitRunEnd(p, from: runEnd, limit: n)
    }
}

/// The bytes at which the scanner stops to run detectors, and how to find them.
///
/// ``blockMask(_:_:_:)`` marks them sixteen bytes at a time (after ``screen(_:_:pairs:)``),
/// each lane tested together with the bytes around it, as a superset of where a detector
/// can match:
/// - a digit that starts a run (no digit, lower-case letter or `_` before it) and has a
///   numeric detector's shape (see ``numericShapes(_:_:starts:before:after:)``);
/// - `:` with a hex digit or `:` after it and a hex digit before it, or `::` (IPv6);
/// - `@` (e-mail);
/// - the first two bytes of a keyword (case-folded when the keywords are), and the third
///   when all keywords of that pair share it; up to three distinct pairs, more fall back
///   to a byte-at-a-time table of first bytes.
/// The first three bytes, the last 27, and the byte-at-a-time path stop at a superset
/// (every digit, `:`, `@`, keyword first byte); the scanner re-checks every stop.
@usableFromInline
struct TriggerSet: Sendable {
    @usableFromInline let numeric: Bool
    @usableFromInline let email: Bool
    /// How many bytes from `0x30` (digits and `:`: 11) and from `@` (1) the screen tests;
    /// 0 for detectors not configured.
    @usableFromInline let numericRange: UInt8, emailRange: UInt8
    /// Keyword pairs (``pairCount`` in use): first and second byte, and the case fold
    /// (0x20 or 0) applied to the text's byte before comparing; and the third byte all
    /// keywords of the pair share (0xFF with fold 0xFF, which every byte matches, when
    /// they do not).
    @usableFromInline let first0: UInt8, second0: UInt8, firstFold0: UInt8, secondFold0: UInt8
    @usableFromInline let first1: UInt8, second1: UInt8, firstFold1: UInt8, secondFold1: UInt8
    @usableFromInline let first2: UInt8, second2: UInt8, firstFold2: UInt8, secondFold2: UInt8
    @usableFromInline let third0: UInt8, thirdFold0: UInt8, third1: UInt8, thirdFold1: UInt8
    @usableFromInline let third2: UInt8, thirdFold2: UInt8
    /// Every byte that may start a finding, for the byte-at-a-time paths.
    @usableFromInline let all: ByteSet
    /// Too many keyword pairs for the word-at-a-time path.
    @usableFromInline let bytewise: Bool
    /// Keyword pair slots in use (0…3).
    @usableFromInline let pairCount: Int
    /// A keyword may start at any digit, so digits are never excluded.
    @usableFromInline let keywordStartsWithDigit: Bool
    /// Nine bare digits may be an SSN (shapes a digit stop needs).
    @usableFromInline let allowUnseparatedSSN: Bool

    init(kinds: SensitiveDataKind, keywords: KeywordSet?, allowUnseparatedSSN: Bool) {
        self.allowUnseparatedSSN = allowUnseparatedSSN
        var all = ByteSet()
        numeric = !kinds.isDisjoint(with: [.creditCard, .ssn, .ipv4, .ipv6, .iban])
        if numeric { for b in UInt8(0x30)...0x3A { all.insert(b) } }
        email = kinds.contains(.email)
        if email { all.insert(ASCII.at) }
        numericRange = numeric ? 11 : 0
        emailRange = email ? 1 : 0
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
        (third0, thirdFold0) = Self.third(bytewise ? [] : pairs, 0, keywords)
        (third1, thirdFold1) = Self.third(bytewise ? [] : pairs, 1, keywords)
        (third2, thirdFold2) = Self.third(bytewise ? [] : pairs, 2, keywords)
    }

    /// Third byte and fold of keyword pair `k`: any byte (0xFF, 0xFF) unless every keyword
    /// of the pair has the same third byte.
    private static func third(_ pairs: [(UInt8, UInt8)], _ k: Int, _ keywords: KeywordSet?) -> (UInt8, UInt8) {
        guard k < pairs.count, let keywords, let c = keywords.sharedThirdByte(after: pairs[k]) else { return (0xFF, 0xFF) }
        return (c, keywords.caseInsensitive && ASCII.isAlpha(c) ? 0x20 : 0)
    }

    /// Bytes and folds of keyword pair `k` (unused: byte 0 with fold 0xFF, which no byte
    /// matches).
    private static func slot(_ pairs: [(UInt8, UInt8)], _ k: Int, _ insensitive: Bool) -> (UInt8, UInt8, UInt8, UInt8) {
        guard k < pairs.count else { return (0, 0, 0xFF, 0xFF) }
        let (a, b) = pairs[k]
        let foldA: UInt8 = insensitive && ASCII.isAlpha(a) ? 0x20 : 0
        let foldB: UInt8 = insensitive && ASCII.isAlpha(b) ? 0x20 : 0
        return (a, b, foldA, foldB)
    }

    /// Bytes the block test reads before and after its sixteen bytes.
    @inlinable static var blockLookBehind: Int { 3 }
    @inlinable static var blockLookAhead: Int { 11 }

    /// The first, cheap test of the sixteen bytes at `i` (see ``screen(_:_:)``).
    @usableFromInline
    struct Screen {
        @usableFromInline let x: Bytes16, after: Bytes16
        /// `@` lanes (exact).
        @usableFromInline let email: Bytes16
        /// Lanes where a keyword pair's first two bytes are (third byte untested).
        @usableFromInline let pair0: Bytes16, pair1: Bytes16, pair2: Bytes16
        /// Digit and `:` lanes.
        @usableFromInline let numeric: Bytes16

        @inlinable @inline(__always)
        init(x: Bytes16, after: Bytes16, email: Bytes16, pair0: Bytes16, pair1: Bytes16, pair2: Bytes16, numeric: Bytes16) {
            self.x = x
            self.after = after
            self.email = email
            self.pair0 = pair0
            self.pair1 = pair1
            self.pair2 = pair2
            self.numeric = numeric
        }

        /// Whether any lane may hold a stop.
        @inlinable @inline(__always)
        var hit: Bool { Bytes16.any(email | pair0 | pair1 | pair2 | numeric) }
    }

    /// Screens the sixteen bytes at `i` for `@`, a keyword's first two bytes, digits and
    /// `:`: most blocks of text hold none and cost only this. Reads `i ..< i + 17`.
    /// `pairs` keyword pair slots are tested (unused slots never match).
    @inlinable @inline(__always)
    func screen(_ base: UnsafeRawPointer, _ i: Int, pairs: Int) -> Screen {
        let x = Bytes16.load(base, i)
        let after = Bytes16.load(base, i &+ 1)
        let zero = Bytes16(repeating: 0)
        var pair0 = zero, pair1 = zero, pair2 = zero
        if pairs > 0 {
            pair0 = Bytes16.equal(x | Bytes16(repeating: firstFold0), first0) & Bytes16.equal(after | Bytes16(repeating: secondFold0), second0)
            if pairs > 1 {
                pair1 = Bytes16.equal(x | Bytes16(repeating: firstFold1), first1) & Bytes16.equal(after | Bytes16(repeating: secondFold1), second1)
                pair2 = Bytes16.equal(x | Bytes16(repeating: firstFold2), first2) & Bytes16.equal(after | Bytes16(repeating: secondFold2), second2)
            }
        }
        // `@` and digits or `:` (0x30…0x3A), as ranges of zero bytes when not wanted.
        return Screen(
            x: x, after: after,
            email: Bytes16.inRange(x, 0x40, emailRange),
            pair0: pair0, pair1: pair1, pair2: pair2,
            numeric: Bytes16.inRange(x, 0x30, numericRange))
    }

    /// The lanes of the sixteen bytes at `i` that hold a stop, given their ``Screen``: bit 7
    /// of each byte lane, as two words (one vector register). Reads `i - 3 ..< i + 27`.
    ///
    /// Exact for `:`, `@` and keyword bytes; digits as described in
    /// ``numericShapes(_:_:starts:before:after:)``. Keyword third bytes are tested only
    /// where a pair matched, digit shapes only in blocks holding a digit or `:`.
    @inlinable @inline(__always)
    func blockMask(_ base: UnsafeRawPointer, _ i: Int, _ s: Screen) -> SIMD2<UInt64> {
        var m = s.email
        let pairs = s.pair0 | s.pair1 | s.pair2
        if Bytes16.any(pairs) {
            let after2 = Bytes16.load(base, i &+ 2)
            m |= s.pair0 & Bytes16.equal(after2 | Bytes16(repeating: thirdFold0), third0)
                | s.pair1 & Bytes16.equal(after2 | Bytes16(repeating: thirdFold1), third1)
                | s.pair2 & Bytes16.equal(after2 | Bytes16(repeating: thirdFold2), third2)
        }
        if Bytes16.any(s.numeric) {
            m |= numericStops(base, i, x: s.x, after: s.after)
        }
        return Bytes16.lanes(m)
    }

    /// The digit and `:` stops of the sixteen bytes `x` at `i` (`after`: the bytes at `i + 1`).
    @inlinable @inline(__always)
    func numericStops(_ base: UnsafeRawPointer, _ i: Int, x: Bytes16, after: Bytes16) -> Bytes16 {
        let before = Bytes16.load(base, i &- 1)
        let beforeDigit = Bytes16.digit(before)
        var m = Bytes16.digit(x)
        if !keywordStartsWithDigit {
            // Not a run start after a digit, `_` or a lower-case letter (`` ` `` sits between
            // them in ASCII and is a boundary: a value may follow it).
            m &= ~(beforeDigit | Bytes16.equal(before, 0x5F) | Bytes16.inRange(before, 0x61, 26))
            if Bytes16.any(m) { m = numericShapes(base, i, starts: m, before: before, after: after) }
        }
        let colon = Bytes16.equal(x, 0x3A)
        if Bytes16.any(colon) {
            let afterColon = Bytes16.equal(after, 0x3A)
            let afterHex = Bytes16.hex(after)
            let beforeHex = beforeDigit | Bytes16.inRange(before | Bytes16(repeating: 0x20), 0x61, 6)
            var ipv6 = colon & (afterHex | afterColon) & (beforeHex | afterColon)
            if Bytes16.any(ipv6) {
                // An address's first colon starts `::`, or two more colons follow within
                // ten bytes (groups have at most four hex digits; without `::` there are
                // at least six colons). Times such as `12:30:45` fail this.
                var colons = Bytes16(repeating: 0)
                for k in 1...10 {
                    colons &-= Bytes16.equal(Bytes16.load(base, i &+ k), 0x3A)
                }
                ipv6 &= afterColon | ~Bytes16.inRange(colons, 0, 2)
            }
            m |= ipv6
        }
        return m
    }

    /// The lanes of `starts` (digit-run starts) where the run has the shape of some
    /// numeric detector; each test is a necessary condition of that detector, so no
    /// value is lost (the tests against the byte-at-a-time path check this):
    /// - two capitals before it and no word byte before those (IBAN check digits);
    /// - a `.` after one to three digits, no `.` before, and three dots within twelve
    ///   bytes (IPv4);
    /// - when a run of at least two digits starts that does not continue a hyphenated
    ///   identifier (`-` after a word byte, as in `ORD-2024-000123`): three digits, a separator, two digits (SSN); four digits, a separator and four
    ///   more digits (grouped card: dates such as `2024-05-01` fail); at least twelve
    ///   digits (plain card) or nine (unseparated SSN, when allowed).
    /// Separators are tested loosely (``Bytes16/separatorOrPunctuation(_:)``).
    @inlinable @inline(__always)
    func numericShapes(_ base: UnsafeRawPointer, _ i: Int, starts: Bytes16, before: Bytes16, after: Bytes16) -> Bytes16 {
        let b2 = Bytes16.load(base, i &+ 2), b3 = Bytes16.load(base, i &+ 3)
        let d1 = Bytes16.digit(after), d2 = Bytes16.digit(b2)
        let before2 = Bytes16.load(base, i &- 2)
        var iban = starts & Bytes16.upper(before) & Bytes16.upper(before2)
        if Bytes16.any(iban) {
            // An IBAN has no word byte before its country code.
            iban &= ~Bytes16.word(Bytes16.load(base, i &- 3))
        }
        let ipv4 = (Bytes16.equal(after, 0x2E) | d1 & (Bytes16.equal(b2, 0x2E) | d2 & Bytes16.equal(b3, 0x2E)))
            & ~Bytes16.equal(before, 0x2E)
        var shapes = iban | ipv4
        if Bytes16.any(starts & ipv4) {
            // A dotted quad has its three dots within its first twelve bytes: count them.
            var dots = Bytes16(repeating: 0)
            for k in 1...11 {
                dots &-= Bytes16.equal(Bytes16.load(base, i &+ k), 0x2E)
            }
            shapes = iban | ipv4 & ~Bytes16.inRange(dots, 0, 3)
        }
        let d12 = starts & d1 & d2
        if Bytes16.any(d12) {
            let b4 = Bytes16.load(base, i &+ 4)
            let d4 = Bytes16.digit(b4)
            let d5 = Bytes16.digit(Bytes16.load(base, i &+ 5))
            let d8 = Bytes16.digit(Bytes16.load(base, i &+ 8))
            let ssn = Bytes16.separatorOrPunctuation(b3) & d4 & d5
            let card = Bytes16.digit(b3) & Bytes16.separatorOrPunctuation(b4) & d5
                & Bytes16.digit(Bytes16.load(base, i &+ 7)) & d8
            var long = d4 & d8
            if !allowUnseparatedSSN { long &= Bytes16.digit(Bytes16.load(base, i &+ 11)) }
            var numbers = d12 & (ssn | card | long)
            // Cards and SSNs never continue a hyphenated identifier (`ORD-2024-000123`,
            // a UUID's last group): see `NumberBoundary.before`.
            let afterDash = numbers & Bytes16.equal(before, 0x2D)
            if Bytes16.any(afterDash) { numbers &= ~(afterDash & Bytes16.word(before2)) }
            shapes |= numbers
        }
        return starts & shapes
    }

    /// Index of the first byte at or after `from` in ``all``, or `n` (byte at a time).
    @inlinable @inline(__always)
    func nextByte(_ base: UnsafeRawPointer, _ n: Int, from: Int) -> Int {
        var i = from
        while i < n && !all.contains(base.load(fromByteOffset: i, as: UInt8.self)) { i &+= 1 }
        return i
    }
}
