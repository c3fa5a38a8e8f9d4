/// A cursor over the significant tokens of a byte range, with one token of history.
///
/// A value type: copying it saves a position, assigning a copy back restores it.
@usableFromInline
struct SQLTokenCursor {
    /// The tokens the splitter recorded, when the statement fit in the buffer; nil: lex.
    @usableFromInline let tokens: UnsafePointer<SQLCompactToken>?
    /// With ``tokens``: the index of ``token`` and the end of the cursor's range.
    @usableFromInline var index: Int
    @usableFromInline let endIndex: Int
    /// Without ``tokens``: lexes the range.
    @usableFromInline var lexer: SQLLexer
    /// The current token (``SQLTokenKind/end`` past the range).
    @usableFromInline var token: SQLCompactToken
    /// The significant token before ``token`` (``SQLTokenKind/end`` at the start).
    @usableFromInline var previous: SQLCompactToken
    /// The significant token before ``previous``.
    @usableFromInline var beforePrevious: SQLCompactToken

    /// A cursor over `text[range]`, which starts and ends at token boundaries. With a complete
    /// `buffer` (the statement's tokens, lexed once by the splitter) it reads those; otherwise
    /// it lexes the range.
    @inlinable
    init(text: UnsafeRawBufferPointer, range: Range<Int>, standardConformingStrings: Bool, buffer: SQLTokenBuffer?) {
        lexer = SQLLexer(text: text, range: range, standardConformingStrings: standardConformingStrings)
        if let buffer, buffer.isComplete {
            tokens = UnsafePointer(buffer.base)
            index = buffer.firstIndex(startingAtOrAfter: range.lowerBound)
            endIndex = buffer.firstIndex(startingAtOrAfter: range.upperBound)
            token = index < endIndex ? buffer.base[index] : .end(at: lexer.limit)
        } else {
            tokens = nil
            index = 0
            endIndex = 0
            token = SQLCompactToken(lexer.nextSignificant())
        }
        previous = .end(at: range.lowerBound)
        beforePrevious = previous
    }

    @inlinable var keyword: SQLKeyword? { token.keyword }
    @inlinable var isAtEnd: Bool { token.kind == .end }
    @inlinable var kind: SQLTokenKind { token.kind }

    @inlinable
    mutating func advance() {
        beforePrevious = previous
        previous = token
        if let tokens {
            index &+= 1
            token = index < endIndex ? tokens[index] : .end(at: lexer.limit)
        } else {
            token = SQLCompactToken(lexer.nextSignificant())
        }
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
