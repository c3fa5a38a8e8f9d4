/// A cursor over the significant tokens of a byte range, with two tokens of history.
///
/// A value type: copying it saves a position, assigning a copy back restores it.
///
/// Two kinds: ``SQLRecordedCursor`` reads the tokens the splitter recorded (a few integers:
/// the normal case), ``SQLLexingCursor`` lexes the range itself (statements whose tokens did
/// not fit the buffer, and the re-lexing iterator that tests compare with). The analyzer's
/// rules are generic over the kind, so each is specialized for both and the recorded one
/// carries no lexer state.
@usableFromInline
protocol SQLTokenCursor {
    /// The current token (``SQLTokenKind/end`` past the range).
    var token: SQLCompactToken { get }
    /// The significant token before ``token`` (``SQLTokenKind/end`` at the start).
    var previous: SQLCompactToken { get }
    /// The significant token before ``previous``.
    var beforePrevious: SQLCompactToken { get }
    /// One past the range's last byte.
    var limit: Int { get }
    /// Moves to the next token (past the end, ``token`` stays `.end`).
    mutating func advance()
    /// The token after the current one.
    func peek() -> SQLCompactToken
    /// With the current token a `(`: moves past its matching `)` and returns the byte range
    /// between the parentheses. With unbalanced input, stops at the end.
    mutating func skipGroup() -> Range<Int>
    /// A cursor of the same kind over `range` (within this one's text, at token boundaries).
    func cursor(over range: Range<Int>) -> Self
    /// Moves past the tokens ``SQLStatementAnalyzer/scanQuery(_:executes:)`` would pass over
    /// without acting: anything but parentheses, keywords it acts on, and (with
    /// `stopsAtComma`) commas. The lexing cursor moves nowhere (so that every keyword reaches
    /// the scan's switch, and the fuzz harness's comparison of both kinds catches a keyword
    /// missing from ``SQLStatementAnalyzer/actsInQuery(_:)``). `flags` is
    /// ``SQLQueryTokenFlags/table``, fetched once by the analyzer.
    mutating func skipInert(stopsAtComma: Bool, flags: UnsafePointer<UInt8>)
    /// Moves past what a query scan at its top level (outside a FROM list) would pass over
    /// after an INSERT's column list: the VALUES keyword, commas and parenthesized groups with
    /// no parenthesis and no keyword ``skipInert(stopsAtComma:flags:)`` stops at inside (rows
    /// of values). The lexing cursor moves nowhere (so the fuzz harness's comparison of both
    /// kinds checks that the step changes nothing).
    mutating func skipValuesRows(flags: UnsafePointer<UInt8>)
}

extension SQLTokenCursor {
    @inlinable var keyword: SQLKeyword? {
        @inline(__always) get { token.keyword }
    }
    @inlinable var isAtEnd: Bool {
        @inline(__always) get { token.kind == .end }
    }
    @inlinable var kind: SQLTokenKind {
        @inline(__always) get { token.kind }
    }

    /// Consumes the current token when it is `keyword`.
    @inlinable
    mutating func accept(_ keyword: SQLKeyword) -> Bool {
        guard token.keyword == keyword else { return false }
        advance()
        return true
    }

    /// ``skipGroup()`` token by token (the lexing cursor's).
    @inlinable
    mutating func skipGroupByTokens() -> Range<Int> {
        let innerStart = token.end
        var depth = 0
        while true {
            let current = token
            if current.kind == .end { break }
            if current.kind == .leftParen {
                depth &+= 1
            } else if current.kind == .rightParen {
                depth &-= 1
                if depth == 0 {
                    let innerEnd = current.start
                    advance()
                    return innerStart..<innerEnd
                }
            }
            advance()
        }
        return innerStart..<max(innerStart, token.start)
    }

    /// Advances until the current token is `keyword` at parenthesis depth 0 (relative to
    /// here), or the end. Returns whether it was found.
    @inlinable
    mutating func skip(untilTopLevel keyword: SQLKeyword) -> Bool {
        var depth = 0
        while !isAtEnd {
            switch token.kind {
            case .leftParen: depth &+= 1
            case .rightParen: depth &-= 1
            default:
                if depth == 0 && token.keyword == keyword { return true }
            }
            advance()
        }
        return false
    }

