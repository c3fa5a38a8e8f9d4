/// The kind of a lexical token of PostgreSQL's SQL dialect.
public enum SQLTokenKind: Sendable, Hashable {
    /// Spaces, tabs, newlines, form feeds, carriage returns and vertical tabs.
    case whitespace
    /// `-- ...` up to the end of the line.
    case lineComment
    /// `/* ... */`, which nests in PostgreSQL.
    case blockComment
    /// An unquoted identifier or keyword (see ``SQLToken/keyword``).
    case identifier
    /// `"..."`, with `""` standing for one quote.
    case quotedIdentifier
    /// `U&"..."` (Unicode escapes; a `UESCAPE` clause may follow as separate tokens).
    case unicodeQuotedIdentifier
    /// `'...'` (and `N'...'`); backslashes escape only when standard_conforming_strings is off.
    case string
    /// `E'...'`: backslash escapes always apply.
    case escapeString
    /// `U&'...'`.
    case unicodeString
    /// `B'...'`.
    case bitString
    /// `X'...'`.
    case hexString
    /// `$$...$$` or `$tag$...$tag$`.
    case dollarString
    /// An integer or decimal literal (PostgreSQL 15 rejects trailing identifier characters:
    /// they are kept in the same token).
    case number
    /// A positional parameter: `$1`.
    case parameter
    /// `(`
    case leftParen
    /// `)`
    case rightParen
    /// `[`
    case leftBracket
    /// `]`
    case rightBracket
    /// `,`
    case comma
    /// `;`
    case semicolon
    /// `.`
    case dot
    /// `:` (slice bounds), `::` is an ``operator``.
    case colon
    /// Any operator: `+`, `::`, `<=`, `->>`, `=>`, `:=`, ...
    case `operator`
    /// Input PostgreSQL's scanner rejects; see ``SQLToken/error``.
    case invalid
    /// The end of the input (an empty token).
    case end
}

/// Why the lexer rejected input, in the words of PostgreSQL's scanner errors.
public enum SQLLexError: Sendable, Hashable {
    case unterminatedBlockComment
    case unterminatedQuotedString
    case unterminatedQuotedIdentifier
    case unterminatedDollarQuote
    case unterminatedBitString
    case unterminatedHexString
    case zeroLengthIdentifier
    /// `U&'...'` while standard_conforming_strings is off ("unsafe use of string constant
    /// with Unicode escapes").
    case unicodeStringWithoutStandardConformingStrings
    /// A byte no token can start with (a stray `\`, `$`, control character, ...).
    case unexpectedCharacter
}

/// One token: its kind, where it lies in the text, and the keyword it spells, if any.
public struct SQLToken: Sendable, Hashable {
    public var kind: SQLTokenKind
    /// The keyword an unquoted identifier spells (case-insensitively), if the classifier knows it.
    public var keyword: SQLKeyword?
    /// Set when ``kind`` is ``SQLTokenKind/invalid``.
    public var error: SQLLexError?
    /// Byte offset of the first byte.
    public var start: Int
    /// Byte offset one past the last byte.
    public var end: Int

    @inlinable
    public init(kind: SQLTokenKind, keyword: SQLKeyword? = nil, error: SQLLexError? = nil, start: Int, end: Int) {
        self.kind = kind
        self.keyword = keyword
        self.error = error
        self.start = start
        self.end = end
    }

    /// The token's bytes as a ``ByteRange``.
    @inlinable public var range: ByteRange {
        ByteRange(start: Int32(truncatingIfNeeded: start), count: Int32(truncatingIfNeeded: end &- start))
    }

    /// Whitespace and comments: insignificant to the grammar.
    @inlinable public var isTrivia: Bool {
        kind == .whitespace || kind == .lineComment || kind == .blockComment
    }

    /// A string literal of any form.
    @inlinable public var isStringLiteral: Bool {
        switch kind {
        case .string, .escapeString, .unicodeString, .bitString, .hexString, .dollarString: return true
        default: return false
        }
    }

    /// An identifier, quoted or not (keywords included).
    @inlinable public var isName: Bool {
        kind == .identifier || kind == .quotedIdentifier || kind == .unicodeQuotedIdentifier
    }
}
