import Codecs

/// A small real detector for tests: overwrites every run of 12 or more ASCII digits
/// (a card-number-like value) with `#`, keeping its length.
struct DigitRunScanner: CellScanner {
    func maskInPlace(_ cell: UnsafeMutableRawBufferPointer) {
        var start = 0
        var i = 0
        while i <= cell.count {
            let isDigit = i < cell.count && cell[i] >= UInt8(ascii: "0") && cell[i] <= UInt8(ascii: "9")
            if !isDigit {
                if i - start >= 12 {
                    for j in start..<i { cell[j] = UInt8(ascii: "#") }
                }
                start = i + 1
            }
            i += 1
        }
    }
}

/// Chooses actions by column name.
struct NamePlanner: ColumnMaskPlanner {
    var actions: [String: CellMaskAction]
    mutating func action(for column: ColumnDescriptionView, at index: Int) -> CellMaskAction {
        actions[String(decoding: column.name, as: UTF8.self)] ?? .keep
    }
}

/// Loads `columns` into a table with `actions`, masks `row`, and returns the new message
/// and its cells (nil = NULL).
func maskRow(columns: [Wire.Column], actions: [String: CellMaskAction], row: [[UInt8]?],
             scanner: some CellScanner = DigitRunScanner()) throws -> (message: [UInt8], cells: [[UInt8]?]) {
    var table = PostgresColumnTable(capacity: 64)
    let description = Wire.rowDescription(columns)
    var planner = NamePlanner(actions: actions)
    try Array(description[5...]).withUnsafeBytes { body in
        try table.load(try RowDescriptionView(body: body), planner: &planner)
    }
    var message = Wire.dataRow(row)
    let newLength = try message.withUnsafeMutableBytes { buffer in
        try DataRowMasker.mask(message: buffer, columns: table, scanner: scanner)
    }
    message = Array(message[..<newLength])
    let cells = try Array(message[5...]).withUnsafeBytes { body -> [[UInt8]?] in
        let view = try DataRowView(body: body)
        return view.map { cell in view.value(cell).map { Array($0) } }
    }
    return (message, cells)
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
func str(_ b: [UInt8]?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }

func int64BigEndian(_ v: Int64) -> [UInt8] {
    let u = UInt64(bitPattern: v)
    return (0..<8).map { UInt8(truncatingIfNeeded: u >> (56 - 8 * UInt64($0))) }
}
