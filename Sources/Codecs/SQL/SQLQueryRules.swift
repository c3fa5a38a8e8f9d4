/// What a scan of a query (or of the tail of a data-modifying statement) saw at its top level.
@usableFromInline
struct SQLQueryScan {
    /// A WHERE clause at parenthesis depth 0 (WHERE CURRENT OF included).
    @usableFromInline var hasWhere = false
    /// A RETURNING clause at depth 0.
    @usableFromInline var hasReturning = false
    /// `WITH NO DATA` at depth 0 (CREATE TABLE AS / MATERIALIZED VIEW create no rows).
    @usableFromInline var withNoData = false
    /// ON CONFLICT seen (DO NOTHING / DO UPDATE may follow).
    @usableFromInline var sawConflict = false
    @usableFromInline init() {}
}

extension SQLStatementAnalyzer {
    /// Walks a query (SELECT, VALUES, TABLE, a WITH body, the rest of an INSERT/UPDATE/DELETE/
    /// MERGE after its target) to the end of the cursor's range and records:
    /// - relations named after FROM, JOIN, USING, in FROM lists and in parenthesized joins
    ///   (as written: a CTE's name is reported like a table's; functions in FROM are not);
    /// - data-modifying statements heading a parenthesized group (CTE bodies), classified as
    ///   such (``StatementClass/write``, without-WHERE flags, their targets);
    /// - `SELECT ... INTO` (``StatementClass/create`` and ``StatementClass/write``);
    /// - calls of functions with side effects (``StatementClass/opaque``, see
    ///   ``SQLSideEffectFunctions``) when `flagsSideEffectFunctions` is set;
    /// - words no query contains outside a name position (DROP, TRUNCATE, GRANT ...), which
    ///   make the statement ``StatementClass/opaque``.
    @inlinable
    mutating func scanQuery<C: SQLTokenCursor>(_ c: inout C, executes: Bool = true) -> SQLQueryScan {
        var result = SQLQueryScan()
        var depth = 0
        // Bit d: level d is a query (FROM there introduces relations) / is inside a FROM list.
        var queryLevels: UInt64 = 1
        var fromLevels: UInt64 = 0
        var relationPosition = false
        while true {
            let bit: UInt64 = depth < 64 ? (1 << UInt64(depth)) : 0
            if !relationPosition {
                // Skip, in a tight loop over the recorded tokens, what the switch below would
                // pass over: names, keywords that mean nothing here (see actsInQuery), other
                // tokens, and commas outside a FROM list (only parentheses, FROM-list commas
                // and the keywords keywordInQuery acts on count here).
                c.skipInert(stopsAtComma: (fromLevels & bit) != 0, flags: queryTokenFlags)
            }
            if c.isAtEnd { break }
            let token = c.token
            switch token.kind {
            case .leftParen:
                let next = c.peek()
                callOpening(&c, runs: executes)
                switch next.keyword {
                case .insert, .update, .delete, .merge:
                    let inner = c.skipGroup()
                    nestedStatement(c.cursor(over: inner))
                    relationPosition = false
                    continue
                default:
                    break
                }
                depth &+= 1
                guard depth < 64 else {
                    summary.classes.insert(.opaque)  // deeper than tracked: give up on details
                    relationPosition = false
                    break
                }
                let newBit: UInt64 = 1 << UInt64(depth)
                queryLevels &= ~newBit
                fromLevels &= ~newBit
                switch next.keyword {
                case .select, .values, .with, .table:
                    queryLevels |= newBit
                    relationPosition = false
                default:
                    if relationPosition {
                        // A parenthesized join: `FROM (a JOIN b ON ...)`.
                        queryLevels |= newBit
                        fromLevels |= newBit
                    } else if next.kind == .leftParen && (queryLevels & bit) != 0 {
                        // `((SELECT ...) UNION (...))`: still a query level.
                        queryLevels |= newBit
                    }
                }
            case .rightParen:
                if depth > 0 {
                    if depth < 64 {
                        let oldBit: UInt64 = 1 << UInt64(depth)
                        queryLevels &= ~oldBit
                        fromLevels &= ~oldBit
                    }
                    depth &-= 1
                }
                relationPosition = false
            case .comma:
                relationPosition = (fromLevels & bit) != 0
            case .identifier, .quotedIdentifier, .unicodeQuotedIdentifier:
                if relationPosition {
                    if token.keyword == .lateral || token.keyword == .only {
                        c.advance()
                        continue
                    }
                    if token.keyword == .rows && c.peek().keyword == .from {
                        relationPosition = false  // ROWS FROM (...)
                        c.advance()
                        c.advance()
                        continue
                    }
                    if Self.isRelationName(token) {
                        relationPosition = false
                        var lookahead = c
                        if let reference = qualifiedName(&lookahead, modified: false) {
                            if lookahead.kind != .leftParen {
                                // Rows of a relation named in FROM/JOIN/USING are read, also by
                                // INSERT ... SELECT, UPDATE ... FROM, DELETE ... USING and MERGE
                                // (not by a view's definition, which runs nothing).
                                if executes { summary.classes.insert(.read) }
                                if Self.isStatisticsView(reference, in: text) { summary.classes.insert(.opaque) }
                                summary.relations.add(reference, in: text)
                            }
                            // Leave the cursor on the last name part (a function name before `(`).
                            while c.token.end < lookahead.previous.end { c.advance() }
                        }
                        break
                    }
                    relationPosition = false
                }
                // Only keywords matter from here on (most names are not: skip the call).
                if token.keyword != nil {
                    keywordInQuery(&c, token: token, depth: depth, bit: bit, queryLevels: queryLevels,
                                   executes: executes, fromLevels: &fromLevels, relationPosition: &relationPosition,
                                   result: &result)
                }
            default:
                relationPosition = false
            }
            c.advance()
        }
        return result
    }

