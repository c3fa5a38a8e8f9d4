import Codecs
import Foundation
import Testing

/// Differential conformance: every statement of PostgreSQL 15's regression suite, split as
/// psql would send it, is parsed by libpg_query (the oracle) and classified by the
/// classifier; the statement kinds must agree.
///
/// Corpus: `scripts/fetch-pg-regress.sh` (RINGGATE_PG_REGRESS_DIR, default
/// /var/cache/ringgate/pg-regress). Skipped only when the corpus is absent outside CI.
/// Disagreements are written to `$RINGGATE_DIFF_OUTPUT` (default
/// `.build/pg-regress-disagreements.txt`).
@Suite struct SQLDifferentialConformanceTests {
    static let corpusDirectory: String = {
        let base = ProcessInfo.processInfo.environment["RINGGATE_PG_REGRESS_DIR"] ?? "/var/cache/ringgate/pg-regress"
        return base + "/sql"
    }()
    static let isCI = ProcessInfo.processInfo.environment["CI"] != nil
    static var corpusPresent: Bool { FileManager.default.fileExists(atPath: corpusDirectory) }

    @Test(.enabled(if: corpusPresent || isCI, "pg-regress corpus absent: run scripts/fetch-pg-regress.sh"))
    func regressionSuiteAgreesWithPostgresParser() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpusDirectory)
            .filter { $0.hasSuffix(".sql") }.sorted()
        try #require(files.count > 100, "expected PostgreSQL's ~219 regression files in \(Self.corpusDirectory)")

        var compared = 0
        var agreed = 0
        var conservative = 0  // disagreement where the classifier said opaque (never a read)
        var unsafe = 0
        var oracleRejected = 0
        var nonStandardStrings = 0
        var report = ""
        var nodeCounts: [String: Int] = [:]

        for file in files {
            let path = Self.corpusDirectory + "/" + file
            guard let script = (try? String(contentsOfFile: path, encoding: .utf8))
                ?? (try? String(contentsOfFile: path, encoding: .isoLatin1)) else { continue }
            for chunk in PsqlScriptSplitter.split(script) {
                guard chunk.standardConformingStrings else {
                    // libpg_query always lexes with standard_conforming_strings on.
                    nonStandardStrings += 1
                    continue
                }
                guard case .parsed(let expected) = PgQueryOracle.expectations(for: chunk.text) else {
                    oracleRejected += 1
                    continue
                }
                let actual = SQLClassifier().statements(chunk.text)
                if actual.count != expected.count {
                    let union = actual.reduce(StatementClass()) { $0.union($1.summary.classes) }
                    compared += expected.count
                    if union.contains(.opaque) { conservative += expected.count } else { unsafe += expected.count }
                    report += "[\(file)] SPLIT expected \(expected.count) statements (\(expected.map(\.node))), got \(actual.count)\n  \(chunk.text.prefix(400))\n"
                    continue
                }
                for (want, got) in zip(expected, actual) {
                    compared += 1
                    nodeCounts[want.node, default: 0] += 1
                    let classes = got.summary.classes
                    if classes == want.classes && got.summary.dropKind == want.drop {
                        agreed += 1
                        continue
                    }
                    // Opaque, or strictly more than the parser implies (same drop kind), is safe.
                    let isSafe = (classes.contains(.opaque) && classes != [.read])
                        || (classes.isStrictSuperset(of: want.classes) && got.summary.dropKind == want.drop)
                    if isSafe { conservative += 1 } else { unsafe += 1 }
                    report += "[\(file)] \(isSafe ? "OPAQUE" : "UNSAFE") \(want.node): expected \(want.classes.names) \(want.drop.map { "\($0)" } ?? ""), got \(classes.names) \(got.summary.dropKind.map { "\($0)" } ?? "")\n  \(got.text.prefix(400))\n"
                }
            }
        }
        let rate = compared == 0 ? 0 : Double(agreed) / Double(compared) * 100
        let summary = "pg-regress differential: \(files.count) files, \(compared) statements compared, \(agreed) agree "
            + "(\(String(format: "%.2f", rate))%), \(conservative) disagree safely (opaque or stronger), \(unsafe) unsafe; "
            + "\(oracleRejected) rejected by the parser, \(nonStandardStrings) skipped (standard_conforming_strings off)"
        print(summary)
        let common = nodeCounts.sorted { $0.value > $1.value }.prefix(12).map { "\($0.key) \($0.value)" }
        print("most common statement kinds: " + common.joined(separator: ", ") + "; \(nodeCounts.count) kinds in all")
        let output = ProcessInfo.processInfo.environment["RINGGATE_DIFF_OUTPUT"] ?? ".build/pg-regress-disagreements.txt"
        try? (summary + "\n\n" + report).write(toFile: output, atomically: true, encoding: .utf8)
        print("disagreements written to \(output)")
        #expect(compared > 20_000)
        #expect(rate >= 99.5, "\(summary)")
        #expect(unsafe == 0, "\(summary)")
    }
}
