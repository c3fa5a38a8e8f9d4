/// Classifies one statement by walking its tokens; the per-family rules live in extensions
/// (`SQLQueryRules`, `SQLDataModificationRules`, `SQLDefinitionRules`, `SQLUtilityRules`).
///
/// It is a recognizer, not a parser: it looks for what decides a statement's effect and
/// answers ``StatementClass/opaque`` for what it does not recognize.
@usableFromInline
struct SQLStatementAnalyzer {
    @usableFromInline let text: UnsafeRawBufferPointer
    @usableFromInline let standardConformingStrings: Bool
    @usableFromInline let flagsSideEffectFunctions: Bool
    @usableFromInline var summary: SQLStatementSummary
    /// ``SQLQueryTokenFlags/table``, fetched once per text (a lazy global's check per query
    /// scan cost more than the scan of a short statement).
    @usableFromInline let queryTokenFlags: UnsafePointer<UInt8>
    /// Nesting of statements inside statements (CTE bodies, EXPLAIN, COPY (...), PREPARE).
    @usableFromInline var nesting: Int
    /// Deeper nesting than this is answered ``StatementClass/opaque``.
    @usableFromInline static let maximumNesting = 32

    @inlinable
    init(text: UnsafeRawBufferPointer, standardConformingStrings: Bool, flagsSideEffectFunctions: Bool) {
        self.text = text
        self.standardConformingStrings = standardConformingStrings
        self.flagsSideEffectFunctions = flagsSideEffectFunctions
        self.summary = SQLStatementSummary()
        self.nesting = 0
        self.queryTokenFlags = SQLQueryTokenFlags.table
    }

    /// Classifies the statement in `span` into ``summary``; `buffer` holds its tokens as the
    /// splitter recorded them (nil, or incomplete: the analyzer lexes the span itself).
    @inlinable
    mutating func analyze(_ span: SQLStatementSpan, buffer: SQLTokenBuffer?) {
        summary.classes = StatementClass()
        summary.dropKind = nil
        summary.relations.removeAll()
        summary.range = ByteRange(start: Int32(truncatingIfNeeded: span.start),
                                  count: Int32(truncatingIfNeeded: span.end &- span.start))
        if let buffer, buffer.isComplete {
            var c = SQLRecordedCursor(buffer: buffer, range: span.start..<span.end, textCount: text.count)
            statement(&c)
        } else {
            var c = SQLLexingCursor(text: text, range: span.start..<span.end,
                                    standardConformingStrings: standardConformingStrings)
            statement(&c)
        }
        if span.isMalformed { summary.classes.insert(.opaque) }
        if summary.classes.isEmpty { summary.classes.insert(.opaque) }
    }

    /// Classifies the statement starting at the cursor, up to the end of its range.
    @inlinable
    mutating func statement<C: SQLTokenCursor>(_ c: inout C) {
        guard nesting < Self.maximumNesting else {
            summary.classes.insert(.opaque)
            return
        }
        nesting &+= 1
        defer { nesting &-= 1 }
        if c.kind == .leftParen {
            summary.classes.insert(.read)
            _ = scanQuery(&c)
            return
        }
        guard c.kind == .identifier, let keyword = c.keyword else {
            summary.classes.insert(.opaque)
            return
        }
        switch keyword {
        case .select, .values, .table:
            summary.classes.insert(.read)
            _ = scanQuery(&c)
        case .with:
            withStatement(&c)
        case .insert, .update, .delete, .merge:
            dataModification(&c)
        case .explain:
            explain(&c)
        case .copy:
            copy(&c)
        case .create:
            create(&c)
        case .drop:
            drop(&c)
        case .alter:
            alter(&c)
        case .truncate:
            truncate(&c)
        case .grant, .revoke, .reassign:
            summary.classes.insert(.grant)
        case .begin, .start, .commit, .end, .rollback, .abort, .savepoint, .release:
            summary.classes.insert(.transaction)
        case .prepare:
            prepare(&c)
        case .set:
            set(&c)
        case .reset:
            reset(&c)
        case .show, .fetch:
            summary.classes.insert(.read)
            c.advance()
            flagStatementWords(&c)
        case .declare:
            declare(&c)
        case .execute, .call, .do, .load:
            // EXECUTE runs a prepared statement, CALL and DO run code, LOAD loads a library.
            summary.classes.insert(.opaque)
        case .vacuum, .analyze, .analyse, .checkpoint, .listen, .notify, .unlisten, .discard,
             .deallocate, .cluster, .reindex, .close, .move:
            summary.classes.insert(.utility)
        case .lock:
            lock(&c)
        case .refresh:
            refresh(&c)
        case .comment, .security:
            summary.classes.insert(.alter)
        case .import:
            summary.classes.insert(.create)
        default:
            summary.classes.insert(.opaque)
        }
    }

