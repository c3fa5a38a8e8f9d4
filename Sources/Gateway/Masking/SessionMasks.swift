import Codecs

/// The masks one session applies, compiled from the policy's masks for its caller on its
/// resource: column patterns (matched through the catalog, and by result label as a
/// fallback) and one detector scanner with a style per kind of finding.
///
/// Compiled when the session logs in and again when a reload changes the caller's masks;
/// the data path only reads it.
struct SessionMasks {
    /// One `table.column` pattern and what it does to a matching column.
    struct ColumnPattern {
        /// Matches `relname` or `nspname.relname`.
        var table: ByteGlob
        var column: ByteGlob
        var action: CellMaskAction
    }

    let columnPatterns: [ColumnPattern]
    /// The detectors, or nil when no rule names one.
    let scanner: SensitiveDataScanner?
    /// Whether integers must be scanned too (a keyword starts with a digit).
    let scansIntegers: Bool
    /// The masks this was compiled from (a reload that leaves them equal changes nothing).
    let source: [MaskRule]

    var isEmpty: Bool { columnPatterns.isEmpty && scanner == nil }

    init(_ masks: [MaskRule]) {
        source = masks
        var patterns: [ColumnPattern] = []
        var kinds: SensitiveDataKind = []
        var styles = SensitiveDataStyles(.full)
        var styled: SensitiveDataKind = []
        var keywords: [String] = []
        for mask in masks {
            switch mask.target {
            case .columns(let globs):
                for glob in globs {
                    guard let dot = Self.lastUnescapedDot(glob) else { continue }
                    patterns.append(ColumnPattern(
                        table: ByteGlob(String(glob[..<dot])), column: ByteGlob(String(glob[glob.index(after: dot)...])),
                        action: .redact(Self.style(mask.style))))
                }
            case .detector(let detector, let words):
                let detected = Self.kinds(detector)
                kinds.formUnion(detected)
                keywords += words
                // Several rules for one kind: the one that shows least wins.
                var remaining = detected.rawValue
                while remaining != 0 {
                    let kind = SensitiveDataKind(rawValue: remaining & (~remaining &+ 1))
                    let style = Self.style(mask.style)
                    if !styled.contains(kind) || style.keepLast < styles[kind].keepLast { styles[kind] = style }
                    styled.insert(kind)
                    remaining &= remaining &- 1
                }
            }
        }
        columnPatterns = patterns
        let keywordSet = keywords.isEmpty ? nil : try? KeywordSet(keywords)
        if kinds.isEmpty || (kinds == .keyword && keywordSet == nil) {
            scanner = nil
        } else {
            scanner = SensitiveDataScanner(configuration: .init(kinds: kinds, keywords: keywordSet, kindStyles: styles))
        }
        scansIntegers = keywords.contains { $0.utf8.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
    }

    /// The strictest action of the patterns matching `column` of `table` (`nil`: none match).
    func columnAction(schema: UnsafeRawBufferPointer?, table: UnsafeRawBufferPointer, column: UnsafeRawBufferPointer) -> CellMaskAction? {
        var result: CellMaskAction?
        for pattern in columnPatterns where pattern.column.matches(column) {
            guard pattern.table.matches(table) || schema.map({ Self.matchesQualified(pattern.table, schema: $0, table: table) }) == true
            else { continue }
            result = Self.stricter(result, pattern.action)
        }
        return result
    }

    /// ``columnAction(schema:table:column:)`` for names given as strings (COPY column lists).
    func columnAction(schema: String?, table: String, column: String) -> CellMaskAction? {
        var schema = schema
        var table = table
        var column = column
        return table.withUTF8 { tableBytes in
            column.withUTF8 { columnBytes in
                if schema != nil {
                    return schema!.withUTF8 { schemaBytes in
                        columnAction(schema: UnsafeRawBufferPointer(schemaBytes), table: UnsafeRawBufferPointer(tableBytes),
                                     column: UnsafeRawBufferPointer(columnBytes))
                    }
                }
                return columnAction(schema: nil, table: UnsafeRawBufferPointer(tableBytes), column: UnsafeRawBufferPointer(columnBytes))
            }
        }
    }

    /// The strictest action of the patterns whose column part matches `label`, whatever the
    /// table: for result columns whose origin is unknown (expressions, relations created after
    /// the catalog was read).
    func labelAction(_ label: UnsafeRawBufferPointer) -> CellMaskAction? {
        var result: CellMaskAction?
        for pattern in columnPatterns where pattern.column.matches(label) {
            result = Self.stricter(result, pattern.action)
        }
        return result
    }

    /// What the detectors do with a column of `typeOID` that no pattern masks: types whose
    /// values cannot hold a finding are left alone, so a result of only such columns costs
    /// nothing per row.
    func detectorAction(typeOID: UInt32) -> CellMaskAction {
        guard scanner != nil else { return .keep }
        switch typeOID {
        case PostgresTypeCategory.OID.bool, PostgresTypeCategory.OID.float4, PostgresTypeCategory.OID.float8,
             PostgresTypeCategory.OID.date, PostgresTypeCategory.OID.time, PostgresTypeCategory.OID.timetz,
             PostgresTypeCategory.OID.timestamp, PostgresTypeCategory.OID.timestamptz,
             PostgresTypeCategory.OID.interval, PostgresTypeCategory.OID.uuid:
            return .keep
        case PostgresTypeCategory.OID.int2, PostgresTypeCategory.OID.int4, PostgresTypeCategory.OID.oid:
            // At most ten digits: no card, IBAN, separated SSN, IP or e-mail fits.
            return scansIntegers ? .scan : .keep
        default:
            return .scan
        }
    }

    // MARK: Helpers

    static func style(_ name: MaskStyleName) -> MaskStyle {
        switch name {
        case .redact: .full
        case .partial: .keepLast4
        }
    }

    static func kinds(_ detector: MaskDetector) -> SensitiveDataKind {
        switch detector {
        case .creditCard: .creditCard
        case .email: .email
        case .ssn: .ssn
        case .iban: .iban
        case .ip: [.ipv4, .ipv6]
        case .keywords: .keyword
        }
    }

    /// Order: keep < scan < redact keeping characters < redact < null.
    static func stricter(_ a: CellMaskAction?, _ b: CellMaskAction) -> CellMaskAction {
        guard let a else { return b }
        return rank(a) >= rank(b) ? a : b
    }

    static func rank(_ action: CellMaskAction) -> Int {
        switch action {
        case .keep: 0
        case .scan: 1
        case .redact(let style): 3 + (style.keepLast == 0 ? 1 : 0)
        case .null: 5
        }
    }

    static func lastUnescapedDot(_ glob: String) -> String.Index? {
        var result: String.Index?
        var index = glob.startIndex
        while index < glob.endIndex {
            if glob[index] == "\\" {
                index = glob.index(after: index)
                if index < glob.endIndex { index = glob.index(after: index) }
                continue
            }
            if glob[index] == "." { result = index }
            index = glob.index(after: index)
        }
        return result
    }

    /// Whether `schema.table` matches `glob` (bytes joined on the stack).
    static func matchesQualified(_ glob: ByteGlob, schema: UnsafeRawBufferPointer, table: UnsafeRawBufferPointer) -> Bool {
        let count = schema.count + 1 + table.count
        return withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { joined in
            joined.copyMemory(from: schema)
            joined[schema.count] = UInt8(ascii: ".")
            UnsafeMutableRawBufferPointer(rebasing: joined[(schema.count + 1)...]).copyMemory(from: table)
            return glob.matches(UnsafeRawBufferPointer(joined))
        }
    }
}
