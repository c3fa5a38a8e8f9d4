import Codecs
import Testing

@Suite struct SQLRelationTests {
    /// Relations of `sql` as "schema.name" (or "name") with "*" marking modified ones.
    func relations(_ sql: String) -> [String] {
        let summary = SQLClassifier().classify(sql)
        return summary.relations.map { reference in
            let names = SQLClassifier.names(of: reference, in: sql)
            return (names.schema.map { $0 + "." } ?? "") + names.name + (reference.isModified ? "*" : "")
        }
    }

    @Test func selectNamesItsTables() {
        #expect(relations("SELECT * FROM t JOIN s.u ON true, v x, ONLY w") == ["t", "s.u", "v", "w"])
        #expect(relations("SELECT * FROM (a JOIN b USING (id)) LEFT JOIN c ON true") == ["a", "b", "c"])
        #expect(relations("SELECT extract(year FROM d), substring(x FROM 2) FROM t WHERE a IS DISTINCT FROM b") == ["t"])
        #expect(relations("SELECT * FROM generate_series(1, 2), LATERAL f(x) g") == [])
        #expect(relations("SELECT (SELECT max(x) FROM inner_t) FROM outer_t") == ["inner_t", "outer_t"])
        #expect(relations("SELECT * FROM \"Mixed Case\".\"T\"\"q\"") == ["Mixed Case.T\"\"q"])
        #expect(relations("SELECT * FROM (VALUES (1, 'x'), (2, y)) v(a, b)") == [])
    }

    @Test func modifiedTargetsAreMarked() {
        #expect(relations("INSERT INTO public.t SELECT * FROM src") == ["public.t*", "src"])
        #expect(relations("UPDATE t SET a = 1 FROM u WHERE t.id = u.id") == ["t*", "u"])
        #expect(relations("DELETE FROM t USING u, v WHERE true") == ["t*", "u", "v"])
        #expect(relations("MERGE INTO t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE") == ["t*", "src"])
        #expect(relations("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d") == ["t*", "d"])
        #expect(relations("TRUNCATE a, ONLY b") == ["a*", "b*"])
        #expect(relations("DROP TABLE IF EXISTS a, s.b") == ["a*", "s.b*"])
        #expect(relations("ALTER TABLE ONLY t ADD COLUMN c int") == ["t*"])
        #expect(relations("COPY t FROM STDIN") == ["t*"])
        #expect(relations("COPY t TO STDOUT") == ["t"])
        #expect(relations("SELECT * INTO new_t FROM t") == ["new_t*", "t"])
        #expect(relations("CREATE TABLE n AS SELECT * FROM t") == ["n*", "t"])
        #expect(relations("EXPLAIN DELETE FROM t") == ["t"])
    }

    /// The recorded cursor steps over an INSERT's column list and flat VALUES rows in one
    /// loop; rows with a subquery or a call inside, and what follows the rows, still reach
    /// scanQuery (the fuzz harness compares this with the lexing cursor, which steps over
    /// nothing).
    @Test func valuesRowsAreSteppedOverAlike() {
        #expect(relations("INSERT INTO t (a, b) VALUES (1, 2), (3, (SELECT x FROM u)), (4, 5) RETURNING *") == ["t*", "u"])
        #expect(relations("INSERT INTO s.t VALUES (1), (2) ON CONFLICT (a) DO UPDATE SET b = 1") == ["s.t*"])
        #expect(relations("INSERT INTO t (a) SELECT a FROM u, v") == ["t*", "u", "v"])
        let classifier = SQLClassifier()
        #expect(classifier.classify("INSERT INTO t VALUES (1, 'a'), (2, 'b') RETURNING id").classes == [.write, .read])
        #expect(classifier.classify("INSERT INTO t VALUES (1), (pg_read_file('x'))").classes == [.write, .opaque])
        #expect(classifier.classify("INSERT INTO pg_read_file (a) VALUES (1)").classes == [.write, .opaque])
        #expect(classifier.classify("INSERT INTO t VALUES (1), (2), (DELETE)").classes == [.write, .opaque])
        #expect(classifier.classify("INSERT INTO t (a) VALUES (1), (2) ON CONFLICT DO NOTHING").classes == .write)
    }

    @Test func repeatedNamesAreListedOnce() {
        #expect(relations("SELECT * FROM t, T, \"t\"; UPDATE t SET a = 1") == ["t*"])
        #expect(relations("SELECT * FROM \"T\", t") == ["T", "t"])
        // The first statement with relations fills the empty list as it is; later ones merge.
        #expect(relations("SELECT 1; SELECT * FROM a, b; DELETE FROM B; SELECT * FROM c, a") == ["a", "b*", "c"])
    }

    /// The list compares a key (length, folded first and last byte, schema length) before
    /// any bytes: names that share the key must still be told apart by their bytes.
    @Test func namesSharingAKeyAreComparedByTheirBytes() {
        #expect(relations("SELECT * FROM abc, axc, ABC, aXc, ab, axb") == ["abc", "axc", "ab", "axb"])
        #expect(relations("SELECT * FROM s.t, x.t, t, S.T, \"s\".t") == ["s.t", "x.t", "t"])
        #expect(relations("SELECT * FROM \"Tab\", tab, TAB, \"tab\"") == ["Tab", "tab"])
        let long = String(repeating: "k", count: 300)
        let other = String(repeating: "k", count: 44)  // 300 and 44 agree in their low byte
        #expect(relations("SELECT * FROM \(long).t, \(other).t, \(long).t") == ["\(long).t", "\(other).t"])
    }

    /// What the list stores comes back as it was added, and adding an equal reference again
    /// only merges its modified flag.
    @Test func listKeepsReferencesAsAdded() {
        let text = Array("users Users \"users\" public".utf8)
        text.withUnsafeBytes { bytes in
            let plain = RelationReference(schema: nil, schemaQuoted: true, name: ByteRange(start: 0, count: 5),
                                          nameQuoted: false, isModified: false)
            let upper = RelationReference(schema: nil, schemaQuoted: false, name: ByteRange(start: 6, count: 5),
                                          nameQuoted: false, isModified: true)
            let quoted = RelationReference(schema: nil, schemaQuoted: false, name: ByteRange(start: 13, count: 5),
                                           nameQuoted: true, isModified: false)
            let qualified = RelationReference(schema: ByteRange(start: 20, count: 6), schemaQuoted: false,
                                              name: ByteRange(start: 0, count: 5), nameQuoted: false, isModified: false)
            var list = SQLRelationList()
            list.add(plain, in: bytes)
            #expect(Array(list) == [plain])
            list.add(upper, in: bytes)  // `Users` is `users`: only the flag is merged
            list.add(quoted, in: bytes)  // `"users"` is `users` too
            list.add(qualified, in: bytes)
            var merged = plain
            merged.isModified = true
            #expect(Array(list) == [merged, qualified])
            var other = SQLRelationList()
            other.add(contentsOf: list, in: bytes)
            other.add(contentsOf: list, in: bytes)
            #expect(Array(other) == [merged, qualified])
            #expect(!other.isOverflowed)
        }
    }

    @Test func overflowIsFlagged() {
        let names = (0..<20).map { "t\($0)" }.joined(separator: ", ")
        let summary = SQLClassifier().classify("SELECT * FROM \(names)")
        #expect(summary.relations.count == SQLRelationList.capacity)
        #expect(summary.relations.isOverflowed)
    }
}
