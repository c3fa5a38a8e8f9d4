import Codecs
import Foundation
import Testing

/// A bounded, seeded random harness over the lexer, splitter and classifier: mutated SQL must
/// never crash or hang, and structural invariants must hold.
///
/// Run longer with `RINGGATE_FUZZ_ITERATIONS=1000000 swift test --filter SQLFuzzTests`
/// (and `RINGGATE_FUZZ_SEED=n` for another sequence).
@Suite struct SQLFuzzTests {
    /// SplitMix64: small, fast, deterministic.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
    }

    static let fragments: [[UInt8]] = [
        "'", "''", "\"", "\"\"", "$", "$$", "$a$", "$1", ";", "/*", "*/", "--", "\n", "\r", "\\", "\\'", "E'", "e'",
        "U&'", "U&\"", "B'", "X'", "N'", "(", ")", " DROP TABLE x ", "DROP", " drop ", "BEGIN ATOMIC ", " END",
        " CASE ", "CREATE FUNCTION f() ", "WITH d AS (", "DELETE FROM t", " WHERE ", "UPDATE t SET a = 1",
        "\u{00A0}", "\u{0B}", "\u{0C}", "\t", " ", "\0", "::", ".", ",", "AS ", "EXPLAIN ANALYZE ", "COPY (",
        ") TO STDOUT", "SELECT ", "INTO x ", "\u{FEFF}", "é",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], corpus: [[UInt8]], random: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + random.below(4)) {
            let position = random.below(bytes.count + 1)
            switch random.below(7) {
            case 0, 1:
                bytes.insert(contentsOf: fragments[random.below(fragments.count)], at: position)
            case 2:
                bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
            case 3:
                if !bytes.isEmpty {
                    let end = min(bytes.count, position + 1 + random.below(8))
                    if position < end { bytes.removeSubrange(position..<end) }
                }
            case 4:
                if !bytes.isEmpty {
                    let start = random.below(bytes.count)
                    let end = min(bytes.count, start + 1 + random.below(16))
                    bytes.insert(contentsOf: bytes[start..<end], at: position)
                }
            case 5:
                let other = corpus[random.below(corpus.count)]
                bytes.insert(contentsOf: other, at: position)
            default:
                bytes = Array(bytes.prefix(position))
            }
        }
        return bytes
    }

    /// Checks the invariants for one input; returns a description of the first violation.
    static func check(_ bytes: [UInt8], scs: Bool) -> String? {
        bytes.withUnsafeBytes { text -> String? in
            // 1. Tokens tile the input.
            var lexer = SQLLexer(text: text, standardConformingStrings: scs)
            var expectedStart = 0
            var steps = 0
            while true {
                let token = lexer.next()
                if token.kind == .end {
                    if token.start != text.count { return "end token at \(token.start), not \(text.count)" }
                    break
                }
                if token.start != expectedStart || token.end <= token.start || token.end > text.count {
                    return "token \(token.kind) \(token.start)..<\(token.end) after \(expectedStart)"
                }
                expectedStart = token.end
                steps += 1
                if steps > text.count + 1 { return "lexer does not advance" }
            }
            // 2. Statement spans are ordered, disjoint and in bounds.
            var spans: [SQLStatementSpan] = []
            var previousEnd = 0
            for span in SQLStatementSplitter(text: text, standardConformingStrings: scs) {
                if span.start < previousEnd || span.end < span.start || span.end > text.count {
                    return "span \(span.start)..<\(span.end) after \(previousEnd)"
                }
                previousEnd = span.end
                spans.append(span)
                if spans.count > text.count { return "splitter does not advance" }
            }
            // 3. Every statement gets classes, one summary per span.
            let classifier = SQLClassifier(options: .init(standardConformingStrings: scs))
            var statements: [SQLStatementSummary] = []
            var iterator = classifier.statements(in: text)
            while let statement = iterator.next() { statements.append(statement) }
            if statements.count != spans.count { return "\(statements.count) summaries for \(spans.count) spans" }
            for (span, statement) in zip(spans, statements) {
                if statement.classes.isEmpty { return "statement without classes" }
                if Int(statement.range.start) != span.start || Int(statement.range.end) != span.end {
                    return "summary range differs from span"
                }
                for relation in statement.relations where relation.name.start < span.start || Int(relation.name.end) > span.end {
                    return "relation outside its statement"
                }
                // 4. A DROP word outside literals, comments and name positions is never a plain read.
                if statement.classes == .read {
                    var tokens = SQLLexer(text: text, range: span.start..<span.end, standardConformingStrings: scs)
                    var previous = SQLToken(kind: .end, start: 0, end: 0)
                    while true {
                        let token = tokens.nextSignificant()
                        if token.kind == .end { break }
                        if token.keyword == .drop && previous.kind != .dot && previous.keyword != .as {
                            return "DROP token in a statement classified read"
                        }
                        previous = token
                    }
                }
                // 5. A statement that starts with DROP is a drop (or opaque).
                var head = SQLLexer(text: text, range: span.start..<span.end, standardConformingStrings: scs)
                if head.nextSignificant().keyword == .drop && statement.classes.isDisjoint(with: [.drop, .opaque]) {
                    return "DROP statement classified \(statement.classes.names)"
                }
            }
            return nil
        }
    }

    @Test func mutatedQueriesKeepInvariants() {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["RINGGATE_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 3_000
        let seed = environment["RINGGATE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5151_2026
        var random = Random(state: seed)
        let corpus = SQLClassificationTable.cases.map { Array($0.sql.utf8) }
        var failures = 0
        for iteration in 0..<iterations {
            let base = corpus[random.below(corpus.count)]
            let input = Self.mutate(base, corpus: corpus, random: &random)
            let scs = random.below(4) != 0
            if let violation = Self.check(input, scs: scs) {
                failures += 1
                if failures <= 10 {
                    Issue.record("iteration \(iteration): \(violation) for \(String(decoding: input, as: UTF8.self).debugDescription)")
                }
            }
        }
        #expect(failures == 0)
    }

    @Test func randomBytesKeepInvariants() {
        var random = Random(state: 42)
        for _ in 0..<500 {
            let input = (0..<random.below(200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let violation = Self.check(input, scs: random.below(2) == 0)
            #expect(violation == nil, "\(violation ?? "")")
        }
    }

    @Test func deepNestingIsBounded() {
        let deep = String(repeating: "(", count: 5_000) + "SELECT 1" + String(repeating: ")", count: 5_000)
        let summary = SQLClassifier().classify(deep)
        #expect(summary.classes.contains(.read))
        #expect(summary.classes.contains(.opaque))
        let ctes = "WITH " + (0..<100).map { "c\($0) AS (WITH " }.joined() + "x AS (DELETE FROM t) SELECT 1"
            + String(repeating: ") SELECT 1", count: 100)
        // Nesting beyond the classifier's limit is answered opaque rather than followed.
        #expect(SQLClassifier().classify(ctes).classes.contains(.opaque))
        let shallow = "WITH a AS (WITH b AS (DELETE FROM t) SELECT 1) SELECT * FROM a"
        #expect(SQLClassifier().classify(shallow).classes == [.read, .write, .deleteWithoutWhere])
    }
}
