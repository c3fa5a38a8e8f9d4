/// One statement of a query text, as the server's grammar would delimit it.
public struct SQLStatementSpan: Sendable, Hashable {
    /// From the first significant token to the end of the last one (semicolon excluded).
    public var start: Int
    public var end: Int
    /// The statement contains input PostgreSQL's scanner rejects (unterminated literal or
    /// comment, stray character ...), or unbalanced parentheses.
    public var isMalformed: Bool

    @inlinable
    public init(start: Int, end: Int, isMalformed: Bool) {
        self.start = start
        self.end = end
        self.isMalformed = isMalformed
    }
}

/// Splits a query text into statements at semicolons outside literals, comments, dollar
/// quotes, parentheses and `BEGIN ATOMIC ... END` bodies of `CREATE FUNCTION`/`PROCEDURE`.
///
/// Statements with no significant token (`;;`, comment only) are skipped. Iterating
/// allocates nothing.
public struct SQLStatementSplitter: IteratorProtocol, Sequence {
    @usableFromInline var lexer: SQLLexer

    @inlinable
    public init(text: UnsafeRawBufferPointer, standardConformingStrings: Bool = true) {
        self.lexer = SQLLexer(text: text, standardConformingStrings: standardConformingStrings)
        self.lexer.recognizesKeywords = false
    }

    /// A splitter that looks up the keyword of every identifier, for ``next(recording:)``.
    @inlinable
    init(text: UnsafeRawBufferPointer, standardConformingStrings: Bool, recognizesKeywords: Bool) {
        self.lexer = SQLLexer(text: text, standardConformingStrings: standardConformingStrings)
        self.lexer.recognizesKeywords = recognizesKeywords
    }

    @inlinable
    public mutating func next() -> SQLStatementSpan? {
        var none: SQLTokenBuffer? = nil
        return next(recording: &none)
    }

    /// The next statement; its significant tokens (keywords looked up when the splitter was
    /// made with `recognizesKeywords`) are recorded in `buffer` when there is one.
    @inlinable @inline(__always)
    mutating func next(recording buffer: inout SQLTokenBuffer?) -> SQLStatementSpan? {
        buffer?.count = 0
        var start = -1
        var end = -1
        var malformed = false
        var parenDepth = 0
        var atomicDepth = 0
        // Tracks "CREATE [OR REPLACE] FUNCTION|PROCEDURE" at the head of the statement.
        var headIndex = 0
        // 0 unknown, 1 after CREATE, 2 after OR, 3 after REPLACE, 4 routine, 5 other, 6 rule
        var headState: UInt8 = 0
        var previousWasBegin = false
        while true {
            let token = lexer.nextSignificant()
            if token.kind == .end { break }
            if token.kind == .semicolon && parenDepth == 0 && atomicDepth == 0 {
                if start >= 0 { return SQLStatementSpan(start: start, end: end, isMalformed: malformed) }
                // Empty statement: keep going.
                headIndex = 0
                headState = 0
                previousWasBegin = false
                malformed = false
                continue
            }
            if start < 0 { start = token.start }
            end = token.end
            buffer?.append(SQLCompactToken(token))
            switch token.kind {
            case .invalid:
                malformed = true
            case .leftParen:
                parenDepth &+= 1
            case .rightParen:
                if parenDepth == 0 { malformed = true } else { parenDepth &-= 1 }
            case .semicolon:
                // Inside parentheses or an atomic body: part of this statement. Only CREATE RULE
                // takes a parenthesized, semicolon-separated action list.
                if parenDepth > 0 && atomicDepth == 0 && headState != 6 { malformed = true }
            default:
                break
            }
            // Keywords matter only at the head and inside CREATE FUNCTION/PROCEDURE.
            var keyword: SQLKeyword? = nil
            if token.kind == .identifier && ((headState < 4 && headIndex < 4) || headState == 4) {
                keyword = lexer.recognizesKeywords
                    ? token.keyword : SQLKeywordTable.lookup(lexer.base, start: token.start, end: token.end)
            }
            if headState < 4 && headIndex < 4 {
                switch (headState, keyword) {
                case (0, .create) where headIndex == 0: headState = 1
                case (1, .or): headState = 2
                case (2, .replace): headState = 3
                case (1, .function), (1, .procedure), (3, .function), (3, .procedure): headState = 4
                case (1, .rule), (3, .rule): headState = 6
                default: headState = 5
                }
            }
            headIndex &+= 1
            if headState == 4 && parenDepth == 0 {
                if keyword == .atomic && previousWasBegin {
                    atomicDepth &+= 1
                } else if atomicDepth > 0 && keyword == .case {
                    atomicDepth &+= 1
                } else if atomicDepth > 0 && keyword == .end {
                    atomicDepth &-= 1
                }
            }
            previousWasBegin = keyword == .begin
        }
        guard start >= 0 else { return nil }
        if parenDepth != 0 || atomicDepth != 0 { malformed = true }
        return SQLStatementSpan(start: start, end: end, isMalformed: malformed)
    }
}
