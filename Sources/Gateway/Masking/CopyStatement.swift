import Codecs

/// What a `COPY ... TO STDOUT` statement says about its output, read from its text when
/// masking applies: the dialect the CopyData rows arrive in (its CopyOutResponse says only
/// "textual" or "binary") and, for a table, which columns they hold.
struct CopyStatement: Equatable {
    enum Source: Equatable {
        /// `COPY [schema.]table [(columns)]`; `columns` empty: all of them, in order.
        case relation(schema: String?, name: String, columns: [String])
        /// `COPY (query)`: the columns have no names the gateway can see.
        case query
    }

    enum Format: Equatable { case text, csv, binary }

    var source: Source
    var format: Format = .text
    var delimiter: UInt8?
    var quote: UInt8?
    var escape: UInt8?

    /// The dialect for ``CopyTextMasker`` (nil for binary).
    var textFormat: CopyTextFormat? {
        switch format {
        case .binary: nil
        case .text: CopyTextFormat(delimiter: delimiter ?? 9)
        case .csv: CopyTextFormat(delimiter: delimiter ?? UInt8(ascii: ","), isCSV: true, quote: quote ?? UInt8(ascii: "\""), escape: escape)
        }
    }

    /// Reads `COPY ... TO STDOUT ...` from `text` (one statement); nil when the text is not
    /// that, or says something this reader does not follow (the caller refuses then).
    static func parse(_ text: UnsafeRawBufferPointer, standardConformingStrings: Bool) -> CopyStatement? {
        var tokens = Tokens(text: text, standardConformingStrings: standardConformingStrings)
        guard tokens.word() == "copy" else { return nil }
        var binary = false
        if tokens.peekWord() == "binary" {
            binary = true
            tokens.advance()
        }
        var statement: CopyStatement
        if tokens.peek.kind == .leftParen {
            guard tokens.skipParenthesized() else { return nil }
            statement = CopyStatement(source: .query)
        } else {
            guard var first = tokens.name() else { return nil }
            var schema: String?
            if first == "only", tokens.peek.kind != .dot {
                guard let next = tokens.name() else { return nil }
                first = next
            }
            var name = first
            if tokens.peek.kind == .dot {
                tokens.advance()
                guard let second = tokens.name() else { return nil }
                schema = first
                name = second
            }
            var columns: [String] = []
            if tokens.peek.kind == .leftParen {
                tokens.advance()
                while true {
                    guard let column = tokens.name() else { return nil }
                    columns.append(column)
                    if tokens.peek.kind == .comma {
                        tokens.advance()
                        continue
                    }
                    guard tokens.peek.kind == .rightParen else { return nil }
                    tokens.advance()
                    break
                }
            }
            statement = CopyStatement(source: .relation(schema: schema, name: name, columns: columns))
        }
        guard tokens.word() == "to", tokens.word() == "stdout" else { return nil }
        if binary { statement.format = .binary }
        if tokens.peekWord() == "with" { tokens.advance() }
        if tokens.peek.kind == .leftParen {
            tokens.advance()
            guard statement.readOptions(&tokens) else { return nil }
        } else {
            guard statement.readLegacyOptions(&tokens) else { return nil }
        }
        if tokens.peek.kind == .semicolon { tokens.advance() }
        guard tokens.peek.kind == .end else { return nil }
        return statement
    }

    /// `(FORMAT csv, DELIMITER ';', ...)`
    mutating func readOptions(_ tokens: inout Tokens) -> Bool {
        while true {
            guard let option = tokens.word() else { return false }
            switch option {
            case "format":
                switch tokens.name() {
                case "text": format = .text
                case "csv": format = .csv
                case "binary": format = .binary
                default: return false
                }
            case "delimiter": guard let byte = tokens.singleByteString() else { return false }; delimiter = byte
            case "quote": guard let byte = tokens.singleByteString() else { return false }; quote = byte
            case "escape": guard let byte = tokens.singleByteString() else { return false }; escape = byte
            case "header", "freeze", "null", "encoding", "force_quote", "force_not_null", "force_null":
                // Values that do not change how fields are split; skip them.
                tokens.skipOptionValue()
            default:
                return false
            }
            if tokens.peek.kind == .comma {
                tokens.advance()
                continue
            }
            guard tokens.peek.kind == .rightParen else { return false }
            tokens.advance()
            return true
        }
    }

    /// `BINARY | DELIMITER [AS] 'x' | NULL [AS] 'x' | CSV | HEADER | QUOTE [AS] 'x' | ESCAPE [AS] 'x' | FORCE QUOTE ...`
    mutating func readLegacyOptions(_ tokens: inout Tokens) -> Bool {
        while let option = tokens.peekWord() {
            tokens.advance()
            switch option {
            case "binary": format = .binary
            case "csv": format = .csv
            case "header": break
            case "delimiter", "null", "quote", "escape":
                if tokens.peekWord() == "as" { tokens.advance() }
                guard let byte = tokens.singleByteString(allowEmpty: option == "null") else { return false }
                if option == "delimiter" { delimiter = byte }
                if option == "quote" { quote = byte }
                if option == "escape" { escape = byte }
            default:
                return false
            }
        }
        return true
    }

    /// The significant tokens of the statement, with names and strings decoded.
    struct Tokens {
        let text: UnsafeRawBufferPointer
        var lexer: SQLLexer
        var peek: SQLToken

        init(text: UnsafeRawBufferPointer, standardConformingStrings: Bool) {
            self.text = text
            lexer = SQLLexer(text: text, standardConformingStrings: standardConformingStrings)
            lexer.recognizesKeywords = false
            peek = lexer.nextSignificant()
        }

        mutating func advance() { peek = lexer.nextSignificant() }

        func raw(_ token: SQLToken) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: text[token.start..<token.end]), as: UTF8.self)
        }

        /// An unquoted word, lowercased, without consuming it.
        func peekWord() -> String? {
            peek.kind == .identifier ? raw(peek).lowercased() : nil
        }

        mutating func word() -> String? {
            guard let word = peekWord() else { return nil }
            advance()
            return word
        }

        /// An identifier: unquoted (lowercased) or quoted (`""` is one quote).
        mutating func name() -> String? {
            switch peek.kind {
            case .identifier:
                return word()
            case .quotedIdentifier:
                let quoted = raw(peek)
                advance()
                return String(quoted.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
            default:
                return nil
            }
        }

        /// A plain `'x'` string of one byte (escape strings are not followed: nil).
        mutating func singleByteString(allowEmpty: Bool = false) -> UInt8? {
            guard peek.kind == .string else { return nil }
            let body = Array(raw(peek).utf8.dropFirst().dropLast())
            advance()
            if body.count == 1 { return body[0] }
            if body == [UInt8(ascii: "'"), UInt8(ascii: "'")] { return UInt8(ascii: "'") }
            return allowEmpty && body.isEmpty ? 0 : nil
        }

        /// Skips an option's value: a word, a string, `*`, or a parenthesized list.
        mutating func skipOptionValue() {
            switch peek.kind {
            case .leftParen: _ = skipParenthesized()
            case .comma, .rightParen, .end: break
            default: advance()
            }
        }

        /// Skips a balanced `( ... )`; false when it does not close.
        mutating func skipParenthesized() -> Bool {
            guard peek.kind == .leftParen else { return false }
            var depth = 0
            repeat {
                switch peek.kind {
                case .leftParen: depth += 1
                case .rightParen: depth -= 1
                case .end, .invalid: return false
                default: break
                }
                advance()
            } while depth > 0
            return true
        }
    }
}