    /// The byte range from the current token to the end of the cursor's range.
    @inlinable
    var remainingRange: Range<Int> { token.start..<max(token.start, limit) }
}

/// A cursor over the tokens the splitter recorded for a statement: an index into them.
@usableFromInline
struct SQLRecordedCursor: SQLTokenCursor {
    /// The statement's recorded tokens (all of them: the buffer was complete).
    @usableFromInline let tokens: UnsafePointer<SQLCompactToken>
    /// How many tokens the statement has (for the searches of ``cursor(over:)``).
    @usableFromInline let count: Int
    /// The index of ``token``, and the cursor's range of indices.
    @usableFromInline var index: Int
    @usableFromInline let startIndex: Int
    @usableFromInline let endIndex: Int
    /// The range's first byte (where the `.end` token before the first token lies).
    @usableFromInline let lowerBound: Int
    /// The range's end, clamped to the text (where the `.end` token after the last lies).
    @usableFromInline let limit: Int
    /// The text's length (ranges are clamped to it, as a lexer would).
    @usableFromInline let textCount: Int

    /// A cursor over the tokens of `buffer` (complete) that lie in `range` of a text of
    /// `textCount` bytes.
    @inlinable
    init(buffer: SQLTokenBuffer, range: Range<Int>, textCount: Int) {
        self.init(tokens: UnsafePointer(buffer.base), count: buffer.count, range: range, textCount: textCount)
    }

    @inlinable
    init(tokens: UnsafePointer<SQLCompactToken>, count: Int, range: Range<Int>, textCount: Int) {
        self.tokens = tokens
        self.count = count
        self.textCount = textCount
        let lower = max(0, min(range.lowerBound, textCount))
        self.lowerBound = range.lowerBound
        self.limit = max(lower, min(range.upperBound, textCount))
        let start = Self.firstIndex(tokens, count: count, startingAtOrAfter: range.lowerBound)
        self.startIndex = start
        self.endIndex = Self.firstIndex(tokens, count: count, startingAtOrAfter: range.upperBound, from: start)
        self.index = start
    }

    /// The index of the first of `count` tokens starting at or after `offset`, searching
    /// from `low`.
    @inlinable
    static func firstIndex(_ tokens: UnsafePointer<SQLCompactToken>, count: Int, startingAtOrAfter offset: Int,
                           from low: Int = 0) -> Int {
        var low = low
        var high = count
        // A whole statement's range: no search.
        if low >= high || tokens[low].start >= offset { return low }
        if tokens[high &- 1].start < offset { return high }
        while low < high {
            let middle = (low &+ high) >> 1
            if tokens[middle].start < offset { low = middle &+ 1 } else { high = middle }
        }
        return low
    }

    @inlinable
    var token: SQLCompactToken {
        @inline(__always) get { index < endIndex ? tokens[index] : .end(at: limit) }
    }

    @inlinable
    var previous: SQLCompactToken {
        @inline(__always) get { recorded(at: index &- 1) }
    }

    @inlinable
    var beforePrevious: SQLCompactToken {
        @inline(__always) get { recorded(at: index &- 2) }
    }

    /// The token at index `i`, or `.end` before or after the range.
    @inlinable @inline(__always)
    func recorded(at i: Int) -> SQLCompactToken {
        if i >= endIndex { return .end(at: limit) }
        if i < startIndex { return .end(at: lowerBound) }
        return tokens[i]
    }

    @inlinable @inline(__always)
    mutating func advance() {
        // Past the end the index keeps counting, so previous/beforePrevious become `.end`.
        index &+= 1
    }

    @inlinable @inline(__always)
    func peek() -> SQLCompactToken {
        let next = index &+ 1
        return next < endIndex ? tokens[next] : .end(at: limit)
    }

