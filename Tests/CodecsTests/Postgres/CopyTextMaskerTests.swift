import Codecs
import Testing

@Suite struct CopyTextMaskerTests {
    func table(_ actions: [CellMaskAction]) throws -> PostgresColumnTable {
        var table = PostgresColumnTable(capacity: 16)
        for action in actions { try table.append(PostgresColumn(typeOID: PostgresTypeCategory.OID.text, action: action)) }
        return table
    }

    func mask(_ row: String, _ actions: [CellMaskAction], format: CopyTextFormat = .text) throws -> String {
        let columns = try table(actions)
        var message = Wire.message("d", bytes(row))
        try message.withUnsafeMutableBytes { try CopyTextMasker.mask(message: $0, columns: columns, format: format, scanner: DigitRunScanner()) }
        #expect(message.count == row.utf8.count + 5)
        return String(decoding: message[5...], as: UTF8.self)
    }

    @Test func textRowsAreMaskedFieldByField() throws {
        #expect(try mask("1\talice@example.com\t4111111111111111\n", [.keep, .redact(.full), .redact(.keepLast4)])
            == "1\t*****************\t************1111\n")
        // NULLs stay NULL, .null overwrites, .scan uses the detector.
        #expect(try mask("\\N\tx\tpaid 4111111111111111\n", [.redact(.full), .null, .scan])
            == "\\N\t*\tpaid ################\n")
    }

    @Test func escapesAreOverwrittenWhole() throws {
        // `a\tb\\c` is 5 characters: a, \t, b, \\, c. Keeping 2 keeps `\\c`.
        #expect(try mask("a\\tb\\\\c\tz\n", [.redact(MaskStyle(fill: UInt8(ascii: "*"), keepLast: 2)!), .keep]) == "****\\\\c\tz\n")
        // Keeping 1 must not leave a lone backslash that would escape the delimiter.
        #expect(try mask("ab\\\\\tz\n", [.redact(MaskStyle(fill: UInt8(ascii: "*"), keepLast: 1)!), .keep]) == "**\\\\\tz\n")
        #expect(try mask("ab\\\\\tz\n", [.redact(.full), .keep]) == "****\tz\n")
    }

    @Test func customDelimiterAndCSV() throws {
        #expect(try mask("a|secret\n", [.keep, .redact(.full)], format: CopyTextFormat(delimiter: UInt8(ascii: "|"))) == "a|******\n")
        #expect(try mask("1,\"Smith, \"\"Jo\"\"\",,x\n", [.keep, .redact(.full), .redact(.full), .redact(.full)], format: .csv)
            == "1,\"" + String(repeating: "*", count: 13) + "\",,*\n")
        // A quoted newline stays inside its field.
        #expect(try mask("\"a\nb\",c\n", [.redact(.full), .keep], format: .csv) == "\"***\",c\n")
    }

    @Test func rowsThatDoNotMatchThePlanFailClosed() throws {
        let columns = try table([.redact(.full), .keep])
        for row in ["a\tb", "a\n", "a\tb\tc\n", "a\tb\\\n"] {
            var message = Wire.message("d", bytes(row))
            #expect(throws: PostgresProtocolError.unsupportedCopyData) {
                try message.withUnsafeMutableBytes { try CopyTextMasker.mask(message: $0, columns: columns, format: .text, scanner: NoCellScanner()) }
            }
        }
        var quoted = Wire.message("d", bytes("\"a\"b,c\n"))
        #expect(throws: PostgresProtocolError.unsupportedCopyData) {
            try quoted.withUnsafeMutableBytes { try CopyTextMasker.mask(message: $0, columns: columns, format: .csv, scanner: NoCellScanner()) }
        }
    }
}
