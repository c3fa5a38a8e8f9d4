import Codecs
import Foundation
import Testing

/// Runs the classifier table's executable statements on a real PostgreSQL 15 and checks that
/// what happened agrees with what the classifier said.
///
/// Safety: every observed change (rows changed, relations created or removed, roles changed)
/// must be explained by a class the classifier reported. Precision: a statement classified
/// DROP TABLE really removes a table, DELETE/UPDATE without WHERE really empties/changes a
/// table, TRUNCATE really empties one.
@Suite(.serialized) struct SQLClassifierPostgresTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] != nil

    static let fixture = #"""
    CREATE TABLE t (id int PRIMARY KEY, v text);
    INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
    CREATE TABLE u (id int, v text);
    INSERT INTO u VALUES (1, 'x'), (2, 'y');
    CREATE TABLE "Weird Name" (id int);
    INSERT INTO "Weird Name" VALUES (1);
    CREATE SCHEMA s;
    CREATE TABLE s.w (id int);
    INSERT INTO s.w VALUES (1), (2);
    CREATE VIEW vw AS SELECT 1 AS one;
    CREATE SCHEMA rg_probe;
    CREATE FUNCTION rg_probe.snapshot() RETURNS SETOF text LANGUAGE plpgsql AS $probe$
    DECLARE r record; n bigint; h text;
    BEGIN
      FOR r IN SELECT ns.nspname, c.relname, c.relkind, c.relispopulated FROM pg_class c
               JOIN pg_namespace ns ON ns.oid = c.relnamespace
               WHERE ns.nspname NOT IN ('pg_catalog', 'information_schema', 'rg_probe')
                 AND ns.nspname NOT LIKE 'pg\_toast%' AND ns.nspname NOT LIKE 'pg\_temp%'
               ORDER BY 1, 2 LOOP
        IF r.relkind IN ('r', 'p') OR (r.relkind = 'm' AND r.relispopulated) THEN
          EXECUTE format('SELECT count(*), coalesce(md5(string_agg(x::text, '','' ORDER BY x::text)), '''') FROM %I.%I x',
                         r.nspname, r.relname) INTO n, h;
          RETURN NEXT format('%s.%s|%s|%s|%s', r.nspname, r.relname, r.relkind, n, h);
        ELSE
          RETURN NEXT format('%s.%s|%s', r.nspname, r.relname, r.relkind);
        END IF;
      END LOOP;
      FOR r IN SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\_%' ORDER BY 1 LOOP
        RETURN NEXT 'role|' || r.rolname;
      END LOOP;
    END $probe$;
    """#

    /// One relation (or role) as the probe reports it.
    struct Entry: Equatable {
        var kind: String
        var rows: Int?
        var hash: String?
    }

    static func snapshot(_ server: PostgresServer, database: String) throws -> [String: Entry] {
        let result = try server.psql("SELECT * FROM rg_probe.snapshot()", database: database)
        guard result.status == 0 else { throw PostgresServer.Failure.command("snapshot", result) }
        var entries: [String: Entry] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2 else { continue }
            entries[parts[0] + (parts[0] == "role" ? "|" + parts[1] : "")] = Entry(
                kind: parts[0] == "role" ? "role" : parts[1],
                rows: parts.count >= 4 ? Int(parts[2]) : nil,
                hash: parts.count >= 4 ? parts[3] : nil)
        }
        return entries
    }

    @Test(.enabled(if: PostgresServer.isInstalled || isCI, "PostgreSQL 15 is not installed"))
    func classifierTableAgreesWithPostgres() throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        let setup = try server.psql("CREATE DATABASE fixture")
        #expect(setup.status == 0, "\(setup.error)")
        let loaded = try server.psql(Self.fixture, database: "fixture")
        try #require(loaded.status == 0, "fixture: \(loaded.error)")

        let rows = SQLClassificationTable.cases.filter(\.runs)
        var executed = 0
        for (index, row) in rows.enumerated() {
            let database = "case\(index)"
            let created = try server.psql("CREATE DATABASE \(database) TEMPLATE fixture")
            try #require(created.status == 0, "\(created.error)")
            defer { _ = try? server.psql("DROP DATABASE \(database) WITH (FORCE)") }

            let classifier = SQLClassifier(options: .init(standardConformingStrings: row.scs))
            let summary = classifier.classify(row.sql)
            let statements = classifier.statements(row.sql)

            let before = try Self.snapshot(server, database: database)
            let result = try server.psql(row.sql, database: database,
                                         sessionOptions: row.scs ? nil : "-c standard_conforming_strings=off")
            let after = try Self.snapshot(server, database: database)
            #expect(result.status == 0, "PostgreSQL rejected \(row.sql): \(result.error)")
            guard result.status == 0 else { continue }
            executed += 1
            check(row.sql, classes: summary.classes, statements: statements.map(\.summary), texts: statements.map(\.text),
                  before: before, after: after)
        }
        print("classifier vs PostgreSQL 15: \(executed) of \(rows.count) table statements executed and checked")
        #expect(executed == rows.count)
    }

    func check(_ sql: String, classes: StatementClass, statements: [SQLStatementSummary], texts: [String],
               before: [String: Entry], after: [String: Entry]) {
        var removed: [String] = []
        var added: [String] = []
        var changedRows: [String] = []
        var emptied: [String] = []
        for (name, old) in before {
            guard let new = after[name] else {
                removed.append(name)
                continue
            }
            if old.hash != new.hash || old.rows != new.rows {
                changedRows.append(name)
                if (old.rows ?? 0) > 0 && new.rows == 0 { emptied.append(name) }
            }
        }
        for name in after.keys where before[name] == nil { added.append(name) }
        let removedTables = removed.filter { before[$0]?.kind == "r" }
        let roleChanges = (removed + added).filter { $0.hasPrefix("role|") }

        // Safety: each change is explained.
        if !changedRows.isEmpty {
            #expect(!classes.isDisjoint(with: [.write, .truncate, .alter, .copyFrom, .opaque]),
                    "rows of \(changedRows) changed but \(sql) was classified \(classes.names)")
        }
        if !removed.filter({ !$0.hasPrefix("role|") }).isEmpty {
            #expect(!classes.isDisjoint(with: [.drop, .alter, .opaque]),
                    "\(removed) disappeared but \(sql) was classified \(classes.names)")
        }
        if !added.filter({ !$0.hasPrefix("role|") }).isEmpty {
            #expect(!classes.isDisjoint(with: [.create, .alter, .opaque]),
                    "\(added) appeared but \(sql) was classified \(classes.names)")
        }
        if !roleChanges.isEmpty {
            #expect(!classes.isDisjoint(with: [.grant, .opaque]),
                    "roles \(roleChanges) changed but \(sql) was classified \(classes.names)")
        }
        if classes.isSubset(of: [.read, .transaction, .set, .utility]) {
            #expect(removed.isEmpty && added.isEmpty && changedRows.isEmpty,
                    "\(sql) was classified \(classes.names) yet changed \(removed + added + changedRows)")
        }

        // Precision: what the classifier claims really happened (prepared statements excluded:
        // PREPARE reports what the statement would do, not what it does yet).
        for (statement, text) in zip(statements, texts) where !text.uppercased().hasPrefix("PREPARE") {
            if statement.classes.contains(.drop) && statement.dropKind == .table {
                #expect(!removedTables.isEmpty, "\(text) was classified DROP TABLE but no table disappeared")
            }
            if statement.classes.contains(.deleteWithoutWhere) || statement.classes.contains(.truncate) {
                #expect(!emptied.isEmpty, "\(text) was classified \(statement.classes.names) but no table was emptied")
            }
            if statement.classes.contains(.updateWithoutWhere) {
                #expect(!changedRows.isEmpty, "\(text) was classified update-without-where but no row changed")
            }
        }
    }
}
