import Codecs

/// Which columns of the server's relations the session's column patterns mask, read from the
/// catalog over the session's own upstream connection: at login, and again (while the session
/// is idle) after a reload changed the patterns.
///
/// A result column carries its origin (relation OID and attribute number) in the
/// RowDescription whatever the query calls it, so `SELECT ssn AS x FROM customers` and a view
/// over `customers.ssn` are masked like `customers.ssn`. A column the read did not see (an
/// expression, a relation or column created later) is matched by its label instead.
struct MaskCatalog {
    /// One relation with at least one masked column: its columns in attribute order (COPY of
    /// a table sends them in that order, and its response names none).
    struct Relation {
        var schema: String
        var name: String
        var columns: [String]
        var actions: [CellMaskAction]
    }

    /// Actions (`.keep` included) by `relation OID << 16 | attribute number`, for every column
    /// of every relation that has a column whose name a pattern's column part matches.
    private(set) var columns: [UInt64: CellMaskAction] = [:]
    private(set) var relations: [Relation] = []
    /// The newest relation OID when the catalog was read: a relation above it came later.
    private(set) var newestRelation: UInt32 = 0
    /// Relations whose columns were read.
    private(set) var readRelations: Set<UInt32> = []

    /// The action for a result column of known origin; nil when the read could not see it
    /// (no origin, a relation created since, or a column added since): its label decides.
    /// A relation the read saw without reading it has no column a pattern names: `.keep`.
    func action(relation: UInt32, attribute: Int16) -> CellMaskAction? {
        guard relation != 0, relation <= newestRelation else { return nil }
        if let action = columns[Self.key(relation, attribute)] { return action }
        return readRelations.contains(relation) ? nil : .keep
    }

    /// Relations called `name` (and in `schema`, when given), for COPY.
    func relations(named name: String, schema: String?) -> [Relation] {
        relations.filter { $0.name == name && (schema == nil || $0.schema == schema) }
    }

    static func key(_ relation: UInt32, _ attribute: Int16) -> UInt64 {
        UInt64(relation) << 16 | UInt64(UInt16(bitPattern: attribute))
    }

    // MARK: Reading

    /// The query that reads the catalog for `masks`. Rows of kind `c`: every column (with its
    /// type) of every relation that has a column whose name matches a pattern's column part,
    /// and of every view that reads such a column, directly or through other views. Rows of
    /// kind `d`: which columns each of those views reads (`pg_depend` on its rewrite rule).
    /// One row of kind `m`: the newest relation OID.
    static func query(for masks: SessionMasks) -> String {
        var expressions: [String] = []
        for pattern in masks.columnPatterns {
            let expression = pattern.column.regularExpression
            if !expressions.contains(expression) { expressions.append(expression) }
        }
        let alternatives = expressions.map { "(" + $0 + ")" }.joined(separator: "|")
        // An E'' literal reads the same whatever standard_conforming_strings says.
        let literal = "E'" + alternatives.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
        return """
            WITH RECURSIVE edges AS (SELECT DISTINCT r.ev_class AS view, d.refobjid AS base, d.refobjsubid AS attnum \
            FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid \
            WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
            AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjsubid > 0 AND r.ev_class <> d.refobjid), \
            named AS (SELECT attrelid AS rel FROM pg_catalog.pg_attribute \
            WHERE attnum > 0 AND NOT attisdropped AND lower(attname) ~ \(literal)), \
            tainted(rel) AS (SELECT e.view FROM edges e JOIN named n ON n.rel = e.base \
            UNION SELECT e.view FROM edges e JOIN tainted t ON t.rel = e.base), \
            rels AS (SELECT rel FROM named UNION SELECT rel FROM tainted) \
            SELECT 'c', c.oid, a.attnum, n.nspname, c.relname, a.attname, a.atttypid::pg_catalog.text \
            FROM rels JOIN pg_catalog.pg_class c ON c.oid = rels.rel JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
            UNION ALL SELECT 'd', e.view, NULL, NULL, NULL, NULL, e.base || '/' || e.attnum \
            FROM edges e JOIN tainted t ON t.rel = e.view \
            UNION ALL SELECT 'm', max(oid), NULL, NULL, NULL, NULL, NULL FROM pg_catalog.pg_class ORDER BY 1, 2, 3
            """
    }