    /// The catalog relations that expose column values of every table (most common values,
    /// histogram bounds): reading them cannot be attributed to one relation, so it is opaque.
    @usableFromInline
    static let statisticsViews: [[UInt8]] = [
        "pg_stats", "pg_statistic", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic_ext_data",
    ].map { Array($0.utf8) }

    @inlinable
    static func isStatisticsView(_ reference: RelationReference, in text: UnsafeRawBufferPointer) -> Bool {
        let count = Int(reference.name.count)
        guard count >= 8 && count <= 21 else { return false }
        if let schema = reference.schema {
            let schemaBytes = text[Int(schema.start)..<Int(schema.end)]
            guard schemaBytes.count == 10, zip(schemaBytes, "pg_catalog".utf8).allSatisfy({ lowercased($0) == $1 }) else { return false }
        }
        let name = text[Int(reference.name.start)..<Int(reference.name.end)]
        return statisticsViews.contains { view in
            view.count == count && zip(name, view).allSatisfy { reference.nameQuoted ? $0 == $1 : lowercased($0) == $1 }
        }
    }

    @inlinable
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Whether ``keywordInQuery(_:token:depth:bit:queryLevels:executes:fromLevels:relationPosition:result:)``
    /// can act on `keyword` (outside a relation position): the clause words it tracks and
    /// the words that start other statements. It must list every keyword that function does
    /// anything for: scanQuery skips the others without calling it when it reads recorded
    /// tokens (when it lexes, it calls it for every keyword, so that the fuzz harness's
    /// recorded-versus-lexed comparison catches a keyword missing here).
    @inlinable @inline(__always)
    static func actsInQuery(_ keyword: SQLKeyword) -> Bool {
        switch keyword {
        case .from, .join, .using, .where, .returning, .group, .having, .window, .order, .limit, .offset,
             .fetch, .for, .union, .intersect, .except, .set, .when, .conflict, .into, .data, .table:
            return true
        default:
            return isStatementWord(keyword)
        }
    }

