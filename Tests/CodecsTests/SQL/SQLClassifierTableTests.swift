import Codecs
import Testing

@Suite struct SQLClassifierTableTests {
    @Test func tableIsLargeEnough() {
        #expect(SQLClassificationTable.cases.count >= 150)
    }

    @Test(arguments: SQLClassificationTable.cases)
    func classifies(_ row: ClassificationCase) {
        let classifier = SQLClassifier(options: .init(standardConformingStrings: row.scs))
        let summary = classifier.classify(row.sql)
        #expect(summary.classes.names == row.classes.names, "\(row.sql)")
        if let drop = row.drop {
            #expect(summary.dropKinds == DropObjectKindSet(drop))
        } else {
            #expect(summary.dropKinds.isEmpty)
        }
        if let count = row.statements {
            #expect(summary.statementCount == count)
        }
        // Per-statement classes add up to the summary.
        var union: StatementClass = []
        for statement in classifier.statements(row.sql) { union.formUnion(statement.summary.classes) }
        #expect(union == summary.classes)
    }

    @Test func unknownEncodingMakesEverythingOpaque() {
        let classifier = SQLClassifier(options: .init(clientEncodingIsASCIISafe: false))
        #expect(classifier.classify("SELECT 1").classes == [.read, .opaque])
    }

    @Test func sideEffectFunctionsCanBeLeftUnflagged() {
        let classifier = SQLClassifier(options: .init(flagsSideEffectFunctions: false))
        #expect(classifier.classify("SELECT pg_read_file('x')").classes == .read)
    }

    /// The analyzer passes over calls named by a keyword without asking
    /// ``SQLSideEffectFunctions``, and a name right after a dot may reach it without its
    /// keyword (the recording splitter does not look it up): both agree only while no keyword
    /// spells a side-effect function.
    @Test func noKeywordNamesASideEffectFunction() {
        for keyword in SQLKeyword.allCases {
            var spelling = keyword.spelling
            let matches = spelling.withUTF8 {
                SQLSideEffectFunctions.matches(UnsafeRawBufferPointer($0), caseSensitive: false)
            }
            #expect(!matches, "\(spelling)")
        }
        #expect(SQLClassifier().classify("SELECT pg_catalog.pg_read_file('x'), s.lo_import('y')").classes == [.read, .opaque])
    }

    @Test func statementsAreReportedOneByOne() {
        let statements = SQLClassifier().statements("SELECT 1; /* c */ DELETE FROM t ;\nDROP VIEW v")
        #expect(statements.map(\.text) == ["SELECT 1", "DELETE FROM t", "DROP VIEW v"])
        #expect(statements.map(\.summary.classes) == [.read, [.write, .deleteWithoutWhere], .drop])
        #expect(statements.map(\.summary.dropKind) == [nil, nil, .view])
    }
}

@Suite struct SQLClientEncodingTests {
    @Test(arguments: [("UTF8", true), ("LATIN1", true), ("EUC_JP", true), ("SQL_ASCII", true), ("WIN1252", true),
                      ("SJIS", false), ("sjis", false), ("SHIFT_JIS_2004", false), ("BIG5", false), ("GBK", false),
                      ("UHC", false), ("GB18030", false), ("JOHAB", false), ("Shift-JIS-2004", false)])
    func clientOnlyEncodingsAreUnsafe(_ name: String, _ safe: Bool) {
        var copy = name
        copy.withUTF8 { #expect(SQLClassifierOptions.isASCIISafe(clientEncoding: UnsafeRawBufferPointer($0)) == safe) }
    }

    @Test func sjisTrailingBackslashWouldHideAStatement() {
        // 0x95 0x5C is one SJIS character; as bytes, the 0x5C looks like an escaping backslash.
        var bytes = Array("SELECT E'".utf8) + [0x95, 0x5C] + Array("'; DROP TABLE t; --'".utf8)
        bytes.withUnsafeMutableBytes { raw in
            let text = UnsafeRawBufferPointer(raw)
            var summary = SQLQuerySummary()
            SQLClassifier(options: .init(clientEncodingIsASCIISafe: false)).classify(text: text, into: &summary)
            #expect(summary.classes.contains(.opaque))
        }
    }
}
