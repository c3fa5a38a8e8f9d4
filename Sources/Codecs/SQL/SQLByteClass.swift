/// What a byte can start or continue in PostgreSQL's SQL lexing, one table entry per byte
/// value, so that the splitter's lexing loop dispatches on one load.
///
/// An entry is a dispatch code (the low four bits: which token the byte starts, or
/// ``other`` for the rare ones the full ``SQLLexer/next()`` handles) and two flags: the byte
/// continues an identifier (``identifierContinue``), or may follow a literal's prefix letter
/// (``literalPrefixFollower``). The table lives behind
/// ``SQLKeywordTable/table`` at ``SQLKeywordTable/byteClassesOffset``.
@usableFromInline
enum SQLByteClass {
    /// Rare starts (`$`, `"`, `:`, `[`, `]`, stray bytes): left to ``SQLLexer/next()``.
    @usableFromInline static let other: UInt8 = 0
    @usableFromInline static let whitespace: UInt8 = 1
    /// Letters, `_` and bytes 0x80-0xFF.
    @usableFromInline static let identifierStart: UInt8 = 2
    @usableFromInline static let leftParen: UInt8 = 3
    @usableFromInline static let rightParen: UInt8 = 4
    @usableFromInline static let comma: UInt8 = 5
    @usableFromInline static let semicolon: UInt8 = 6
    @usableFromInline static let dot: UInt8 = 7
    @usableFromInline static let quote: UInt8 = 8
    /// Operator characters other than `-` and `/` (which may start comments).
    @usableFromInline static let operatorCharacter: UInt8 = 9
    @usableFromInline static let minus: UInt8 = 10
    @usableFromInline static let slash: UInt8 = 11
    /// Digits (plain integers; decimals, exponents and trailing junk are left to ``SQLLexer/next()``).
    @usableFromInline static let digit: UInt8 = 12

    /// The low bits of an entry that say which token the byte starts.
    @usableFromInline static let dispatchMask: UInt8 = 0x0F
    /// The byte may continue an unquoted identifier: letters, digits, `_`, `$`, 0x80-0xFF.
    @usableFromInline static let identifierContinue: UInt8 = 0x80
    /// After a letter the byte may make it a literal's prefix: `'` (`E'`, `N'`, `B'`, `X'`)
    /// or `&` (`U&'`, `U&"`).
    @usableFromInline static let literalPrefixFollower: UInt8 = 0x40

    /// The 256 entries (built once, into ``SQLKeywordTable/table``'s allocation).
    @usableFromInline
    static var table: [UInt8] {
        var entries = [UInt8](repeating: other, count: 256)
        for byte in 0..<256 {
            let b = UInt8(byte)
            if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
                entries[byte] = whitespace
            } else if SQLLexer.isLetter(b) || b == UInt8(ascii: "_") || b >= 0x80 {
                entries[byte] = identifierStart | identifierContinue
            } else if SQLLexer.isDigit(b) {
                entries[byte] = digit | identifierContinue
            } else if b == UInt8(ascii: "$") {
                entries[byte] = other | identifierContinue
            } else {
                switch b {
                case UInt8(ascii: "("): entries[byte] = leftParen
                case UInt8(ascii: ")"): entries[byte] = rightParen
                case UInt8(ascii: ","): entries[byte] = comma
                case UInt8(ascii: ";"): entries[byte] = semicolon
                case UInt8(ascii: "."): entries[byte] = dot
                case UInt8(ascii: "'"): entries[byte] = quote | literalPrefixFollower
                case UInt8(ascii: "&"): entries[byte] = operatorCharacter | literalPrefixFollower
                case UInt8(ascii: "-"): entries[byte] = minus
                case UInt8(ascii: "/"): entries[byte] = slash
                default: entries[byte] = SQLLexer.isOperatorCharacter(b) ? operatorCharacter : other
                }
            }
        }
        return entries
    }
}
