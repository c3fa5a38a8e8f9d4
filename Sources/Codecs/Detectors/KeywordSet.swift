/// A set of user-defined literal keywords to find, such as project code names or
/// internal host names.
///
/// Built once from configuration (that allocates); scanning with it allocates nothing.
/// Matching is byte-exact or, with `caseInsensitive`, ASCII case-insensitive (non-ASCII
/// bytes always compare exactly). At any position the longest keyword wins. With
/// `wholeWords`, a match must not touch a word byte on either side.
public struct KeywordSet: Sendable, Hashable {
    /// Why a keyword list was refused.
    public enum Error: Swift.Error, Hashable, CustomStringConvertible {
        /// A keyword shorter than two bytes (would mask every occurrence of one letter).
        case tooShort(index: Int)
        /// A keyword longer than 255 bytes.
        case tooLong(index: Int)

        public var description: String {
            switch self {
            case .tooShort(let index): "keyword #\(index) is shorter than 2 bytes"
            case .tooLong(let index): "keyword #\(index) is longer than 255 bytes"
            }
        }
    }

    /// All keywords, longest first, back to back (folded to lower case when insensitive).
    @usableFromInline let bytes: [UInt8]
    /// Start offset and length of each keyword in `bytes`, longest first.
    @usableFromInline let entries: [Entry]
    /// Bytes a keyword can start with (both cases when insensitive).
    @usableFromInline let firstBytes: ByteSet
    /// Second bytes of the keywords (both cases when insensitive): a cheap second filter.
    @usableFromInline let secondBytes: ByteSet
    @usableFromInline let caseInsensitive: Bool
    @usableFromInline let wholeWords: Bool

    @usableFromInline
    struct Entry: Sendable, Hashable {
        @usableFromInline var offset: Int
        @usableFromInline var length: Int
        @usableFromInline var first: UInt8
    }

    /// Builds a set from UTF-8 keywords.
    /// - Throws: ``Error`` for a keyword shorter than 2 or longer than 255 bytes.
    public init(_ keywords: [String], caseInsensitive: Bool = true, wholeWords: Bool = false) throws(Error) {
        var utf8: [[UInt8]] = []
        for (index, keyword) in keywords.enumerated() {
            var k = Array(keyword.utf8)
            if k.count < 2 { throw .tooShort(index: index) }
            if k.count > 255 { throw .tooLong(index: index) }
            if caseInsensitive { k = k.map(ASCII.lower) }
            if !utf8.contains(k) { utf8.append(k) }
        }
        utf8.sort { $0.count > $1.count }
        var bytes: [UInt8] = []
        var entries: [Entry] = []
        var firstBytes = ByteSet()
        var secondBytes = ByteSet()
        for k in utf8 {
            secondBytes.insert(k[1])
            if caseInsensitive && ASCII.isAlpha(k[1]) { secondBytes.insert(k[1] & ~0x20) }
            entries.append(Entry(offset: bytes.count, length: k.count, first: k[0]))
            bytes += k
            firstBytes.insert(k[0])
            if caseInsensitive && ASCII.isAlpha(k[0]) { firstBytes.insert(k[0] & ~0x20) }
        }
        self.bytes = bytes
        self.entries = entries
        self.firstBytes = firstBytes
        self.secondBytes = secondBytes
        self.caseInsensitive = caseInsensitive
        self.wholeWords = wholeWords
    }

    /// The distinct first two bytes of the keywords (folded to lower case when insensitive).
    var leadingPairs: [(UInt8, UInt8)] {
        var pairs: [(UInt8, UInt8)] = []
        for entry in entries {
            let pair = (bytes[entry.offset], bytes[entry.offset + 1])
            if !pairs.contains(where: { $0 == pair }) { pairs.append(pair) }
        }
        return pairs
    }

    /// The third byte of every keyword that starts with `pair` (folded to lower case when
    /// insensitive), or `nil` when one of them is two bytes long or they differ.
    func sharedThirdByte(after pair: (UInt8, UInt8)) -> UInt8? {
        var third: UInt8?
        for entry in entries where bytes[entry.offset] == pair.0 && bytes[entry.offset + 1] == pair.1 {
            guard entry.length >= 3 else { return nil }
            let c = bytes[entry.offset + 2]
            if let t = third, t != c { return nil }
            third = c
        }
        return third
    }

    /// Whether the set has no keywords.
    @inlinable public var isEmpty: Bool { entries.isEmpty }

    /// The end (exclusive) of the longest keyword that starts at `start`, or `nil`.
    @inlinable
    public func match(_ text: UnsafeRawBufferPointer, at start: Int) -> Int? {
        guard start &+ 1 < text.count, firstBytes.contains(text[start]), secondBytes.contains(text[start &+ 1]) else { return nil }
        if wholeWords && start > 0 && ASCII.isWord(text[start &- 1]) { return nil }
        let first = caseInsensitive ? ASCII.lower(text[start]) : text[start]
        return bytes.withUnsafeBufferPointer { keywordBytes in
            entries.withUnsafeBufferPointer { entries in
                for entry in entries where entry.first == first {
                    let end = start &+ entry.length
                    guard end <= text.count else { continue }
                    if wholeWords && end < text.count && ASCII.isWord(text[end]) { continue }
                    var k = 1
                    while k < entry.length {
                        let b = text[start &+ k]
                        if (caseInsensitive ? ASCII.lower(b) : b) != keywordBytes[entry.offset &+ k] { break }
                        k &+= 1
                    }
                    if k == entry.length { return end }
                }
                return nil
            }
        }
    }
}

/// A set of byte values, as a 256-bit map.
@usableFromInline
struct ByteSet: Sendable, Hashable {
    @usableFromInline var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    @inlinable init() {}

    @inlinable mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    /// Branch-free (selects, no jump table): called at every stop.
    @inlinable @inline(__always) func contains(_ b: UInt8) -> Bool {
        let low = b & 0x40 == 0 ? w0 : w1
        let high = b & 0x40 == 0 ? w2 : w3
        let word = b & 0x80 == 0 ? low : high
        return word >> UInt64(b & 63) & 1 != 0
    }

    @inlinable mutating func formUnion(_ other: ByteSet) {
        w0 |= other.w0; w1 |= other.w1; w2 |= other.w2; w3 |= other.w3
    }

    /// The members, in increasing order (configuration time only).
    var members: [UInt8] { (0...255).map(UInt8.init).filter(contains) }
}
