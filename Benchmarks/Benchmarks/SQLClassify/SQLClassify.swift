import Benchmark
import BenchmarkSupport
import Codecs

/// SQL classification of 1 KiB query texts with `SQLClassifier` (lexer, statement
/// splitter, analyzer and relation collection), as the gateway runs it on every Query.
///
/// One operation classifies one 1 KiB text into a reused `SQLQuerySummary`; each sample
/// runs 1,000 operations (`scalingFactor: .kilo`), so the wall clock is per query and
/// throughput is in queries/s (one query = 1,024 bytes, so it is also KiB/s).
///
/// - `ClassifyJoinSelect1KiB`: one realistic reporting SELECT (CTE, four joins, subquery,
///   window function).
/// - `ClassifyScript1KiB`: a 27-statement script (the SQL allocation test's query).
/// - `ClassifyScriptSCSOff1KiB`: the same script lexed with standard_conforming_strings off.
/// - `ClassifyInsertValues1KiB`: a bulk INSERT of integer VALUES rows (mostly numbers).
///
/// Gated in CI on `mallocCountTotal` (0 at p90).
let benchmarks: @Sendable () -> Void = {
    let join = SQLQueries.stableBytes(SQLQueries.joinSelect)
    let script = SQLQueries.stableBytes(SQLQueries.script)
    let insert = SQLQueries.stableBytes(SQLQueries.insertValues)
    precondition(join.bytes.count == 1024 && script.bytes.count == 1024 && insert.bytes.count == 1024)
    let classifier = SQLClassifier(options: .init(standardConformingStrings: true))
    let classifierSCSOff = SQLClassifier(options: .init(standardConformingStrings: false))
    // Warm-up: one-time tables (keyword lookup) outside every measurement.
    var warm = SQLQuerySummary()
    classifier.classify(text: join.bytes, into: &warm)
    precondition(warm.statementCount == 1 && warm.classes.contains(.read))
    classifier.classify(text: script.bytes, into: &warm)
    precondition(warm.statementCount > 20)
    classifierSCSOff.classify(text: script.bytes, into: &warm)
    classifier.classify(text: insert.bytes, into: &warm)
    precondition(warm.statementCount == 1 && warm.classes.contains(.write))

    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )

    func classifyBenchmark(_ name: String, _ classifier: SQLClassifier, _ text: StableBytes) {
        Benchmark(name, configuration: configuration) { benchmark in
            var summary = SQLQuerySummary()
            for _ in benchmark.scaledIterations {
                classifier.classify(text: text.bytes, into: &summary)
                blackHole(summary.statementCount)
            }
        }
    }

    classifyBenchmark("ClassifyJoinSelect1KiB", classifier, join)
    classifyBenchmark("ClassifyScript1KiB", classifier, script)
    classifyBenchmark("ClassifyScriptSCSOff1KiB", classifierSCSOff, script)
    classifyBenchmark("ClassifyInsertValues1KiB", classifier, insert)
}
