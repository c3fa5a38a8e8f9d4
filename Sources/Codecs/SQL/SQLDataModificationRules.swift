extension SQLStatementAnalyzer {
    /// INSERT, UPDATE, DELETE and MERGE (at the top level or as a CTE body): always
    /// ``StatementClass/write``; UPDATE/DELETE without a WHERE clause add the without-WHERE
    /// class; RETURNING adds ``StatementClass/read``; the target is a modified relation.
    @inlinable
    mutating func dataModification<C: SQLTokenCursor>(_ c: inout C) {
        guard let keyword = c.keyword else {
            summary.classes.insert(.opaque)
            return
        }
        summary.classes.insert(.write)
        c.advance()
        switch keyword {
        case .insert:
            guard c.accept(.into) else {
                summary.classes.insert(.opaque)
                return
            }
            target(&c)
            // The column list: what scanQuery does first for a `(` (stepped over below).
            if c.kind == .leftParen { callOpening(&c, runs: true) }
            // A VALUES list's rows hold nothing scanQuery acts on, most often: the recorded
            // cursor steps over them (and the column list) in one loop.
            c.skipValuesRows(flags: queryTokenFlags)
            _ = scanQuery(&c)
        case .update:
            target(&c)
            let scan = scanQuery(&c)
            if !scan.hasWhere { summary.classes.insert(.updateWithoutWhere) }
        case .delete:
            guard c.accept(.from) else {
                summary.classes.insert(.opaque)
                return
            }
            target(&c)
            let scan = scanQuery(&c)
            if !scan.hasWhere { summary.classes.insert(.deleteWithoutWhere) }
        case .merge:
            guard c.accept(.into) else {
                summary.classes.insert(.opaque)
                return
            }
            target(&c)
            _ = scanQuery(&c)
        default:
            summary.classes.insert(.opaque)
        }
    }

    /// `[ONLY] name [*]`: the modified relation of a data-modifying statement.
    @inlinable
    mutating func target<C: SQLTokenCursor>(_ c: inout C) {
        _ = c.accept(.only)
        guard let reference = qualifiedName(&c, modified: true) else {
            summary.classes.insert(.opaque)
            return
        }
        summary.relations.add(reference, in: text)
        if c.kind == .operator && c.token.end &- c.token.start == 1 && text[c.token.start] == UInt8(ascii: "*") {
            c.advance()
        }
    }

    /// `WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (body) [SEARCH ...] [CYCLE ...],
    /// ... main-statement`: each body is classified, then the main statement.
    @inlinable
    /// `addsRead` is false for a WITH nested in a CTE body, where the outer statement decides.
    mutating func withStatement<C: SQLTokenCursor>(_ c: inout C, addsRead: Bool = true) {
        c.advance()  // WITH
        _ = c.accept(.recursive)
        while true {
            guard c.token.isName else {
                summary.classes.insert(.opaque)
                return
            }
            c.advance()
            if c.kind == .leftParen {
                let columnRange = c.skipGroup()
                var columns = c.cursor(over: columnRange)
                flagStatementWords(&columns)
            }
            guard c.accept(.as) else {
                summary.classes.insert(.opaque)
                return
            }
            _ = c.accept(.not)
            _ = c.accept(.materialized)
            guard c.kind == .leftParen else {
                summary.classes.insert(.opaque)
                return
            }
            let body = c.skipGroup()
            nestedStatement(c.cursor(over: body))
            if c.keyword == .search {
                guard skipNames(&c, untilTopLevel: .set) else { break }
                c.advance()  // SET
                c.advance()  // sequence column
            }
            if c.keyword == .cycle {
                guard skipNames(&c, untilTopLevel: .using) else { break }
                c.advance()  // USING
                c.advance()  // path column
            }
            guard c.kind == .comma else { break }
            c.advance()
        }
        switch c.keyword {
        case .insert, .update, .delete, .merge:
            dataModification(&c)
        case .select, .values, .table:
            if addsRead { summary.classes.insert(.read) }
            _ = scanQuery(&c)
        default:
            if c.kind == .leftParen {
                if addsRead { summary.classes.insert(.read) }
                _ = scanQuery(&c)
            } else {
                summary.classes.insert(.opaque)
            }
        }
    }
}