    /// ``SQLTokenCursor/skipGroupByTokens()`` as one loop over the recorded kinds.
    @inlinable
    mutating func skipGroup() -> Range<Int> {
        guard index < endIndex else { return skipGroupByTokens() }
        let innerStart = tokens[index].end
        let left = unsafeBitCast(SQLTokenKind.leftParen, to: UInt8.self)
        let right = unsafeBitCast(SQLTokenKind.rightParen, to: UInt8.self)
        var depth = 0
        var i = index
        let end = endIndex
        while i < end {
            let kind = tokens[i].kindByte
            if kind == left {
                depth &+= 1
            } else if kind == right {
                depth &-= 1
                if depth == 0 {
                    index = i &+ 1
                    return innerStart..<tokens[i].start
                }
            }
            i &+= 1
        }
        index = end
        return innerStart..<max(innerStart, limit)
    }

    @inlinable
    func cursor(over range: Range<Int>) -> SQLRecordedCursor {
        SQLRecordedCursor(tokens: tokens, count: count, range: range, textCount: textCount)
    }

    @inlinable @inline(__always)
    mutating func skipInert(stopsAtComma: Bool, flags: UnsafePointer<UInt8>) {
        let stop: UInt8 = stopsAtComma ? SQLQueryTokenFlags.stops | SQLQueryTokenFlags.comma : SQLQueryTokenFlags.stops
        var i = index
        let end = endIndex
        while i < end {
            let next = tokens[i]
            if flags[Int(next.kindByte)] & stop != 0 || flags[256 &+ Int(next.keywordByte)] != 0 { break }
            i &+= 1
        }
        index = i
    }

    @inlinable @inline(never)
    mutating func skipValuesRows(flags: UnsafePointer<UInt8>) {
        while index < endIndex {
            let token = tokens[index]
            if token.kind == .comma || token.keyword == .values {
                index &+= 1
                continue
            }
            guard token.kind == .leftParen else { return }
            // A group is passed over when what skipInert stops at inside is its `)`.
            let open = index
            index &+= 1
            skipInert(stopsAtComma: false, flags: flags)
            guard index < endIndex && tokens[index].kind == .rightParen else {
                index = open
                return
            }
            index &+= 1
        }
    }
}

/// A cursor that lexes its range (statements whose tokens overflowed the buffer, and the
/// re-lexing iterator), keeping the last three tokens.
@usableFromInline
struct SQLLexingCursor: SQLTokenCursor {
    @usableFromInline var lexer: SQLLexer
    /// The range's first byte (where the `.end` token before the first token lies).
    @usableFromInline let lowerBound: Int
    @usableFromInline var token: SQLCompactToken
    @usableFromInline var previous: SQLCompactToken
    @usableFromInline var beforePrevious: SQLCompactToken

    /// A cursor over `text[range]`, which starts and ends at token boundaries.
    @inlinable
    init(text: UnsafeRawBufferPointer, range: Range<Int>, standardConformingStrings: Bool) {
        lexer = SQLLexer(text: text, range: range, standardConformingStrings: standardConformingStrings)
        lowerBound = range.lowerBound
        previous = .end(at: range.lowerBound)
        beforePrevious = previous
        token = SQLCompactToken(lexer.nextSignificant())
    }

    @inlinable var limit: Int { lexer.limit }

    @inline(never) @usableFromInline
    mutating func advance() {
        beforePrevious = previous
        previous = token
        token = SQLCompactToken(lexer.nextSignificant())
    }

    @inlinable
    func peek() -> SQLCompactToken {
        var copy = lexer
        return SQLCompactToken(copy.nextSignificant())
    }

    @inlinable
    mutating func skipGroup() -> Range<Int> { skipGroupByTokens() }

    @inlinable
    func cursor(over range: Range<Int>) -> SQLLexingCursor {
        SQLLexingCursor(text: lexer.base, range: range, standardConformingStrings: lexer.standardConformingStrings)
    }

    @inlinable @inline(__always)
    mutating func skipInert(stopsAtComma: Bool, flags: UnsafePointer<UInt8>) {}

    @inlinable @inline(__always)
    mutating func skipValuesRows(flags: UnsafePointer<UInt8>) {}
}
