/// A lexer for PostgreSQL's SQL dialect over UTF-8 bytes, exact about where tokens begin and end.
///
/// It follows the rules of PostgreSQL 15's scanner (`src/backend/parser/scan.l`):
/// nested `/* */` comments, `--` comments, `'...'` with `''` doubling, `E'...'` with
/// backslash escapes, plain strings with backslash escapes when standard_conforming_strings is
/// off, `$tag$...$tag$` dollar quotes, `"..."` identifiers with `""` doubling, `U&"..."`,
/// `U&'...'`, `B'...'`, `X'...'`, `N'...'`, positional parameters and operators (cut short at
/// a comment start, as PostgreSQL does). Bytes 0x80-0xFF are identifier characters, so
/// Unicode white space (for example U+00A0) is *not* white space. Vertical tab is taken as
/// white space, as PostgreSQL 16 does (PostgreSQL 15 rejects it, which makes the whole query
/// fail).
///
/// The lexer borrows the bytes and allocates nothing; tokens carry byte offsets.
public struct SQLLexer {
    @usableFromInline let base: UnsafeRawBufferPointer
    /// Where the next token starts.
    @inlinable public var position: Int { cursor }
    @usableFromInline var cursor: Int
    @usableFromInline let limit: Int
    /// When false, backslashes escape characters in plain `'...'` strings too.
    public let standardConformingStrings: Bool
    /// When false, identifiers are returned without a keyword lookup (the caller looks up the
    /// few it needs with ``SQLKeyword/lookup(_:)``).
    public var recognizesKeywords: Bool = true
    /// ``SQLKeywordTable/table`` when the owner fetched it once (the splitter does), so that
    /// identifiers need no lazy-global check; nil: fetched per lookup (making a lexer stays
    /// cheap for the analyzer's cursors, which rarely lex).
    @usableFromInline var keywordTable: UnsafePointer<SQLKeywordTable.Slot>?

    /// A lexer over `text[range]` (the whole buffer when `range` is nil).
    @inlinable @inline(__always)
    public init(text: UnsafeRawBufferPointer, range: Range<Int>? = nil, standardConformingStrings: Bool = true) {
        self.base = text
        let range = range ?? 0..<text.count
        self.cursor = max(0, min(range.lowerBound, text.count))
        self.limit = max(self.cursor, min(range.upperBound, text.count))
        self.standardConformingStrings = standardConformingStrings
        self.keywordTable = nil
    }

    @inline(__always) @usableFromInline
    func byte(at index: Int) -> UInt8 {
        index < limit ? base[index] : 0
    }

