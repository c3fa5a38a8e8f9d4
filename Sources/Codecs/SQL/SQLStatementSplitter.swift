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
        if recognizesKeywords { self.lexer.keywordTable = SQLKeywordTable.table }
    }

    @inlinable
    public mutating func next() -> SQLStatementSpan? {
        var state = SQLStatementBoundary()
        while true {
            let token = lexer.nextSignificant()
            if token.kind == .end { break }
            if token.kind == .semicolon && state.endsStatement {
                if let span = state.span { return span }
                state = SQLStatementBoundary()  // Empty statement: keep going.
                continue
            }
            let keyword = token.kind == .identifier && state.needsKeywords
                ? (lexer.recognizesKeywords ? token.keyword : SQLKeywordTable.lookup(lexer.base, start: token.start, end: token.end))
                : nil
            state.take(token.kind, keyword: keyword, start: token.start, end: token.end)
        }
        return state.finalSpan
    }

    /// The next statement, its significant tokens (keywords looked up when the splitter was
    /// made with `recognizesKeywords`) recorded in `buffer`.
    @inlinable
    mutating func next(recording buffer: inout SQLTokenBuffer) -> SQLStatementSpan? {
        let tokens = buffer.base
        let capacity = buffer.capacity
        var count = 0
        defer { buffer.count = count }
        var state = SQLStatementBoundary()
        while true {
            let token = lexer.nextSignificant()
            if token.kind == .end { break }
            if token.kind == .semicolon && state.endsStatement {
                if let span = state.span { return span }
                state = SQLStatementBoundary()  // Empty statement: keep going.
                continue
            }
            if count < capacity { tokens[count] = SQLCompactToken(token) }
            count &+= 1
            state.take(token.kind, keyword: token.keyword, start: token.start, end: token.end)
        }
        return state.finalSpan
    }
}

/// Where a statement ends: parenthesis depth, `BEGIN ATOMIC ... END` bodies of
/// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, and what the statement's head is.
@usableFromInline
struct SQLStatementBoundary {
    @usableFromInline var start = -1
    @usableFromInline var end = -1
    @usableFromInline var malformed = false
    @usableFromInline var parenDepth = 0
    @usableFromInline var atomicDepth = 0
    /// Tracks "CREATE [OR REPLACE] FUNCTION|PROCEDURE" at the head of the statement.
    @usableFromInline var headIndex = 0
    /// 0 unknown, 1 after CREATE, 2 after OR, 3 after REPLACE, 4 routine, 5 other, 6 rule.
    /// From the fifth token on it is 4, 5 or 6.
    @usableFromInline var headState: UInt8 = 0
    @usableFromInline var previousWasBegin = false

    @inlinable init() {}

    /// Whether a semicolon now ends the statement (outside parentheses and atomic bodies).
    @inlinable var endsStatement: Bool {
        @inline(__always) get { parenDepth == 0 && atomicDepth == 0 }
    }

    /// Whether an identifier's keyword matters: at the head and inside CREATE FUNCTION/PROCEDURE.
    @inlinable var needsKeywords: Bool {
        @inline(__always) get { (headState < 4 && headIndex < 4) || headState == 4 }
    }

    /// The statement taken so far, nil when it has no token.
    @inlinable var span: SQLStatementSpan? {
        @inline(__always) get {
            start >= 0 ? SQLStatementSpan(start: start, end: end, isMalformed: malformed) : nil
        }
    }

    /// The last statement, at the end of the text (unclosed parentheses or bodies are malformed).
    @inlinable var finalSpan: SQLStatementSpan? {
        guard start >= 0 else { return nil }
        return SQLStatementSpan(start: start, end: end,
                                isMalformed: malformed || parenDepth != 0 || atomicDepth != 0)
    }

    /// Takes one significant token of the statement (a semicolon only when it does not end it);
    /// `keyword` is needed only where ``needsKeywords`` is true.
    @inlinable @inline(__always)
    mutating func take(_ kind: SQLTokenKind, keyword: SQLKeyword?, start: Int, end: Int) {
        if self.start < 0 { self.start = start }
        self.end = end
        switch kind {
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
        // Past the head of anything but a routine, keywords no longer matter.
        if headState > 4 { return }
        takeHead(kind, keyword: kind == .identifier ? keyword : nil)
    }

    @inlinable
    mutating func takeHead(_ kind: SQLTokenKind, keyword: SQLKeyword?) {
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
}
