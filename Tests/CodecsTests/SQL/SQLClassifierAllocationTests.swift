import CAllocCounter
import Codecs
import Testing

@Suite struct SQLClassifierAllocationTests {
    /// A 1 KiB query mixing the constructs the classifier inspects.
    static let query: String = {
        var text = "WITH d AS (DELETE FROM t WHERE id = $1 RETURNING *), /* nested /* comment */ */ "
            + "x AS (SELECT a, b FROM s.u JOIN v ON u.id = v.id WHERE v.name = 'it''s' AND e = E'\\n') "
            + "SELECT * INTO TEMP out FROM d, x WHERE x.a IN (SELECT a FROM w) AND x.b = $tag$;$tag$; "
            + "UPDATE \"Quoted\" SET c = 1; EXPLAIN ANALYZE DELETE FROM t; COPY (SELECT 1) TO STDOUT; "
            + "SELECT pg_read_file('x'); DROP TABLE IF EXISTS a, b; "
        while text.utf8.count < 1000 { text += "SELECT col FROM tab WHERE col = 'v'; " }
        return String(text.prefix(1024))
    }()

    @Test func classifyingAllocatesNothing() {
        var text = Self.query
        #expect(text.utf8.count >= 1000)
        text.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            let classifier = SQLClassifier(options: .init(standardConformingStrings: true))
            var summary = SQLQuerySummary()
            classifier.classify(text: bytes, into: &summary)  // warm up one-time tables
            let before = rg_thread_allocation_count()
            for _ in 0..<100 {
                classifier.classify(text: bytes, into: &summary)
                var statements = classifier.statements(in: bytes)
                while let statement = statements.next() { _ = statement.classes }
            }
            let after = rg_thread_allocation_count()
            #expect(after - before == 0)
            #expect(summary.statementCount > 10)
            #expect(summary.classes.contains([.read, .write, .drop, .opaque, .create]))
        }
    }
}