    @inline(__always) @usableFromInline
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || (b >= 0x09 && b <= 0x0D)
    }

    @inline(__always) @usableFromInline
    static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b == 0x5F || b >= 0x80
    }

    /// Letters, digits, `_`, `$` and bytes 0x80-0xFF, tested with two 64-bit masks.
    @inline(__always) @usableFromInline
    static func isIdentifierContinue(_ b: UInt8) -> Bool {
        // 0x00-0x3F: `$` and digits. 0x40-0x7F: A-Z, `_`, a-z.
        let low: UInt64 = (1 << 0x24) | (0x3FF << 0x30)
        let high: UInt64 = (0x3FF_FFFF << 0x01) | (1 << 0x1F) | (0x3FF_FFFF << 0x21)
        if b >= 0x80 { return true }
        return ((b < 0x40 ? low : high) >> UInt64(b & 0x3F)) & 1 != 0
    }

    /// An ASCII letter.
    @inline(__always) @usableFromInline
    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

    /// The end of the identifier whose first byte is at `start`, and whether all its bytes are
    /// ASCII letters (only then can it spell a keyword: every keyword is letters only).
    @inline(__always) @usableFromInline
    func scanIdentifier(from start: Int) -> (end: Int, onlyLetters: Bool) {
        var end = start &+ 1
        var onlyLetters = Self.isLetter(base[start])
        while end < limit {
            let c = base[end]
            if Self.isLetter(c) {
                end &+= 1
            } else if Self.isIdentifierContinue(c) {
                onlyLetters = false
                end &+= 1
            } else {
                break
            }
        }
        return (end, onlyLetters)
    }

    /// The keyword an unquoted identifier `base[start..<end]` spells, when keywords are
    /// recognized and the identifier is letters only.
    @inline(__always) @usableFromInline
    func keyword(start: Int, end: Int, onlyLetters: Bool) -> SQLKeyword? {
        // Keywords have 2 to 15 letters: one-letter aliases (`c.id`) need no lookup.
        guard recognizesKeywords && onlyLetters && end &- start >= 2 && end &- start <= SQLKeywordTable.maximumLength
        else { return nil }
        return lookupKeyword(start: start, end: end)
    }

    @inline(never) @usableFromInline
    func lookupKeyword(start: Int, end: Int) -> SQLKeyword? {
        SQLKeywordTable.lookup(base, start: start, end: end, in: keywordTable ?? SQLKeywordTable.table)
    }

    @inline(__always) @usableFromInline
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// `~ ! @ # ^ & | ` ? + - * / % < > =`
    @inline(__always) @usableFromInline
    static func isOperatorCharacter(_ b: UInt8) -> Bool {
        switch b {
        case 0x7E, 0x21, 0x40, 0x23, 0x5E, 0x26, 0x7C, 0x60, 0x3F, 0x2B, 0x2D, 0x2A, 0x2F, 0x25, 0x3C, 0x3E, 0x3D:
            return true
        default:
            return false
        }
    }

    /// The next token, trivia (white space, comments) included; ``SQLTokenKind/end`` at the end.
    @inlinable
    public mutating func next() -> SQLToken {
        let start = cursor
        guard start < limit else { return SQLToken(kind: .end, start: limit, end: limit) }
        let b = base[start]
        let kind: SQLTokenKind
        var error: SQLLexError? = nil
        var keyword: SQLKeyword? = nil
        var end = start &+ 1

        switch b {
        case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
            while end < limit && Self.isWhitespace(base[end]) { end &+= 1 }
            kind = .whitespace
        case 0x2D where byte(at: start &+ 1) == 0x2D:  // --
            end = scanLineComment(from: start)
            kind = .lineComment
        case 0x2F where byte(at: start &+ 1) == 0x2A:  // /*
            (end, error) = scanBlockComment(from: start)
            kind = error == nil ? .blockComment : .invalid
        case 0x27:  // '
            (end, error) = scanQuoted(from: start &+ 1, backslashEscapes: !standardConformingStrings)
            kind = error == nil ? .string : .invalid
        case 0x22:  // "
            (end, error) = scanQuotedIdentifier(from: start &+ 1)
            kind = error == nil ? .quotedIdentifier : .invalid
        case 0x24:  // $
            (kind, end, error) = scanDollar(from: start)
        case 0x28: kind = .leftParen
        case 0x29: kind = .rightParen
        case 0x5B: kind = .leftBracket
        case 0x5D: kind = .rightBracket
        case 0x2C: kind = .comma
        case 0x3B: kind = .semicolon
        case 0x2E:  // .
            if Self.isDigit(byte(at: start &+ 1)) {
                (kind, end, error) = scanNumber(from: start)
            } else if byte(at: start &+ 1) == 0x2E {
                end = start &+ 2
                kind = .operator
            } else {
                kind = .dot
            }
        case 0x3A:  // :
            let next = byte(at: start &+ 1)
            if next == 0x3A || next == 0x3D {
                end = start &+ 2
                kind = .operator
            } else {
                kind = .colon
            }
        case 0x30...0x39:
            (kind, end, error) = scanNumber(from: start)
        default:
            if Self.isIdentifierStart(b) {
                let next = byte(at: start &+ 1)
                let lower = b | 0x20
                if next == 0x27 && (lower == 0x65 /* e */) {
                    (end, error) = scanQuoted(from: start &+ 2, backslashEscapes: true)
                    kind = error == nil ? .escapeString : .invalid
                } else if next == 0x27 && lower == 0x6E /* n */ {
                    (end, error) = scanQuoted(from: start &+ 2, backslashEscapes: !standardConformingStrings)
                    kind = error == nil ? .string : .invalid
                } else if next == 0x27 && (lower == 0x62 /* b */ || lower == 0x78 /* x */) {
                    (end, error) = scanUntilQuote(from: start &+ 2)
                    if let failure = error {
                        _ = failure
                        error = lower == 0x62 ? .unterminatedBitString : .unterminatedHexString
                        kind = .invalid
                    } else {
                        kind = lower == 0x62 ? .bitString : .hexString
                    }
                } else if lower == 0x75 /* u */ && next == 0x26 /* & */ && byte(at: start &+ 2) == 0x27 {
                    if standardConformingStrings {
                        (end, error) = scanQuoted(from: start &+ 3, backslashEscapes: false)
                        kind = error == nil ? .unicodeString : .invalid
                    } else {
                        // PostgreSQL refuses the whole query; skip the literal as if it were one.
                        (end, _) = scanQuoted(from: start &+ 3, backslashEscapes: false)
                        error = .unicodeStringWithoutStandardConformingStrings
                        kind = .invalid
                    }
                } else if lower == 0x75 && next == 0x26 && byte(at: start &+ 2) == 0x22 {
                    (end, error) = scanQuotedIdentifier(from: start &+ 3)
                    kind = error == nil ? .unicodeQuotedIdentifier : .invalid
                } else {
                    let onlyLetters: Bool
                    (end, onlyLetters) = scanIdentifier(from: start)
                    kind = .identifier
                    keyword = self.keyword(start: start, end: end, onlyLetters: onlyLetters)
                }
            } else if Self.isOperatorCharacter(b) {
                end = scanOperator(from: start)
                kind = .operator
            } else {
                kind = .invalid
                error = .unexpectedCharacter
            }
        }
        cursor = end
        return SQLToken(kind: kind, keyword: keyword, error: error, start: start, end: end)
    }

    /// The next token that is not white space or a comment.
    ///
    /// White space, `--` comments, plain identifiers, `'...'` strings, operators and one-byte
    /// punctuation are scanned here directly (exactly as ``next()`` would); anything else goes
    /// through ``next()``.
    @inlinable @inline(__always)
    public mutating func nextSignificant() -> SQLToken {
        while true {
            var index = cursor
            while index < limit && Self.isWhitespace(base[index]) { index &+= 1 }
            cursor = index
            guard index < limit else { return SQLToken(kind: .end, start: limit, end: limit) }
            let b = base[index]
            if Self.isIdentifierStart(b) {
                // `E'`, `N'`, `B'`, `X'`, `U&'`, `U&"` start literals: left to next().
                let following = byte(at: index &+ 1)
                if following != 0x27 && following != 0x26 {
                    let (end, onlyLetters) = scanIdentifier(from: index)
                    cursor = end
                    let keyword = self.keyword(start: index, end: end, onlyLetters: onlyLetters)
                    return SQLToken(kind: .identifier, keyword: keyword, start: index, end: end)
                }
            } else {
                let kind: SQLTokenKind
                switch b {
                case 0x28: kind = .leftParen
                case 0x29: kind = .rightParen
                case 0x2C: kind = .comma
                case 0x3B: kind = .semicolon
                case 0x2D where byte(at: index &+ 1) == 0x2D:  // -- comment
                    cursor = scanLineComment(from: index)
                    continue
                case 0x27:  // '...'
                    let (end, error) = scanQuoted(from: index &+ 1, backslashEscapes: !standardConformingStrings)
                    cursor = end
                    return SQLToken(kind: error == nil ? .string : .invalid, error: error, start: index, end: end)
                case 0x2E where !Self.isDigit(byte(at: index &+ 1)) && byte(at: index &+ 1) != 0x2E:
                    kind = .dot
                case 0x2F where byte(at: index &+ 1) == 0x2A:  // /* comment: next() scans it
                    let token = next()
                    if token.isTrivia { continue }
                    return token
                default:
                    if Self.isOperatorCharacter(b) {
                        // (`--` and `/*` are taken above.)
                        let end = scanOperator(from: index)
                        cursor = end
                        return SQLToken(kind: .operator, start: index, end: end)
                    }
                    let token = next()
                    if token.isTrivia { continue }
                    return token
                }
                cursor = index &+ 1
                return SQLToken(kind: kind, start: index, end: index &+ 1)
            }
            let token = next()
            if !token.isTrivia { return token }
        }
    }

    /// The end of the `--` comment starting at `start`: the next line feed or carriage return
    /// (not included), or the end of the text.
    @inlinable @inline(__always)
    func scanLineComment(from start: Int) -> Int {
        var end = start &+ 2
        while end < limit && base[end] != 0x0A && base[end] != 0x0D { end &+= 1 }
        return end
    }

    /// Skips a (nested) block comment starting at `start` (which holds `/*`).
    @inlinable
    func scanBlockComment(from start: Int) -> (Int, SQLLexError?) {
        var depth = 1
        var index = start &+ 2
        while index < limit {
            let c = base[index]
            if c == 0x2F && byte(at: index &+ 1) == 0x2A {
                depth &+= 1
                index &+= 2
            } else if c == 0x2A && byte(at: index &+ 1) == 0x2F {
                depth &-= 1
                index &+= 2
                if depth == 0 { return (index, nil) }
            } else {
                index &+= 1
            }
        }
        return (limit, .unterminatedBlockComment)
    }

    /// Scans the body of a `'...'` literal from just after its opening quote; `''` stands
    /// for one quote, and with `backslashEscapes` a backslash escapes the next byte.
    @inlinable
    func scanQuoted(from bodyStart: Int, backslashEscapes: Bool) -> (Int, SQLLexError?) {
        var index = bodyStart
        while index < limit {
            let c = base[index]
            if c == 0x27 {
                if byte(at: index &+ 1) == 0x27 && index &+ 1 < limit {
                    index &+= 2
                    continue
                }
                return (index &+ 1, nil)
            }
            if c == 0x5C && backslashEscapes {
                index &+= 2
                continue
            }
            index &+= 1
        }
        return (limit, .unterminatedQuotedString)
    }

    /// Scans `B'...'`/`X'...'` bodies, which end at the first quote (no doubling).
    @inlinable
    func scanUntilQuote(from bodyStart: Int) -> (Int, SQLLexError?) {
        var index = bodyStart
        while index < limit {
            if base[index] == 0x27 { return (index &+ 1, nil) }
            index &+= 1
        }
        return (limit, .unterminatedQuotedString)
    }

    /// Scans a quoted identifier body from just after its opening `"`.
    @inlinable
    func scanQuotedIdentifier(from bodyStart: Int) -> (Int, SQLLexError?) {
        var index = bodyStart
        while index < limit {
            if base[index] == 0x22 {
                if byte(at: index &+ 1) == 0x22 && index &+ 1 < limit {
                    index &+= 2
                    continue
                }
                return (index &+ 1, index == bodyStart ? .zeroLengthIdentifier : nil)
            }
            index &+= 1
        }
        return (limit, .unterminatedQuotedIdentifier)
    }

    /// `$1` parameters and `$tag$...$tag$` strings; any other `$` is rejected by PostgreSQL.
    @inlinable
    func scanDollar(from start: Int) -> (SQLTokenKind, Int, SQLLexError?) {
        var index = start &+ 1
        if Self.isDigit(byte(at: index)) {
            while index < limit && Self.isDigit(base[index]) { index &+= 1 }
            if index < limit && Self.isIdentifierStart(base[index]) {
                // "trailing junk after parameter"
                while index < limit && Self.isIdentifierContinue(base[index]) { index &+= 1 }
                return (.invalid, index, .unexpectedCharacter)
            }
            return (.parameter, index, nil)
        }
        // Tag: empty, or dolq_start dolq_cont*.
        if index < limit && base[index] != 0x24 {
            guard Self.isIdentifierStart(base[index]) else { return (.invalid, start &+ 1, .unexpectedCharacter) }
            index &+= 1
            while index < limit && (Self.isIdentifierStart(base[index]) || Self.isDigit(base[index])) { index &+= 1 }
        }
        guard index < limit && base[index] == 0x24 else { return (.invalid, start &+ 1, .unexpectedCharacter) }
        let delimiterLength = index &+ 1 &- start
        var search = index &+ 1
        // Find the first occurrence of the same delimiter.
        while search &+ delimiterLength <= limit {
            if base[search] == 0x24 {
                var matched = true
                var k = 1
                while k < delimiterLength {
                    if base[search &+ k] != base[start &+ k] { matched = false; break }
                    k &+= 1
                }
                if matched { return (.dollarString, search &+ delimiterLength, nil) }
            }
            search &+= 1
        }
        return (.invalid, limit, .unterminatedDollarQuote)
    }

    /// Integers, decimals and reals; identifier characters right after a number are kept in
    /// the token and make it invalid ("trailing junk after numeric literal").
    @inlinable
    func scanNumber(from start: Int) -> (SQLTokenKind, Int, SQLLexError?) {
        var index = start
        while index < limit && Self.isDigit(base[index]) { index &+= 1 }
        if index < limit && base[index] == 0x2E && byte(at: index &+ 1) != 0x2E {
            index &+= 1
            while index < limit && Self.isDigit(base[index]) { index &+= 1 }
        }
        if index < limit && (base[index] | 0x20) == 0x65 {
            var exponent = index &+ 1
            if exponent < limit && (base[exponent] == 0x2B || base[exponent] == 0x2D) { exponent &+= 1 }
            if exponent < limit && Self.isDigit(base[exponent]) {
                index = exponent
                while index < limit && Self.isDigit(base[index]) { index &+= 1 }
            }
        }
        if index < limit && Self.isIdentifierStart(base[index]) {
            while index < limit && Self.isIdentifierContinue(base[index]) { index &+= 1 }
            return (.invalid, index, .unexpectedCharacter)
        }
        return (.number, index, nil)
    }

    /// A run of operator characters, cut before any `/*` or `--` inside it.
    @inlinable
    func scanOperator(from start: Int) -> Int {
        var index = start &+ 1
        while index < limit && Self.isOperatorCharacter(base[index]) {
            let c = base[index]
            if (c == 0x2A && base[index &- 1] == 0x2F) || (c == 0x2D && base[index &- 1] == 0x2D) {
                // The comment starts at index - 1.
                return index &- 1 > start ? index &- 1 : index
            }
            index &+= 1
        }
        return index
    }
}
