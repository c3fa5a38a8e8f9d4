/// A cursor over the significant tokens of a byte range, with two tokens of history.
///
/// A value type: copying it saves a position, assigning a copy back restores it.
///
/// With the tokens the splitter recorded, the cursor is an index into them and the current
/// and previous tokens are read from there (nothing is copied as it advances); without, it
/// lexes the range and keeps the last three tokens.
@usableFromInline
struct SQLTokenCursor {
    /// The tokens the splitter recorded, when the statement fit in the buffer; nil: lex.
    @usableFromInline let tokens: UnsafePointer<SQLCompactToken>?
    /// With ``tokens``: the index of ``token``, and the cursor's range of indices.
    @usableFromInline var index: Int
    @usableFromInline let startIndex: Int
    @usableFromInline let endIndex: Int
    /// The range's first byte (where the `.end` token before the first token lies).
    @usableFromInline let lowerBound: Int
    /// Without ``tokens``: lexes the range.
    @usableFromInline var lexer: SQLLexer
    /// Without ``tokens``: the current token and the two before it.
    @usableFromInline var lexedToken: SQLCompactToken
    @usableFromInline var lexedPrevious: SQLCompactToken
    @usableFromInline var lexedBeforePrevious: SQLCompactToken

    /// A cursor over `text[range]`, which starts and ends at token boundaries. With a complete
    /// `buffer` (the statement's tokens, lexed once by the splitter) it reads those; otherwise
    /// it lexes the range.
    @inlinable
    init(text: UnsafeRawBufferPointer, range: Range<Int>, standardConformingStrings: Bool, buffer: SQLTokenBuffer?) {
        lexer = SQLLexer(text: text, range: range, standardConformingStrings: standardConformingStrings)
        lowerBound = range.lowerBound
        lexedPrevious = .end(at: range.lowerBound)
        lexedBeforePrevious = lexedPrevious
        if let buffer, buffer.isComplete {
            tokens = UnsafePointer(buffer.base)
            startIndex = buffer.firstIndex(startingAtOrAfter: range.lowerBound)
            endIndex = buffer.firstIndex(startingAtOrAfter: range.upperBound)
            index = startIndex
            lexedToken = lexedPrevious
        } else {
            tokens = nil
            startIndex = 0
            endIndex = 0
            index = 0
            lexedToken = SQLCompactToken(lexer.nextSignificant())
        }
    }

    /// With ``tokens``: the token at index `i`, or `.end` before or after the range.
    @inlinable @inline(__always)
    func recorded(_ tokens: UnsafePointer<SQLCompactToken>, at i: Int) -> SQLCompactToken {
        if i >= endIndex { return .end(at: lexer.limit) }
        if i < startIndex { return .end(at: lowerBound) }
        return tokens[i]
    }

    /// The current token (``SQLTokenKind/end`` past the range).
    @inlinable var token: SQLCompactToken {
        @inline(__always) get {
            guard let tokens else { return lexedToken }
            return index < endIndex ? tokens[index] : .end(at: lexer.limit)
        }
    }

    /// The significant token before ``token`` (``SQLTokenKind/end`` at the start).
    @inlinable var previous: SQLCompactToken {
        @inline(__always) get {
            guard let tokens else { return lexedPrevious }
            return recorded(tokens, at: index &- 1)
        }
    }

    /// The significant token before ``previous``.
    @inlinable var beforePrevious: SQLCompactToken {
        @inline(__always) get {
            guard let tokens else { return lexedBeforePrevious }
            return recorded(tokens, at: index &- 2)
        }
    }

    @inlinable var keyword: SQLKeyword? { token.keyword }
    @inlinable var isAtEnd: Bool { token.kind == .end }
    @inlinable var kind: SQLTokenKind { token.kind }

    @inlinable @inline(__always)
    mutating func advance() {
        if tokens != nil {
            // Past the end the index keeps counting, so previous/beforePrevious become `.end`.
            index &+= 1
        } else {
            advanceLexing()
        }
    }

    /// ``advance()`` without recorded tokens (kept out of line so that the common case inlines).
    @inline(never) @usableFromInline
    mutating func advanceLexing() {
        lexedBeforePrevious = lexedPrevious
        lexedPrevious = lexedToken
        lexedToken = SQLCompactToken(lexer.nextSignificant())
    }

    /// The token after the current one.
    @inlinable
    func peek() -> SQLCompactToken {
        if let tokens {
            let next = index &+ 1
            return next < endIndex ? tokens[next] : .end(at: lexer.limit)
        }
        var copy = lexer
        return SQLCompactToken(copy.nextSignificant())
    }

    /// Consumes the current token when it is `keyword`.
    @inlinable
    mutating func accept(_ keyword: SQLKeyword) -> Bool {
        guard token.keyword == keyword else { return false }
        advance()
        return true
    }

    /// With the current token a `(`: moves past its matching `)` and returns the byte range
    /// between the parentheses. With unbalanced input, stops at the end.
    @inlinable
    mutating func skipGroup() -> Range<Int> {
        let innerStart = token.end
        var depth = 0
        while !isAtEnd {
            if token.kind == .leftParen {
                depth &+= 1
            } else if token.kind == .rightParen {
                depth &-= 1
                if depth == 0 {
                    let innerEnd = token.start
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
    var remainingRange: Range<Int> { token.start..<max(token.start, lexer.limit) }
}