    @inlinable
    mutating func keywordInQuery<C: SQLTokenCursor>(
        _ c: inout C, token: SQLCompactToken, depth: Int, bit: UInt64, queryLevels: UInt64, executes: Bool,
        fromLevels: inout UInt64, relationPosition: inout Bool, result: inout SQLQueryScan
    ) {
        // After a dot every word is a name, reserved ones included (`t.where`).
        guard let keyword = token.keyword, c.previous.kind != .dot else { return }
        let previousKeyword = c.previous.kind == .identifier ? c.previous.keyword : nil
        // A keyword written where a name goes (`t.drop`, `AS delete`) is a name.
        let isNamePosition = c.previous.kind == .dot || previousKeyword == .as
        switch keyword {
        case .from:
            if previousKeyword == .distinct || previousKeyword == .rows || isNamePosition { return }
            if (queryLevels & bit) != 0 {
                fromLevels |= bit
                relationPosition = true
            }
        case .join:
            fromLevels |= bit
            relationPosition = true
        case .using:
            if (queryLevels & bit) != 0 && c.peek().kind != .leftParen && c.peek().kind != .operator {
                fromLevels |= bit
                relationPosition = true
            }
        case .where:
            fromLevels &= ~bit
            if depth == 0 { result.hasWhere = true }
        case .returning:
            fromLevels &= ~bit
            if depth == 0 {
                result.hasReturning = true
                summary.classes.insert(.read)
            }
        case .group, .having, .window, .order, .limit, .offset, .fetch, .for, .union, .intersect,
             .except, .on, .set, .when:
            if keyword != .on { fromLevels &= ~bit }
        case .conflict:
            result.sawConflict = true
        case .into:
            // In a view definition nothing runs (and PostgreSQL rejects INTO there).
            if isNamePosition || !executes { return }
            // SELECT ... INTO [TEMP|TEMPORARY|UNLOGGED|LOCAL|GLOBAL] [TABLE] name creates a table.
            summary.classes.formUnion(StatementClass.create.union(.write))
            var lookahead = c
            lookahead.advance()
            while let next = lookahead.keyword,
                  next == .temp || next == .temporary || next == .unlogged || next == .local || next == .global {
                lookahead.advance()
            }
            _ = lookahead.accept(.table)
            if let reference = qualifiedName(&lookahead, modified: true) {
                summary.relations.add(reference, in: text)
            }
        case .table:
            // `TABLE name` is a query of its own (alone, after UNION, in parentheses, after
            // INSERT ... or AS): it reads the named relation. `INTO [TEMP] TABLE name` is
            // handled at INTO; here the extra reference only adds a relation (fail closed).
            if isNamePosition { return }
            var lookahead = c
            lookahead.advance()
            _ = lookahead.accept(.only)
            if let reference = qualifiedName(&lookahead, modified: false) {
                if executes { summary.classes.insert(.read) }
                summary.relations.add(reference, in: text)
            }
        case .data:
            if depth == 0 && previousKeyword == .no && c.beforePrevious.keyword == .with {
                result.withNoData = true
            }
        case .insert, .update, .delete, .merge:
            if isNamePosition { return }
            switch previousKeyword {
            case .for, .key, .then, .do:
                return  // FOR [NO KEY] UPDATE, MERGE ... THEN UPDATE, ON CONFLICT DO UPDATE
            default:
                summary.classes.insert(.opaque)
            }
        default:
            // Words that start other statements have no place in a query except as names.
            guard Self.isStatementWord(keyword), !isNamePosition else { return }
            if keyword == .do && (previousKeyword == .then || result.sawConflict) {
                return  // ON CONFLICT ... DO, MERGE ... THEN DO NOTHING
            }
            summary.classes.insert(.opaque)
        }
    }

