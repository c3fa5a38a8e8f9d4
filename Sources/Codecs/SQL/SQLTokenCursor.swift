/// A cursor over the significant tokens of a byte range, with one token of history.
///
/// A value type: copying it saves a position, assigning a copy back restores it.
@usableFromInline
struct SQLTokenCursor {
    @usableFromInline var lexer: SQLLexer
    /// The current token (``SQLTokenKind/end`` past the range).
    @usableFromInline var token: SQLToken
    /// The significant token before ``token`` (``SQLTokenKind/end`` at the start).
    @usableFromInline var previous: SQLToken
    /// The significant token before ``previous``.
    @usableFromInline var beforePrevious: SQLToken

    @inlinable
    init(text: UnsafeRawBufferPointer, range: Range<Int>, standardConformingStrings: Bool) {
        lexer = SQLLexer(text: text, range: range, standardConformingStrings: standardConformingStrings)
        token = lexer.nextSignificant()
        previous = SQLToken(kind: .end, start: range.lowerBound, end: range.lowerBound)
        beforePrevious = previous
    }

    @inlinable var keyword: SQLKeyword? { token.keyword }
    @inlinable var isAtEnd: Bool { token.kind == .end }
    @inlinable var kind: SQLTokenKind { token.kind }

    @inlinable
    mutating func advance() {
        beforePrevious = previous
        previous = token
        token = lexer.nextSignificant()
    }

    /// The token after the current one.
    @inlinable
    func peek() -> SQLToken {
        var copy = lexer
        return copy.nextSignificant()
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
