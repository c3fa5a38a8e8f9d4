extension SQLStatementAnalyzer {
    /// The object a CREATE/DROP/ALTER names, after its leading keyword(s).
    @usableFromInline
    enum ObjectKind {
        case table, view, materializedView, index, sequence, foreignTable
        case schema, database, function, procedure, trigger, type, domain, `extension`, role
        case tablespace, policy, rule, server, publication, subscription, owned
        /// A known kind with no ``DropObjectKind`` of its own (CAST, COLLATION, ...).
        case other
        /// ROLE/USER/GROUP's cousins that are not roles (USER MAPPING).
        case userMapping
        /// DEFAULT PRIVILEGES.
        case defaultPrivileges
        /// ALTER SYSTEM.
        case system
    }

    /// Reads the object kind words at the cursor; nil (consuming nothing) when unknown.
    @inlinable
    mutating func objectKind<C: SQLTokenCursor>(_ c: inout C) -> ObjectKind? {
        guard let keyword = c.keyword else { return nil }
        let kind: ObjectKind
        var words = 1
        let next = c.peek().keyword
        switch keyword {
        case .table: kind = .table
        case .view: kind = .view
        case .materialized:
            guard next == .view else { return nil }
            kind = .materializedView
            words = 2
        case .index: kind = .index
        case .sequence: kind = .sequence
        case .foreign:
            if next == .table {
                kind = .foreignTable
                words = 2
            } else if next == .data {
                kind = .other
                words = 3  // FOREIGN DATA WRAPPER
            } else {
                return nil
            }
        case .schema: kind = .schema
        case .database: kind = .database
        case .function, .aggregate, .routine: kind = .function
        case .procedure: kind = .procedure
        case .trigger: kind = .trigger
        case .type: kind = .type
        case .domain: kind = .domain
        case .extension: kind = .extension
        case .role, .group: kind = .role
        case .user:
            // USER MAPPING FOR|IF ...; otherwise a role that may be called "mapping".
            var lookahead = c
            lookahead.advance()
            lookahead.advance()
            if next == .mapping && (lookahead.keyword == .for || lookahead.keyword == .if) {
                kind = .userMapping
                words = 2
            } else {
                kind = .role
            }
        case .tablespace: kind = .tablespace
        case .policy: kind = .policy
        case .rule: kind = .rule
        case .server: kind = .server
        case .publication: kind = .publication
        case .subscription: kind = .subscription
        case .owned: kind = .owned
        case .default:
            guard next == .privileges else { return nil }
            kind = .defaultPrivileges
            words = 2
        case .system: kind = .system
        case .event, .access, .large:
            kind = .other
            words = 2  // EVENT TRIGGER, ACCESS METHOD, LARGE OBJECT
        case .text:
            kind = .other
            words = 3  // TEXT SEARCH PARSER|DICTIONARY|TEMPLATE|CONFIGURATION
        case .operator:
            kind = .other
            if next == .class || next == .family { words = 2 }
        case .procedural:
            kind = .other
            words = 2  // PROCEDURAL LANGUAGE
        case .cast, .collation, .conversion, .language, .statistics, .transform:
            kind = .other
        default:
            return nil
        }
        for _ in 0..<words { c.advance() }
        return kind
    }

    @inlinable
    static func dropKind(_ kind: ObjectKind) -> DropObjectKind {
        switch kind {
        case .table: return .table
        case .view: return .view
        case .materializedView: return .materializedView
        case .index: return .index
        case .sequence: return .sequence
        case .foreignTable: return .foreignTable
        case .schema: return .schema
        case .database: return .database
        case .function: return .function
        case .procedure: return .procedure
        case .trigger: return .trigger
        case .type: return .type
        case .domain: return .domain
        case .extension: return .extension
        case .role: return .role
        case .tablespace: return .tablespace
        case .policy: return .policy
        case .rule: return .rule
        case .server: return .server
        case .publication: return .publication
        case .subscription: return .subscription
        case .owned: return .owned
        case .other, .userMapping, .defaultPrivileges, .system: return .other
        }
    }

    @inlinable
    static func isRelationKind(_ kind: ObjectKind) -> Bool {
        switch kind {
        case .table, .view, .materializedView, .index, .sequence, .foreignTable: return true
        default: return false
        }
    }

    /// Skips `IF [NOT] EXISTS`.
    @inlinable
    func skipIfExists<C: SQLTokenCursor>(_ c: inout C) {
        if c.keyword == .if {
            c.advance()
            _ = c.accept(.not)
            _ = c.accept(.exists)
        }
    }

    // MARK: CREATE

    /// CREATE: ``StatementClass/create``, except roles (``StatementClass/grant``), functions
    /// and procedures (their bodies are code: ``StatementClass/opaque``), and CREATE TABLE AS /
    /// MATERIALIZED VIEW, which also ``StatementClass/write`` unless WITH NO DATA.
    @inlinable
    mutating func create<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()  // CREATE
        if c.keyword == .or {
            c.advance()
            _ = c.accept(.replace)
        }
        while let modifier = c.keyword {
            switch modifier {
            case .temp, .temporary, .unlogged, .global, .local, .recursive, .trusted, .unique,
                 .constraint:
                c.advance()
                continue
            case .default where c.peek().keyword == .conversion:
                c.advance()
                continue
            default:
                break
            }
            break
        }
        guard let kind = objectKind(&c) else {
            summary.classes.formUnion(StatementClass.create.union(.opaque))
            return
        }
        switch kind {
        case .function, .procedure:
            // Function bodies are code the classifier cannot see into.
            if c.previous.keyword == .aggregate {
                summary.classes.insert(.create)
            } else {
                summary.classes.insert(.opaque)
            }
        case .role:
            summary.classes.insert(.grant)
        case .table, .materializedView:
            summary.classes.insert(.create)
            skipIfExists(&c)
            relation(&c, modified: true)
            createTableAs(&c, populatesByDefault: true)
        case .view:
            summary.classes.insert(.create)
            relation(&c, modified: true)
            if skipNames(&c, untilTopLevel: .as) {
                c.advance()
                _ = scanQuery(&c, executes: false)
            }
        case .foreignTable, .sequence:
            summary.classes.insert(.create)
            skipIfExists(&c)
            relation(&c, modified: true)
        case .index, .trigger, .policy, .rule:
            // ... ON [ONLY] table
            summary.classes.insert(.create)
            if c.skip(untilTopLevel: .on) {
                c.advance()
                if kind == .rule {
                    // AS ON event TO table
                    if c.skip(untilTopLevel: .to) { c.advance() }
                }
                _ = c.accept(.only)
                relation(&c, modified: true)
            }
        case .schema:
            summary.classes.insert(.create)
            // Schema elements may include GRANT.
            while !c.isAtEnd {
                if c.keyword == .grant { summary.classes.insert(.grant) }
                c.advance()
            }
        case .userMapping:
            summary.classes.insert(.create)
        case .defaultPrivileges, .system, .owned:
            summary.classes.formUnion(StatementClass.create.union(.opaque))
        default:
            summary.classes.insert(.create)
        }
    }

    /// After `CREATE TABLE|MATERIALIZED VIEW name`: when an AS query follows at the top
    /// level, scans it; it writes rows unless WITH NO DATA.
    @inlinable
    mutating func createTableAs<C: SQLTokenCursor>(_ c: inout C, populatesByDefault: Bool) {
        guard c.skip(untilTopLevel: .as) else { return }
        c.advance()
        if c.keyword == .execute {
            summary.classes.formUnion(StatementClass.write.union(.opaque))
            return
        }
        let readBefore = summary.classes.contains(.read)
        let scan = scanQuery(&c)
        if !scan.withNoData && populatesByDefault {
            // The new relation is filled with the rows the query reads.
            summary.classes.insert(.write)
        } else if !readBefore {
            summary.classes.remove(.read)
        }
    }

    // MARK: DROP

    /// DROP: ``StatementClass/drop`` with its ``DropObjectKind``; DROP ROLE/USER/GROUP and
    /// DROP OWNED also ``StatementClass/grant``. An unknown object kind is ``DropObjectKind/other``
    /// and ``StatementClass/opaque``.
    @inlinable
    mutating func drop<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()  // DROP
        summary.classes.insert(.drop)
        guard let kind = objectKind(&c) else {
            summary.dropKind = .other
            summary.classes.insert(.opaque)
            return
        }
        summary.dropKind = Self.dropKind(kind)
        switch kind {
        case .role, .owned:
            summary.classes.insert(.grant)
        case .defaultPrivileges, .system:
            summary.classes.insert(.opaque)
        case .trigger, .policy, .rule:
            if c.skip(untilTopLevel: .on) {
                c.advance()
                relation(&c, modified: true)
            }
        default:
            if Self.isRelationKind(kind) {
                _ = c.accept(.concurrently)
                skipIfExists(&c)
                relationList(&c, modified: true)
            }
        }
    }

    // MARK: ALTER

    /// ALTER: ``StatementClass/alter``; ALTER ROLE/USER/GROUP and ALTER DEFAULT PRIVILEGES are
    /// ``StatementClass/grant``. An unknown object kind adds ``StatementClass/opaque``.
    @inlinable
    mutating func alter<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()  // ALTER
        guard let kind = objectKind(&c) else {
            summary.classes.formUnion(StatementClass.alter.union(.opaque))
            return
        }
        switch kind {
        case .role, .defaultPrivileges:
            summary.classes.insert(.grant)
        default:
            summary.classes.insert(.alter)
            if Self.isRelationKind(kind) {
                if c.keyword == .all && c.peek().keyword == .in { return }  // ALL IN TABLESPACE
                skipIfExists(&c)
                _ = c.accept(.only)
                relation(&c, modified: true)
            }
        }
    }

    // MARK: TRUNCATE

    /// TRUNCATE [TABLE] [ONLY] name [*] [, ...]: ``StatementClass/truncate``.
    @inlinable
    mutating func truncate<C: SQLTokenCursor>(_ c: inout C) {
        c.advance()
        summary.classes.insert(.truncate)
        _ = c.accept(.table)
        relationList(&c, modified: true)
    }
}