    /// For statements with only names after their first word (SHOW, FETCH): a word that starts
    /// other statements (DROP, DELETE ...) outside a name position makes them opaque.
    @inlinable
    mutating func flagStatementWords<C: SQLTokenCursor>(_ c: inout C) {
        while !c.isAtEnd {
            if let keyword = c.keyword, c.previous.kind != .dot, c.previous.keyword != .as,
               Self.isStatementWord(keyword) || keyword == .select {
                summary.classes.insert(.opaque)
            }
            c.advance()
        }
    }

    /// Like ``SQLTokenCursor/skip(untilTopLevel:)`` over a stretch that holds only names and
    /// options (a cursor declaration, a CTE's column list): statement words there are flagged.
    @inlinable
    mutating func skipNames<C: SQLTokenCursor>(_ c: inout C, untilTopLevel keyword: SQLKeyword) -> Bool {
        var depth = 0
        while !c.isAtEnd {
            switch c.kind {
            case .leftParen: depth &+= 1
            case .rightParen: depth &-= 1
            default:
                if depth == 0 && c.keyword == keyword { return true }
                if let word = c.keyword, Self.isStatementWord(word), c.previous.kind != .dot, c.previous.keyword != .as {
                    summary.classes.insert(.opaque)
                }
            }
            c.advance()
        }
        return false
    }

    /// The `(` at the cursor opens a call when a name comes before it: records the call (see
    /// ``functionCall(named:runs:)``). (The kind tests read `c.previous` each rather than
    /// `isName` on one copy: that measured 2% more instructions on the script.)
    @inlinable @inline(__always)
    mutating func callOpening<C: SQLTokenCursor>(_ c: inout C, runs: Bool) {
        if c.previous.kind == .identifier || c.previous.kind == .quotedIdentifier
            || c.previous.kind == .unicodeQuotedIdentifier {
            functionCall(named: c.previous, runs: runs)
        }
    }

    /// Records a call of a function with side effects (when configured to).
    @inlinable
    mutating func functionCall(named token: SQLCompactToken, runs: Bool) {
        guard runs, flagsSideEffectFunctions else { return }
        if token.kind == .identifier && token.keyword != nil { return }
        let (range, quoted) = Self.nameRange(token)
        guard range.start >= 0, Int(range.end) <= text.count else { return }
        let name = UnsafeRawBufferPointer(rebasing: text[Int(range.start)..<Int(range.end)])
        if SQLSideEffectFunctions.matches(name, caseSensitive: quoted) {
            summary.classes.insert(.opaque)
        }
    }
}

/// What ``SQLRecordedCursor/skipInert(stopsAtComma:)`` stops at, as one byte per token kind
/// and per keyword: 512 bytes, built once, never freed. Bytes 0-255 are indexed by
/// ``SQLCompactToken/kindByte`` (``stops`` for parentheses, ``comma`` for commas), bytes
/// 256-511 by ``SQLCompactToken/keywordByte`` (``stops`` where
/// ``SQLStatementAnalyzer/actsInQuery(_:)`` is true; 0 for no keyword).
@usableFromInline
enum SQLQueryTokenFlags {
    @inlinable static var stops: UInt8 { 1 }
    @inlinable static var comma: UInt8 { 2 }

    @usableFromInline
    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 512)
        table.initialize(repeating: 0, count: 512)
        func byte(_ kind: SQLTokenKind) -> Int { Int(unsafeBitCast(kind, to: UInt8.self)) }
        table[byte(.leftParen)] = stops
        table[byte(.rightParen)] = stops
        table[byte(.comma)] = comma
        for keyword in SQLKeyword.allCases where SQLStatementAnalyzer.actsInQuery(keyword) {
            table[256 &+ Int(unsafeBitCast(Optional(keyword), to: UInt8.self))] = stops
        }
        precondition(table[256 &+ Int(unsafeBitCast(Optional<SQLKeyword>.none, to: UInt8.self))] == 0,
                     "no keyword must not stop the scan")
        return UnsafePointer(table)
    }()
}
