import Codecs
import Testing

/// The classifier lexes a statement once into a fixed-capacity token buffer; a statement with
/// more significant tokens than fit (512) is lexed again by the analyzer. Both ways must give
/// the same answer.
@Suite struct SQLLongStatementTests {
    /// `count` comma-separated copies of `item`.
    func list(_ item: String, _ count: Int) -> String {
        Array(repeating: item, count: count).joined(separator: ", ")
    }

    func describe(_ sql: String) -> (StatementClass, [String], Int) {
        let summary = SQLClassifier().classify(sql)
        let names = summary.relations.map { reference in
            SQLClassifier.names(of: reference, in: sql).name + (reference.isModified ? "*" : "")
        }
        return (summary.classes, names, summary.statementCount)
    }

    @Test func longInsertClassifiesLikeAShortOne() {
        for rows in [2, 300, 3000] {  // 6, 900 and 9,000 tokens of VALUES
            let sql = "INSERT INTO t SELECT * FROM (VALUES \(list("(1)", rows))) v; DELETE FROM u"
            let (classes, names, count) = describe(sql)
            #expect(classes == [.write, .deleteWithoutWhere], "rows: \(rows)")
            #expect(names == ["t*", "u*"], "rows: \(rows)")
            #expect(count == 2)
        }
    }

    @Test func longCTEStillSeesItsDataModifyingBody() {
        for columns in [1, 700] {
            let sql = "WITH x AS (SELECT \(list("a", columns)) FROM src), d AS (DELETE FROM victim RETURNING *) "
                + "SELECT * FROM x, d"
            let (classes, names, _) = describe(sql)
            #expect(classes == [.read, .write, .deleteWithoutWhere], "columns: \(columns)")
            #expect(names == ["src", "victim*", "x", "d"], "columns: \(columns)")
        }
    }

    @Test func statementWordDeepInALongQueryIsStillOpaque() {
        for columns in [1, 600] {
            let (classes, _, _) = describe("SELECT \(list("c", columns)) FROM t WHERE x = 1 DROP TABLE t")
            #expect(classes.contains(.opaque), "columns: \(columns)")
        }
    }

    @Test func statementsOneByOneMatchTheSummary() {
        let sql = "SELECT \(list("c", 800)) FROM a; UPDATE b SET x = 1; SELECT 1 FROM c"
        let statements = SQLClassifier().statements(sql)
        #expect(statements.map(\.summary.classes) == [[.read], [.write, .updateWithoutWhere], [.read]])
        let union = statements.reduce(StatementClass()) { $0.union($1.summary.classes) }
        #expect(union == SQLClassifier().classify(sql).classes)
    }
}
