import Codecs
import Testing

@Suite struct DataRowMaskerTests {
    let oid = PostgresTypeCategory.OID.self

    @Test func textIsOverwrittenInPlaceKeepingLengthAndLastFour() throws {
        let row: [[UInt8]?] = [bytes("4111111111111111"), bytes("alice"), nil]
        let original = Wire.dataRow(row)
        let result = try maskRow(
            columns: [.init(name: "card", type: oid.text), .init(name: "name", type: oid.varchar), .init(name: "note", type: oid.text)],
            actions: ["card": .redact(.keepLast4), "name": .redact(.full), "note": .redact(.full)], row: row)
        #expect(result.message.count == original.count)
        #expect(Array(result.message[0..<5]) == Array(original[0..<5]))
        #expect(str(result.cells[0]) == "************1111")
        #expect(str(result.cells[1]) == "*****")
        #expect(result.cells[2] == nil)
    }

    @Test func textMaskingKeepsUTF8Valid() throws {
        let result = try maskRow(
            columns: [.init(name: "a", type: oid.text), .init(name: "b", type: oid.bpchar), .init(name: "c", type: oid.name)],
            actions: ["a": .redact(.full), "b": .redact(MaskStyle(fill: UInt8(ascii: "x"), keepLast: 2)!), "c": .redact(.keepLast4)],
            row: [bytes("Zoë"), bytes("café"), bytes("日本")])
        #expect(str(result.cells[0]) == "****")  // 'ë' is 2 bytes: 2 fill bytes, no stray continuation byte
        #expect(str(result.cells[1]) == "xxfé")
        #expect(str(result.cells[2]) == "日本")  // fewer than 4 characters: all kept
        for cell in result.cells { #expect(String(validating: cell!, as: UTF8.self) != nil) }
    }

    @Test func binaryTextColumnsAreMaskedLikeText() throws {
        let result = try maskRow(columns: [.init(name: "a", type: oid.text, format: 1)], actions: ["a": .redact(.keepLast4)],
                                 row: [bytes("secret-1234")])
        #expect(str(result.cells[0]) == "*******1234")
    }

    @Test func nonTextTypesBecomeNullAndTheRowIsCompacted() throws {
        let row: [[UInt8]?] = [bytes("4111111111111111"), int64BigEndian(4_111_111_111_111_111), bytes("12.50"), bytes("\\x0102"), bytes("tail")]
        let original = Wire.dataRow(row)
        let result = try maskRow(
            columns: [.init(name: "t8", type: oid.int8), .init(name: "b8", type: oid.int8, size: 8, format: 1),
                      .init(name: "n", type: oid.numeric), .init(name: "raw", type: oid.bytea), .init(name: "keep", type: oid.text)],
            actions: ["t8": .redact(.keepLast4), "b8": .redact(.full), "n": .redact(.full), "raw": .redact(.full)], row: row)
        #expect(result.cells == [nil, nil, nil, nil, bytes("tail")])
        #expect(result.message.count == original.count - 16 - 8 - 5 - 6)
        // The rewritten message frames correctly.
        let decoded = decodeStream([result.message], configuration: .backend())
        #expect(decoded.error == nil && decoded.messages.count == 1 && decoded.messages[0].bytes == result.message)
    }

    @Test func nullActionAndNullCells() throws {
        let result = try maskRow(columns: [.init(name: "a", type: oid.text), .init(name: "b", type: oid.text), .init(name: "c", type: oid.int4)],
                                 actions: ["a": .null, "b": .redact(.full), "c": .keep], row: [bytes("x"), nil, bytes("5")])
        #expect(result.cells == [nil, nil, bytes("5")])
    }

    @Test func scanOnTextMasksFindingsInPlace() throws {
        let result = try maskRow(columns: [.init(name: "note", type: oid.text)], actions: ["note": .scan],
                                 row: [bytes("paid with 4111111111111111 today")])
        #expect(str(result.cells[0]) == "paid with ################ today")
    }

    @Test func scanOnNonTextTypesNullsOnlyValuesWithFindings() throws {
        let columns: [Wire.Column] = [
            .init(name: "t8", type: oid.int8), .init(name: "b8", type: oid.int8, size: 8, format: 1),
            .init(name: "b4", type: oid.int4, size: 4, format: 1), .init(name: "n", type: oid.numeric),
            .init(name: "bn", type: oid.numeric, format: 1), .init(name: "u", type: oid.uuid, size: 16, format: 1),
        ]
        let actions: [String: CellMaskAction] = ["t8": .scan, "b8": .scan, "b4": .scan, "n": .scan, "bn": .scan, "u": .scan]
        let uuid = [UInt8](repeating: 0xAB, count: 16)
        let sensitive = try maskRow(columns: columns, actions: actions, row: [
            bytes("4111111111111111"), int64BigEndian(-4_111_111_111_111_111), Wire.int32(42), bytes("4111111111111111.00"),
            [0, 1, 0, 0, 0, 0, 0, 0, 0, 42], uuid,
        ])
        // Findings (or unscannable binary numeric) become NULL; small numbers and uuids stay.
        #expect(sensitive.cells == [nil, nil, Wire.int32(42), nil, nil, uuid])
        let harmless = try maskRow(columns: columns, actions: actions, row: [
            bytes("42"), int64BigEndian(7), Wire.int32(-3), bytes("3.14"), nil, uuid,
        ])
        #expect(harmless.cells == [bytes("42"), int64BigEndian(7), Wire.int32(-3), bytes("3.14"), nil, uuid])
    }

    /// A binary one-dimensional array: ndim, has-null flag, element type, (size, lower bound),
    /// then length-prefixed elements (-1: NULL).
    static func binaryArray(elementType: UInt32, _ elements: [[UInt8]?]) -> [UInt8] {
        var out = Wire.int32(1) + Wire.int32(elements.contains { $0 == nil } ? 1 : 0) + Wire.int32(Int32(bitPattern: elementType))
        out += Wire.int32(Int32(elements.count)) + Wire.int32(1)
        for element in elements {
            if let element { out += Wire.int32(Int32(element.count)) + element } else { out += Wire.int32(-1) }
        }
        return out
    }

    @Test func textArraysAreScannedElementByElementInPlace() throws {
        let columns: [Wire.Column] = [
            .init(name: "t", type: oid.textArray), .init(name: "b", type: oid.textArray, format: 1),
            .init(name: "v", type: oid.varcharArray, format: 1), .init(name: "i", type: 1016, format: 1),
            .init(name: "bad", type: oid.textArray, format: 1),
        ]
        let actions: [String: CellMaskAction] = ["t": .scan, "b": .scan, "v": .scan, "i": .scan, "bad": .scan]
        let binary = Self.binaryArray(elementType: oid.text, [bytes("vip"), nil, bytes("4111111111111111")])
        let plain = Self.binaryArray(elementType: oid.varchar, [bytes("navy")])
        let int8s = Self.binaryArray(elementType: oid.int8, [int64BigEndian(1)])
        let truncated = Array(binary.dropLast(3))
        let result = try maskRow(columns: columns, actions: actions, row: [
            bytes("{vip,\"4111111111111111\",NULL}"), binary, plain, int8s, truncated,
        ])
        #expect(str(result.cells[0]) == "{vip,\"################\",NULL}")
        #expect(result.cells[1] == Self.binaryArray(elementType: oid.text, [bytes("vip"), nil, bytes("################")]))
        #expect(result.cells[2] == plain, "an array without findings comes back byte-identical")
        #expect(result.cells[3] == nil, "an int8[] cannot be scanned in place: NULL")
        #expect(result.cells[4] == nil, "a malformed array: NULL")
        let redacted = try maskRow(columns: [.init(name: "t", type: oid.textArray)], actions: ["t": .redact(.full)], row: [bytes("{a}")])
        #expect(redacted.cells == [nil])
    }

    @Test func jsonStaysValidJSON() throws {
        let columns: [Wire.Column] = [
            .init(name: "j", type: oid.json), .init(name: "jb", type: oid.jsonb, format: 1),
            .init(name: "js", type: oid.jsonb), .init(name: "ok", type: oid.json), .init(name: "one", type: oid.json),
        ]
        let result = try maskRow(columns: columns,
                                 actions: ["j": .redact(.keepLast4), "jb": .redact(.full), "js": .scan, "ok": .scan, "one": .redact(.full)],
                                 row: [bytes("{\"a\": 1}"), [1] + bytes("[1,2]"), bytes("{\"card\": 4111111111111111}"),
                                       bytes("{\"x\": \"hello\"}"), bytes("7")])
        #expect(str(result.cells[0]) == "\"******\"")
        #expect(result.cells[1] == [1] + bytes("\"***\""))
        #expect(str(result.cells[2]) == "\"" + String(repeating: "*", count: 24) + "\"")
        #expect(str(result.cells[3]) == "{\"x\": \"hello\"}")
        #expect(str(result.cells[4]) == "0")
    }

    @Test func resultFormatsFromBindOverrideTheDescription() throws {
        var table = PostgresColumnTable(capacity: 4)
        var planner = NamePlanner(actions: ["n": .scan])
        try Array(Wire.rowDescription([.init(name: "n", type: oid.int8)])[5...]).withUnsafeBytes { body in
            try table.load(try RowDescriptionView(body: body), planner: &planner)
        }
        #expect(table[0].format == 0)
        let bind = Wire.cstring("") + Wire.cstring("") + Wire.int16(0) + Wire.int16(0) + Wire.int16(1) + Wire.int16(1)
        try bind.withUnsafeBytes { table.applyResultFormats(of: try BindMessageView(body: $0)) }
        #expect(table[0].format == 1)
        var message = Wire.dataRow([int64BigEndian(4_111_111_111_111_111)])
        let length = try message.withUnsafeMutableBytes { try DataRowMasker.mask(message: $0, columns: table, scanner: DigitRunScanner()) }
        message = Array(message[..<length])
        #expect(message == Wire.dataRow([nil]))
    }

    @Test func mismatchedAndMalformedRowsAreErrors() throws {
        var table = PostgresColumnTable(capacity: 4)
        var planner = NamePlanner(actions: ["a": .redact(.full)])
        try Array(Wire.rowDescription([.init(name: "a", type: oid.text)])[5...]).withUnsafeBytes { body in
            try table.load(try RowDescriptionView(body: body), planner: &planner)
        }
        var twoCells = Wire.dataRow([bytes("x"), bytes("y")])
        #expect(throws: PostgresProtocolError.unexpectedMessage(type: UInt8(ascii: "D"))) {
            _ = try twoCells.withUnsafeMutableBytes { try DataRowMasker.mask(message: $0, columns: table, scanner: NoCellScanner()) }
        }
        var overlong = Wire.message("D", Wire.int16(1) + Wire.int32(100) + bytes("abc"))
        #expect(throws: PostgresProtocolError.truncated(type: UInt8(ascii: "D"))) {
            _ = try overlong.withUnsafeMutableBytes { try DataRowMasker.mask(message: $0, columns: table, scanner: NoCellScanner()) }
        }
        var trailing = Wire.message("D", Wire.int16(1) + Wire.int32(1) + bytes("ab"))
        #expect(throws: PostgresProtocolError.trailingBytes(type: UInt8(ascii: "D"))) {
            _ = try trailing.withUnsafeMutableBytes { try DataRowMasker.mask(message: $0, columns: table, scanner: NoCellScanner()) }
        }
    }

    @Test func tooManyColumnsFailsClosed() throws {
        var table = PostgresColumnTable(capacity: 3)
        var planner = NamePlanner(actions: [:])
        let description = Wire.rowDescription((0..<4).map { Wire.Column(name: "c\($0)", type: 25) })
        #expect(throws: PostgresProtocolError.tooManyColumns(count: 4, limit: 3)) {
            try Array(description[5...]).withUnsafeBytes { body in
                try table.load(try RowDescriptionView(body: body), planner: &planner)
            }
        }
        #expect(PostgresColumnTable.defaultCapacity == 1664)
    }

    @Test func maskStyleRejectsCharactersThatBreakTextFormats() {
        #expect(MaskStyle(fill: UInt8(ascii: "\\")) == nil)
        #expect(MaskStyle(fill: UInt8(ascii: "\"")) == nil)
        #expect(MaskStyle(fill: 9) == nil)
        #expect(MaskStyle(fill: UInt8(ascii: "#"), keepLast: 4) != nil)
    }
}
