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

    @Test func statementsAreReportedOneByOne() {
        let statements = SQLClassifier().statements("SELECT 1; /* c */ DELETE FROM t ;\nDROP VIEW v")
        #expect(statements.map(\.text) == ["SELECT 1", "DELETE FROM t", "DROP VIEW v"])
        #expect(statements.map(\.summary.classes) == [.read, [.write, .deleteWithoutWhere], .drop])
        #expect(statements.map(\.summary.dropKind) == [nil, nil, .view])
    }
}
