/// A significant token as the statement analyzer reads it: 12 bytes, byte offsets in 32 bits
/// (``SQLStatementIterator`` refuses text longer than `Int32.max`).
@usableFromInline
struct SQLCompactToken: Sendable {
    @usableFromInline var start32: Int32
    @usableFromInline var end32: Int32
    @usableFromInline var kind: SQLTokenKind
    /// The keyword an unquoted identifier spells, if the classifier knows it. A word right
    /// after a dot may have none even so (the recording splitter does not look it up: it is
    /// a name there, and the analyzer reads no keyword there).
    @usableFromInline var keyword: SQLKeyword?

    @inlinable @inline(__always)
    init(kind: SQLTokenKind, keyword: SQLKeyword?, start: Int, end: Int) {
        self.start32 = Int32(truncatingIfNeeded: start)
        self.end32 = Int32(truncatingIfNeeded: end)
        self.kind = kind
        self.keyword = keyword
    }

    @inlinable @inline(__always)
    init(_ token: SQLToken) {
        self.init(kind: token.kind, keyword: token.keyword, start: token.start, end: token.end)
    }

    /// The empty ``SQLTokenKind/end`` token at `offset`.
    @inlinable @inline(__always)
    static func end(at offset: Int) -> SQLCompactToken {
        SQLCompactToken(kind: .end, keyword: nil, start: offset, end: offset)
    }

    /// Byte offset of the first byte.
    @inlinable var start: Int { Int(start32) }
    /// Byte offset one past the last byte.
    @inlinable var end: Int { Int(end32) }

    /// ``kind``'s byte (its case's ordinal), for table lookups.
    @inlinable var kindByte: UInt8 {
        @inline(__always) get { unsafeBitCast(kind, to: UInt8.self) }
    }

    /// ``keyword``'s byte (the keyword's ordinal, nil a value no keyword has), for table
    /// lookups.
    @inlinable var keywordByte: UInt8 {
        @inline(__always) get { unsafeBitCast(keyword, to: UInt8.self) }
    }

    /// The token's bytes as a ``ByteRange``.
    @inlinable var range: ByteRange { ByteRange(start: start32, count: end32 &- start32) }

    /// An identifier, quoted or not (keywords included).
    @inlinable var isName: Bool {
        kind == .identifier || kind == .quotedIdentifier || kind == .unicodeQuotedIdentifier
    }
}

/// Fixed-capacity storage for the significant tokens of one statement, lexed once by the
/// splitter and read by the analyzer. It lives on the stack of
/// ``SQLClassifier/classify(text:into:)``; a statement with more tokens than fit is analyzed
/// by lexing it again instead (same tokens, slower).
@usableFromInline
struct SQLTokenStorage {
    /// How many tokens fit in the 6 KiB of storage (512: a token takes 12 bytes).
    @inlinable static var capacity: Int { 768 * 8 / MemoryLayout<SQLCompactToken>.stride }

    /// Plain integers (so that making the storage is a memset), seen as ``SQLCompactToken``s
    /// through `withMemoryRebound`. The memset is under 1% of a classification (measured by
    /// leaving the storage uninitialized), not worth uninitialized memory.
    @usableFromInline var words: InlineArray<768, UInt64>

    @inlinable
    init() {
        words = InlineArray(repeating: 0)
    }
}

/// The tokens the splitter recorded for the current statement: `count` of them at `base`,
/// or none when the statement had more than fit (``isComplete`` false).
@usableFromInline
struct SQLTokenBuffer {
    @usableFromInline let base: UnsafeMutablePointer<SQLCompactToken>
    @usableFromInline let capacity: Int
    /// Tokens recorded for the current statement (may exceed ``capacity``: then only
    /// ``capacity`` were stored and the buffer is incomplete).
    @usableFromInline var count: Int

    @inlinable
    init(base: UnsafeMutablePointer<SQLCompactToken>, capacity: Int) {
        self.base = base
        self.capacity = capacity
        self.count = 0
    }

    /// Whether every token of the statement was stored.
    @inlinable var isComplete: Bool { count <= capacity }
}