    /// A catalog read in progress: rows accumulate here and replace the catalog when the
    /// read completes.
    struct Reader {
        var catalog = MaskCatalog()
        var failed = false
        /// Column types by key, and which columns each view reads.
        var types: [UInt64: UInt32] = [:]
        var reads: [UInt32: [UInt64]] = [:]

        /// Takes one DataRow body of ``MaskCatalog/query(for:)``'s result.
        mutating func add(row body: UnsafeRawBufferPointer, masks: SessionMasks) {
            guard let view = try? DataRowView(body: body), view.columnCount == 7 else {
                failed = true
                return
            }
            var values: [UnsafeRawBufferPointer?] = []
            for cell in view { values.append(view.value(cell)) }
            func text(_ index: Int) -> String? { values[index].map { String(decoding: $0, as: UTF8.self) } }
            guard let kind = text(0), let oid = text(1).flatMap({ UInt32($0) }) else {
                failed = true
                return
            }
            if kind == "m" {
                catalog.newestRelation = oid
                return
            }
            if kind == "d" {
                let parts = text(6)?.split(separator: "/") ?? []
                guard parts.count == 2, let base = UInt32(parts[0]), let attribute = Int16(parts[1]) else {
                    failed = true
                    return
                }
                reads[oid, default: []].append(MaskCatalog.key(base, attribute))
                return
            }
            guard let attribute = text(2).flatMap({ Int16($0) }), let schemaBytes = values[3], let nameBytes = values[4],
                  let columnBytes = values[5], let type = text(6).flatMap({ UInt32($0) })
            else {
                failed = true
                return
            }
            let schema = String(decoding: schemaBytes, as: UTF8.self)
            let name = String(decoding: nameBytes, as: UTF8.self)
            let column = String(decoding: columnBytes, as: UTF8.self)
            let action = masks.columnAction(schema: schemaBytes, table: nameBytes, column: columnBytes) ?? .keep
            let key = MaskCatalog.key(oid, attribute)
            catalog.columns[key] = action
            catalog.readRelations.insert(oid)
            types[key] = type
            if let last = catalog.relations.indices.last, catalog.relations[last].schema == schema,
               catalog.relations[last].name == name {
                catalog.relations[last].columns.append(column)
                catalog.relations[last].actions.append(action)
            } else {
                catalog.relations.append(Relation(schema: schema, name: name, columns: [column], actions: [action]))
            }
        }

        /// The finished catalog, or nil when the read failed.
        ///
        /// A view's column takes the strictest mask of the masked columns its view reads that
        /// are of the same kind of type (text from text, integers from integers; a composite,
        /// array or numeric column from any): which view column comes from which base column
        /// is not in the catalog, so every such column of the view is masked. Repeated until
        /// nothing changes, for views over views.
        func finish() -> MaskCatalog? {
            guard !failed else { return nil }
            var result = catalog
            for _ in 0..<32 {
                var changed = false
                for (view, columnsRead) in reads {
                    let sources = columnsRead.compactMap { key -> (CellMaskAction, PostgresTypeCategory)? in
                        guard let action = result.columns[key], action.masks, let type = types[key] else { return nil }
                        return (action, PostgresTypeCategory(typeOID: type))
                    }
                    guard !sources.isEmpty else { continue }
                    for (key, type) in types where key >> 16 == UInt64(view) {
                        let category = PostgresTypeCategory(typeOID: type)
                        var action = result.columns[key] ?? .keep
                        for (source, sourceCategory) in sources where sourceCategory == category || category == .other || (category == .textArray && sourceCategory == .text) {
                            action = SessionMasks.stricter(action, source)
                        }
                        if action != result.columns[key] {
                            result.columns[key] = action
                            changed = true
                        }
                    }
                }
                if !changed { break }
            }
            result.relations.removeAll { !$0.actions.contains { $0.masks } }
            return result
        }
    }
}
