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
    /// ``next(recording:)`` scans an identifier starting before this offset without bounds
    /// checks (see ``fastIdentifierLimit(of:classes:)``); 0 for a splitter that cannot record.
    @usableFromInline let fastIdentifierLimit: Int

    @inlinable
    public init(text: UnsafeRawBufferPointer, standardConformingStrings: Bool = true) {
        self.init(text: text, standardConformingStrings: standardConformingStrings, recognizesKeywords: false)
    }

    /// A splitter that looks up the keyword of every identifier, for ``next(recording:)``
    /// (which only such a splitter can call).
    @inlinable
    init(text: UnsafeRawBufferPointer, standardConformingStrings: Bool, recognizesKeywords: Bool) {
        self.lexer = SQLLexer(text: text, standardConformingStrings: standardConformingStrings)
        self.lexer.recognizesKeywords = recognizesKeywords
        if recognizesKeywords {
            let table = SQLKeywordTable.table
            self.lexer.keywordTable = table
            self.fastIdentifierLimit = Self.fastIdentifierLimit(of: text, classes: SQLKeywordTable.byteClasses(in: table))
        } else {
            self.fastIdentifierLimit = 0
        }
    }

    /// Where the unchecked identifier scan of ``next(recording:)`` must stop: an identifier
    /// starting before the returned offset has sixteen bytes of text from its start (for its
    /// keyword key) and ends before the text does, at a byte that cannot continue it, because
    /// the text's last such byte lies past its start. So the scan needs no bounds check and
    /// the byte after the name can be read.
    @inlinable
    static func fastIdentifierLimit(of text: UnsafeRawBufferPointer, classes: UnsafePointer<UInt8>) -> Int {
        guard text.count >= 16, let address = text.baseAddress else { return 0 }
        let bytes = address.assumingMemoryBound(to: UInt8.self)
        var last = text.count &- 1
        while last >= 0 && classes[Int(bytes[last])] & SQLByteClass.identifierContinue != 0 { last &-= 1 }
        return Swift.min(last, text.count &- 16)
    }

    /// The end of the identifier whose bytes continue at `index`, found without bounds
    /// checks: `index` must lie before a byte that cannot continue an identifier. Two bytes
    /// per pass (a name's second byte is read only when its first continues the name, so
    /// still before that byte).
    @inlinable @inline(__always)
    static func identifierEnd(from index: Int, bytes: UnsafePointer<UInt8>, classes: UnsafePointer<UInt8>) -> Int {
        var end = index
        while true {
            if classes[Int(bytes[end])] & SQLByteClass.identifierContinue == 0 { return end }
            if classes[Int(bytes[end &+ 1])] & SQLByteClass.identifierContinue == 0 { return end &+ 1 }
            end &+= 2
        }
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

    /// The next statement, its significant tokens (keywords looked up: the splitter must be
    /// made with `recognizesKeywords`) recorded in `buffer`.
    ///
    /// One tight loop over the bytes: a load from the ``SQLByteClass`` table picks what the
    /// byte starts; white space, `--` comments, plain identifiers (keyword looked up, but for
    /// a name right after a dot: see ``SQLCompactToken/keyword``), plain integers, `'...'`
    /// strings, operators and punctuation are scanned here (exactly as ``SQLLexer/next()``
    /// scans them), anything else through ``SQLLexer/next()``. Tokens go
    /// straight into the buffer; the boundary state only looks at parentheses, semicolons,
    /// invalid tokens and, while the statement head may be `CREATE FUNCTION`, keywords.
    @usableFromInline
    mutating func next(recording buffer: inout SQLTokenBuffer) -> SQLStatementSpan? {
        let tokens = buffer.base
        let capacity = buffer.capacity
        // The next token goes to `next` while it is before `tokensEnd`; `overflow` counts the
        // tokens past the buffer (a pointer and a bound rather than a count, a capacity and
        // the base: fewer values live across the loop).
        let tokensEnd = tokens + capacity
        var next = tokens
        var overflow = 0
        var state = SQLStatementBoundary()
        let limit = lexer.limit
        var index = lexer.cursor
        guard let address = lexer.base.baseAddress, index < limit else {
            buffer.count = 0
            return nil
        }
        let bytes = address.assumingMemoryBound(to: UInt8.self)
        // Every name's keyword is looked up (the rare starts through next(), which does so
        // only for a lexer that recognizes keywords).
        precondition(lexer.recognizesKeywords, "next(recording:) needs a splitter that recognizes keywords")
        let table = lexer.keywordTable ?? SQLKeywordTable.table
        let classes = SQLKeywordTable.byteClasses(in: table)
        let backslashEscapes = !lexer.standardConformingStrings
        let fastLimit = fastIdentifierLimit

        while index < limit {
            let start = index
            let b = bytes[start]
            let entry = classes[Int(b)]
            var kind: SQLTokenKind
            var keyword: SQLKeyword? = nil
            var end = start &+ 1
            switch entry & SQLByteClass.dispatchMask {
            case SQLByteClass.other, 13, 14, 15:
                // Every value of the four bits has a case (13-15 are no byte's), so the
                // compiler jumps through its table without a range check first.
                (kind, keyword, end) = slowToken(at: start, state: &state)
                if kind == .whitespace { index = end; continue }
            case SQLByteClass.whitespace:
                index = end
                continue
            case SQLByteClass.identifierStart:
                // Names near the end of the text (which need bounds checks) and `E'`, `N'`,
                // `B'`, `X'`, `U&'`, `U&"` (which start literals) are left to next().
                guard start < fastLimit, classes[Int(bytes[end])] & SQLByteClass.literalPrefixFollower == 0 else {
                    (kind, keyword, end) = slowToken(at: start, state: &state)
                    break
                }
                kind = .identifier
                end = Self.identifierEnd(from: end, bytes: bytes, classes: classes)
                // Any word: the key of one with a non-letter, or of the wrong length, matches
                // no keyword (see SQLKeywordTable), so no test and no branch.
                let word = UnsafeRawPointer(bytes + start)
                let (low, high) = SQLKeywordTable.key(
                    low: UInt64(littleEndian: word.loadUnaligned(as: UInt64.self)),
                    high: UInt64(littleEndian: (word + 8).loadUnaligned(as: UInt64.self)), count: end &- start,
                    in: table)
                keyword = SQLKeywordTable.lookup(low: low, high: high, in: table)
                Self.record(SQLCompactToken(kind: .identifier, keyword: keyword, start: start, end: end),
                            at: &next, before: tokensEnd, overflow: &overflow, state: &state)
                state.followHead(.identifier, keyword: keyword)
                // The name ends before a byte of the text: the space step needs no bounds test.
                index = bytes[end] == 0x20 ? end &+ 1 : end
                continue
            case SQLByteClass.digit:
                // A plain integer; a `.` or a name byte after the digits (a decimal, an
                // exponent, `$`, trailing junk) is left to next().
                while end < limit && SQLLexer.isDigit(bytes[end]) { end &+= 1 }
                if end < limit && (bytes[end] == 0x2E || classes[Int(bytes[end])] & SQLByteClass.identifierContinue != 0) {
                    (kind, keyword, end) = slowToken(at: start, state: &state)
                    break
                }
                kind = .number
            case SQLByteClass.leftParen:
                kind = .leftParen
                state.openParenthesis()
            case SQLByteClass.rightParen:
                kind = .rightParen
                state.closeParenthesis()
            case SQLByteClass.comma:
                kind = .comma
            case SQLByteClass.semicolon:
                kind = .semicolon
                if state.endsStatement {
                    index = end
                    let count = tokens.distance(to: next) &+ overflow
                    state.takeRange(of: tokens, count: count, capacity: capacity)
                    if let span = state.span {
                        lexer.cursor = index
                        buffer.count = count
                        return span
                    }
                    state = SQLStatementBoundary()  // Empty statement: keep going.
                    continue
                }
                state.takeInnerSemicolon()
            case SQLByteClass.quote:
                let error: SQLLexError?
                (end, error) = lexer.scanQuoted(from: end, backslashEscapes: backslashEscapes)
                if error == nil {
                    kind = .string
                } else {
                    kind = .invalid
                    state.malformed = true
                }
            case SQLByteClass.dot:
                let following = end < limit ? bytes[end] : 0
                if SQLLexer.isDigit(following) || following == 0x2E {
                    (kind, keyword, end) = slowToken(at: start, state: &state)
                    break
                }
                kind = .dot
                // A name right after the dot (`t.col`) is taken here with the dot, without a
                // keyword lookup: after a dot every word is a name (the analyzer reads no
                // keyword there). Past a routine's head only, where keywords no longer move
                // the statement's end (followHead does nothing for either token).
                if end < fastLimit, state.headState > 4,
                   classes[Int(following)] & SQLByteClass.dispatchMask == SQLByteClass.identifierStart,
                   classes[Int(bytes[end &+ 1])] & SQLByteClass.literalPrefixFollower == 0 {
                    Self.record(SQLCompactToken(kind: .dot, keyword: nil, start: start, end: end),
                                at: &next, before: tokensEnd, overflow: &overflow, state: &state)
                    let nameEnd = Self.identifierEnd(from: end &+ 1, bytes: bytes, classes: classes)
                    Self.record(SQLCompactToken(kind: .identifier, keyword: nil, start: end, end: nameEnd),
                                at: &next, before: tokensEnd, overflow: &overflow, state: &state)
                    // The name ends before a byte of the text that cannot continue it.
                    index = bytes[nameEnd] == 0x20 ? nameEnd &+ 1 : nameEnd
                    continue
                }
            case SQLByteClass.minus:
                if end < limit && bytes[end] == 0x2D {  // -- comment
                    index = lexer.scanLineComment(from: start)
                    continue
                }
                end = lexer.scanOperator(from: start)
                kind = .operator
            case SQLByteClass.slash:
                if end < limit && bytes[end] == 0x2A {  // /* comment
                    (kind, keyword, end) = slowToken(at: start, state: &state)
                    if kind == .whitespace { index = end; continue }
                    break
                }
                end = lexer.scanOperator(from: start)
                kind = .operator
            case SQLByteClass.operatorCharacter:
                end = lexer.scanOperator(from: start)
                kind = .operator
            default:
                // Not reached: the cases above name all sixteen values of the four bits.
                preconditionFailure("byte class outside the dispatch mask")
            }
            index = end
            Self.record(SQLCompactToken(kind: kind, keyword: keyword, start: start, end: end),
                        at: &next, before: tokensEnd, overflow: &overflow, state: &state)
            state.followHead(kind, keyword: keyword)
            // Most tokens are followed by one space: step over it here rather than with a pass
            // through the dispatch. This compiles to a compare and a conditional add; a real
            // branch (a loop over spaces) measured slower.
            if index < limit && bytes[index] == 0x20 { index &+= 1 }
        }
        lexer.cursor = index
        let count = tokens.distance(to: next) &+ overflow
        buffer.count = count
        state.takeRange(of: tokens, count: count, capacity: capacity)
        return state.finalSpan
    }

    /// Stores `token` at `next` when it is before `end`; past the buffer, counts it in
    /// `overflow` and extends `state`'s range to it.
    @inlinable @inline(__always)
    static func record(_ token: SQLCompactToken, at next: inout UnsafeMutablePointer<SQLCompactToken>,
                       before end: UnsafeMutablePointer<SQLCompactToken>, overflow: inout Int,
                       state: inout SQLStatementBoundary) {
        if next < end {
            next.pointee = token
            next += 1
        } else {
            state.extend(start: token.start, end: token.end)
            overflow &+= 1
        }
    }

    /// The token at `start` lexed by ``SQLLexer/next()`` (for the rare token starts), with
    /// trivia reported as ``SQLTokenKind/whitespace``; an invalid one makes `state` malformed.
    /// (The common starts cannot be invalid except a string: the loop tests no kind for it.)
    @inline(never) @usableFromInline
    mutating func slowToken(at start: Int, state: inout SQLStatementBoundary) -> (SQLTokenKind, SQLKeyword?, Int) {
        lexer.cursor = start
        let token = lexer.next()
        if token.kind == .invalid { state.malformed = true }
        return (token.isTrivia ? .whitespace : token.kind, token.keyword, token.end)
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
        switch kind {
        case .invalid: malformed = true
        case .leftParen: openParenthesis()
        case .rightParen: closeParenthesis()
        case .semicolon: takeInnerSemicolon()
        default: break
        }
        extend(start: start, end: end)
        followHead(kind, keyword: keyword)
    }

    @inlinable @inline(__always)
    mutating func openParenthesis() { parenDepth &+= 1 }

    /// An unbalanced `)` makes the statement malformed.
    @inlinable @inline(__always)
    mutating func closeParenthesis() {
        if parenDepth == 0 { malformed = true } else { parenDepth &-= 1 }
    }

    /// A semicolon that does not end the statement (inside parentheses or an atomic body).
    /// Only CREATE RULE takes a parenthesized, semicolon-separated action list.
    @inlinable @inline(__always)
    mutating func takeInnerSemicolon() {
        if parenDepth > 0 && atomicDepth == 0 && headState != 6 { malformed = true }
    }

    /// Extends the statement's range to a token.
    @inlinable @inline(__always)
    mutating func extend(start: Int, end: Int) {
        if self.start < 0 { self.start = start }
        self.end = end
    }

    /// Follows the statement's head with one more token.
    @inlinable @inline(__always)
    mutating func followHead(_ kind: SQLTokenKind, keyword: SQLKeyword?) {
        // Past the head of anything but a routine, keywords no longer matter.
        if headState > 4 { return }
        takeHead(kind, keyword: kind == .identifier ? keyword : nil)
    }

    /// Sets the range of a statement whose `count` tokens the splitter recorded at `tokens`
    /// (room for `capacity`) without extending it token by token: from the first stored
    /// token's start to the last one's end; what did not fit was extended as it came.
    @inlinable @inline(__always)
    mutating func takeRange(of tokens: UnsafeMutablePointer<SQLCompactToken>, count: Int, capacity: Int) {
        guard count > 0 else { return }
        if capacity > 0 { start = tokens[0].start }
        if count <= capacity { end = tokens[count &- 1].end }
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