    /// Classifies the statement inside a parenthesized group (a CTE body, `COPY (...)`).
    @inlinable
    mutating func nestedStatement<C: SQLTokenCursor>(_ inner: C) {
        var inner = inner
        switch inner.keyword {
        case .insert, .update, .delete, .merge:
            guard nesting < Self.maximumNesting else {
                summary.classes.insert(.opaque)
                return
            }
            nesting &+= 1
            dataModification(&inner)
            nesting &-= 1
        case .with:
            guard nesting < Self.maximumNesting else {
                summary.classes.insert(.opaque)
                return
            }
            nesting &+= 1
            withStatement(&inner, addsRead: false)
            nesting &-= 1
        default:
            _ = scanQuery(&inner)
        }
    }

    // MARK: Names

    /// Whether the current token can name a relation (an identifier that is not a reserved
    /// word in that position, or a quoted identifier).
    @inlinable
    static func isRelationName(_ token: SQLCompactToken) -> Bool {
        switch token.kind {
        case .quotedIdentifier, .unicodeQuotedIdentifier:
            return true
        case .identifier:
            guard let keyword = token.keyword else { return true }
            switch keyword {
            case .all, .and, .as, .case, .cast, .create, .default, .distinct, .do, .end, .except,
                 .false, .fetch, .for, .from, .grant, .group, .having, .in, .intersect, .into,
                 .lateral, .limit, .not, .offset, .on, .only, .or, .order, .returning, .select,
                 .table, .then, .to, .true, .union, .using, .when, .where, .window, .with, .values,
                 .join, .inner, .left, .right, .full, .cross, .natural, .outer, .if, .is,
                 .set, .current, .analyze, .analyse, .verbose, .concurrently:
                return false
            default:
                return true
            }
        default:
            return false
        }
    }

    /// The byte range of a name token without its quotes, and whether it was quoted.
    @inlinable
    static func nameRange(_ token: SQLCompactToken) -> (ByteRange, Bool) {
        switch token.kind {
        case .quotedIdentifier:
            return (ByteRange(start: Int32(truncatingIfNeeded: token.start &+ 1),
                              count: Int32(truncatingIfNeeded: max(0, token.end &- token.start &- 2))), true)
        case .unicodeQuotedIdentifier:
            return (ByteRange(start: Int32(truncatingIfNeeded: token.start &+ 3),
                              count: Int32(truncatingIfNeeded: max(0, token.end &- token.start &- 4))), true)
        default:
            return (token.range, false)
        }
    }

    /// Words that begin statements with effects. Unquoted where a query only has names (a
    /// table called `drop`), they make the statement ``StatementClass/opaque``: legal but rare,
    /// and the sign of a statement boundary the classifier might have missed.
    @inlinable
    static func isStatementWord(_ keyword: SQLKeyword) -> Bool {
        switch keyword {
        case .drop, .truncate, .alter, .grant, .revoke, .create, .copy, .execute, .call, .do,
             .insert, .update, .delete, .merge, .vacuum, .reassign:
            return true
        default:
            return false
        }
    }

    /// Reads `name(.name)*` at the cursor (keeping the last two parts as schema and name).
    /// Returns nil, consuming nothing, when the current token cannot name a relation.
    @inlinable
    mutating func qualifiedName<C: SQLTokenCursor>(_ c: inout C, modified: Bool) -> RelationReference? {
        guard Self.isRelationName(c.token) else { return nil }
        if let keyword = c.keyword, Self.isStatementWord(keyword) { summary.classes.insert(.opaque) }
        var last = Self.nameRange(c.token)
        var qualifier: (ByteRange, Bool)? = nil
        c.advance()
        while c.kind == .dot {
            let next = c.peek()
            guard next.isName else { break }
            c.advance()
            qualifier = last
            last = Self.nameRange(c.token)
            c.advance()
        }
        return RelationReference(schema: qualifier?.0, schemaQuoted: qualifier?.1 ?? false,
                                 name: last.0, nameQuoted: last.1, isModified: modified)
    }

    /// Reads a qualified name and records it as a relation.
    @inlinable
    mutating func relation<C: SQLTokenCursor>(_ c: inout C, modified: Bool) {
        if let reference = qualifiedName(&c, modified: modified) {
            summary.relations.add(reference, in: text)
        }
    }

    /// Reads `name [*] [, name [*]] ...` (as TRUNCATE, DROP TABLE and LOCK list them).
    @inlinable
    mutating func relationList<C: SQLTokenCursor>(_ c: inout C, modified: Bool) {
        while true {
            _ = c.accept(.only)
            guard let reference = qualifiedName(&c, modified: modified) else { return }
            summary.relations.add(reference, in: text)
            if c.kind == .operator { c.advance() }  // `*`
            guard c.kind == .comma else { return }
            c.advance()
        }
    }
}
