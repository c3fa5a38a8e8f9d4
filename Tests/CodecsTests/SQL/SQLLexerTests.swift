import Codecs
import Testing

@Suite struct SQLLexerTests {
    func tokens(_ sql: String, scs: Bool = true) -> [(SQLTokenKind, String)] {
        var copy = sql
        return copy.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            var lexer = SQLLexer(text: bytes, standardConformingStrings: scs)
            var result: [(SQLTokenKind, String)] = []
            while true {
                let token = lexer.next()
                if token.kind == .end { break }
                result.append((token.kind, String(decoding: bytes[token.start..<token.end], as: UTF8.self)))
            }
            return result
        }
    }

    func kinds(_ sql: String, scs: Bool = true) -> [SQLTokenKind] {
        tokens(sql, scs: scs).map(\.0).filter { $0 != .whitespace }
    }

    @Test func literals() {
        #expect(kinds("'a''b' E'\\'' B'01' X'ff' N'n' U&'u' $$x$$ $t$y$t$ 1.5e3 .5 $1") ==
                [.string, .escapeString, .bitString, .hexString, .string, .unicodeString, .dollarString,
                 .dollarString, .number, .number, .parameter])
        #expect(tokens("'a\\' x'").first?.1 == "'a\\'")
        #expect(tokens("'a\\' x'", scs: false).first?.1 == "'a\\' x'")
        #expect(tokens("B'1''0'").map(\.1) == ["B'1'", "'0'"])
    }

    @Test func identifiersAndKeywords() {
        let lexed = tokens("SeLeCt \"a\"\"b\" U&\"c\" a$$b_1 é")
        #expect(lexed.filter { $0.0 != .whitespace }.map(\.1) == ["SeLeCt", "\"a\"\"b\"", "U&\"c\"", "a$$b_1", "é"])
        var text = "SeLeCt"
        text.withUTF8 { #expect(SQLKeyword.lookup(UnsafeRawBufferPointer($0)) == .select) }
        text = "selects"
        text.withUTF8 { #expect(SQLKeyword.lookup(UnsafeRawBufferPointer($0)) == nil) }
    }

    /// The keyword table is a perfect hash: every keyword, in any case, near the end of the
    /// text (bytes gathered) or followed by more text (16-byte loads), finds itself; words
    /// one letter longer or shorter, or with a digit, `_` or a non-ASCII byte in place of a
    /// letter, find nothing unless they spell another keyword.
    @Test func everyKeywordLooksUpToItself() {
        let spellings = Set(SQLKeyword.allCases.map(\.spelling))
        func lookup(_ word: String, padded: Bool) -> SQLKeyword? {
            var text = padded ? word + " x                    " : word
            return text.withUTF8 { utf8 in
                var lexer = SQLLexer(text: UnsafeRawBufferPointer(utf8))
                let token = lexer.next()
                return token.kind == .identifier && token.end == word.utf8.count ? token.keyword : nil
            }
        }
        for keyword in SQLKeyword.allCases {
            let spelling = keyword.spelling
            for padded in [false, true] {
                #expect(lookup(spelling, padded: padded) == keyword)
                #expect(lookup(spelling.uppercased(), padded: padded) == keyword)
                for variant in [spelling + "s", String(spelling.dropLast()), spelling + "1", "_" + spelling,
                                String(spelling.dropLast()) + "é", spelling + spelling] {
                    #expect(lookup(variant, padded: padded) == (spellings.contains(variant) ? SQLKeyword.allCases.first { $0.spelling == variant } : nil),
                            "\(variant)")
                }
            }
        }
    }

    @Test func comments() {
        #expect(kinds("/* a /* b */ c */x") == [.blockComment, .identifier])
        #expect(kinds("/*/ x */y") == [.blockComment, .identifier])
        #expect(kinds("-- a\nb") == [.lineComment, .identifier])
        #expect(tokens("+/*x*/").map(\.1) == ["+", "/*x*/"])
        #expect(tokens("*--x").map(\.1) == ["*", "--x"])
    }

    @Test func dollarQuoteTags() {
        #expect(tokens("$a$ $b$ $a$").map(\.1) == ["$a$ $b$ $a$"])
        #expect(tokens("$_x1$ ok $_x1$").count == 1)
        #expect(kinds("$1a") == [.invalid])
        #expect(kinds("$ab") == [.invalid, .identifier])
        #expect(kinds("$a$ never closed") == [.invalid])
    }

    @Test func errors() {
        for (sql, error) in [("'open", SQLLexError.unterminatedQuotedString),
                             ("/* open", .unterminatedBlockComment),
                             ("\"open", .unterminatedQuotedIdentifier),
                             ("\"\"", .zeroLengthIdentifier),
                             ("\\", .unexpectedCharacter)] {
            var copy = sql
            copy.withUTF8 { utf8 in
                var lexer = SQLLexer(text: UnsafeRawBufferPointer(utf8))
                let token = lexer.next()
                #expect(token.kind == .invalid, "\(sql)")
                #expect(token.error == error, "\(sql)")
            }
        }
    }

    @Test func unicodeSpaceIsPartOfAnIdentifier() {
        #expect(kinds("DROP\u{00A0}TABLE") == [.identifier])
        #expect(kinds("a\u{0B}b\u{0C}c") == [.identifier, .identifier, .identifier])
    }

    @Test func splitterHonoursAtomicBodies() {
        let text = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN x THEN 1 ELSE 2 END; END; SELECT 2"
        var copy = text
        let spans = copy.withUTF8 { utf8 in Array(SQLStatementSplitter(text: UnsafeRawBufferPointer(utf8))) }
        #expect(spans.count == 2)
        #expect(spans.allSatisfy { !$0.isMalformed })
    }
}
