extension SQLStatementAnalyzer {
    // MARK: EXPLAIN

    /// EXPLAIN without ANALYZE only plans: ``StatementClass/read``, and the inner statement's
    /// relations are reported unmodified. EXPLAIN ANALYZE runs the statement: its classes,
    /// plus ``StatementClass/read``.
    @inlinable
    mutating func explain<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()  // EXPLAIN
        var analyze = false
        if c.kind == .leftParen {
            let optionRange = c.skipGroup()
            var words = c.cursor(over: optionRange)
            flagStatementWords(&words)
            var options = c.cursor(over: optionRange)
            while !options.isAtEnd {
                if options.keyword == .analyze || options.keyword == .analyse {
                    options.advance()
                    analyze = !isFalseOption(options.token)
                }
                // Skip to the next option.
                while !options.isAtEnd && options.kind != .comma { options.advance() }
                options.advance()
            }
        } else {
            if c.keyword == .analyze || c.keyword == .analyse {
                analyze = true
                c.advance()
            }
            _ = c.accept(.verbose)
        }
        switch c.keyword {
        case .select, .insert, .update, .delete, .merge, .values, .execute, .declare, .create, .with, .table:
            break
        default:
            if c.kind != .leftParen {
                // Not a statement EXPLAIN accepts: PostgreSQL rejects it; say unknown.
                summary.classes.formUnion(StatementClass.read.union(.opaque))
                return
            }
        }
        if !analyze && c.keyword == .execute {
            // Plans a prepared statement without running it.
            summary.classes.insert(.read)
            c.advance()
            flagStatementWords(&c)
            return
        }
        statement(&c)
        if analyze {
            summary.classes.insert(.read)
        } else {
            // Nothing runs; what the classifier could not read stays unknown.
            summary.classes = summary.classes.contains(.opaque) ? StatementClass.read.union(.opaque) : .read
            summary.dropKind = nil
            summary.relations.clearModified()
        }
    }

    /// Whether an EXPLAIN option value turns the option off (`false`, `off`, `0`, or such a
    /// string). Anything else (including nothing) leaves it on, which is the safe reading.
    @inlinable
    func isFalseOption(_ token: SQLCompactToken) -> Bool {
        var range = token.start..<token.end
        switch token.kind {
        case .identifier, .number:
            break
        case .string:
            range = (token.start &+ 1)..<(token.end &- 1)
        default:
            return false
        }
        let count = range.count
        guard count >= 1 && count <= 5 else { return false }
        var word: UInt64 = 0
        for index in range {
            var byte = text[index]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            word = word << 8 | UInt64(byte)
        }
        // "false", "off", "0", "f", "no", "n", "of", "fa", "fal", "fals"
        switch word {
        case 0x66_61_6C_73_65, 0x6F_66_66, 0x30, 0x66, 0x6E_6F, 0x6E, 0x6F_66, 0x66_61, 0x66_61_6C,
             0x66_61_6C_73:
            return true
        default:
            return false
        }
    }

    // MARK: COPY

    /// COPY table FROM: ``StatementClass/copyFrom`` and ``StatementClass/write``; COPY table|(query)
    /// TO: ``StatementClass/copyTo`` and ``StatementClass/read`` (plus the query's classes);
    /// PROGRAM adds ``StatementClass/copyProgram``.
    @inlinable
    mutating func copy<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()  // COPY
        _ = c.accept(.binary)
        var isQuery = false
        var target = SQLRelationList()
        if c.kind == .leftParen {
            isQuery = true
            let query = c.skipGroup()
            nestedStatement(c.cursor(over: query))
        } else {
            guard let reference = qualifiedName(&c, modified: false) else {
                summary.classes.insert(.opaque)
                return
            }
            target.add(reference, in: text)
            if c.kind == .leftParen { _ = c.skipGroup() }
        }
        switch c.keyword {
        case .from:
            summary.classes.formUnion(StatementClass.copyFrom.union(.write))
            if isQuery { summary.classes.insert(.opaque) }
            if target.count == 1 {
                var reference = target[0]
                reference.isModified = true
                summary.relations.add(reference, in: text)
            }
        case .to:
            summary.classes.formUnion(StatementClass.copyTo.union(.read))
            summary.relations.add(contentsOf: target, in: text)
        default:
            summary.classes.insert(.opaque)
            return
        }
        c.advance()
        if c.keyword == .program { summary.classes.insert(.copyProgram) }
    }

    // MARK: PREPARE, DECLARE

    /// PREPARE TRANSACTION is transaction control. PREPARE name AS statement runs nothing yet:
    /// ``StatementClass/utility`` plus the prepared statement's classes (EXECUTE of it later
    /// is ``StatementClass/opaque``).
    @inlinable
    mutating func prepare<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()
        if c.keyword == .transaction {
            summary.classes.insert(.transaction)
            return
        }
        summary.classes.insert(.utility)
        guard skipNames(&c, untilTopLevel: .as) else {
            summary.classes.insert(.opaque)
            return
        }
        c.advance()
        statement(&c)
    }

    /// DECLARE name CURSOR FOR query: ``StatementClass/read`` (rows come back with FETCH).
    @inlinable
    mutating func declare<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()
        summary.classes.insert(.read)
        guard skipNames(&c, untilTopLevel: .for) else {
            summary.classes.insert(.opaque)
            return
        }
        c.advance()
        statement(&c)
    }

    // MARK: SET, RESET

    /// SET ROLE / SET SESSION AUTHORIZATION: ``StatementClass/grant``; SET TRANSACTION:
    /// ``StatementClass/transaction``; any other SET: ``StatementClass/set``.
    @inlinable
    mutating func set<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()
        if c.keyword == .session && c.peek().keyword == .characteristics {
            summary.classes.insert(.set)
            return
        }
        if c.keyword == .session || c.keyword == .local { c.advance() }
        switch c.keyword {
        case .role, .authorization:
            summary.classes.insert(.grant)
        case .session where c.peek().keyword == .authorization:
            summary.classes.insert(.grant)
        case .transaction:
            summary.classes.insert(.transaction)
        default:
            summary.classes.insert(.set)
        }
    }

    /// RESET ROLE / RESET SESSION AUTHORIZATION: ``StatementClass/grant``; others ``StatementClass/set``.
    @inlinable
    mutating func reset<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()
        switch c.keyword {
        case .role:
            summary.classes.insert(.grant)
        case .session where c.peek().keyword == .authorization:
            summary.classes.insert(.grant)
        default:
            summary.classes.insert(.set)
        }
    }

    // MARK: LOCK, REFRESH

    /// LOCK [TABLE] [ONLY] name [, ...]: ``StatementClass/utility``.
    @inlinable
    mutating func lock<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()
        summary.classes.insert(.utility)
        _ = c.accept(.table)
        relationList(&c, modified: false)
    }

    /// REFRESH MATERIALIZED VIEW replaces the view's rows: ``StatementClass/write``.
    @inlinable
    mutating func refresh<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()
        guard c.accept(.materialized), c.accept(.view) else {
            summary.classes.insert(.opaque)
            return
        }
        summary.classes.insert(.write)
        _ = c.accept(.concurrently)
        relation(&c, modified: true)
    }
}
