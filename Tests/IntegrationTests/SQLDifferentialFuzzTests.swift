import Codecs
import Foundation
import Testing

/// Mutates SQL (the classifier table, plus a sample of the pg-regress corpus when present) and,
/// whenever PostgreSQL's parser (libpg_query) still accepts the result, checks that the
/// classifier agrees with it or answers opaque: never a weaker class than the parser implies.
///
/// Run longer with `RINGGATE_FUZZ_ITERATIONS=200000 swift test --filter SQLDifferentialFuzzTests`.
@Suite struct SQLDifferentialFuzzTests {
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

    static let fragments: [String] = [
        "'", "''", "\"", "$$", "$a$", ";", "/*", "*/", "--", "\n", "\\", "E'", "U&'", "(", ")",
        " DROP TABLE x ", " drop ", "BEGIN ATOMIC ", " END", " CASE ", "WITH d AS (", "DELETE FROM t",
        " WHERE ", "UPDATE t SET a = 1", " RETURNING * ", " INTO x ", "EXPLAIN ANALYZE ", "COPY (", ") TO STDOUT",
        "SELECT ", " FROM ", ", ", " AS ", "INSERT INTO t VALUES (1)", "TRUNCATE t", "; DROP TABLE t; ",
        "pg_read_file(", "\u{00A0}", "\t", " ", "::", ".",
    ]

    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" })
    }

    static func mutate(_ input: String, corpus: [String], random: inout Random) -> String {
        var text = input
        for _ in 0..<(1 + random.below(3)) {
            let bytes = Array(text.utf8)
            var position = random.below(bytes.count + 1)
            // Keep positions on UTF-8 boundaries.
            while position < bytes.count && (bytes[position] & 0xC0) == 0x80 { position += 1 }
            let head = String(decoding: bytes[..<position], as: UTF8.self)
            let tail = String(decoding: bytes[position...], as: UTF8.self)
            switch random.below(5) {
            case 0, 1:
                text = head + fragments[random.below(fragments.count)] + tail
            case 2:
                let drop = random.below(6)
                text = head + String(tail.dropFirst(drop))
            case 3:
                let other = corpus[random.below(corpus.count)]
                let pieces = words(other)
                let word = pieces.isEmpty ? "" : String(pieces[random.below(pieces.count)])
                text = head + " " + word + " " + tail
            default:
                let other = corpus[random.below(corpus.count)]
                text = head + (random.below(2) == 0 ? ";" : " ") + other + tail
            }
        }
        return text
    }

    static func corpus() -> [String] {
        var corpus = SQLClassificationTable.cases.filter(\.scs).map(\.sql).filter { !$0.isEmpty }
        let directory = SQLDifferentialConformanceTests.corpusDirectory
        if let files = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            var index = 0
            for file in files.sorted() where file.hasSuffix(".sql") {
                guard let script = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else { continue }
                for chunk in PsqlScriptSplitter.split(script) where chunk.standardConformingStrings && chunk.text.utf8.count < 400 {
                    index += 1
                    if index % 25 == 0 { corpus.append(chunk.text) }
                }
            }
        }
        return corpus
    }

    @Test func mutatedStatementsNeverWeakerThanTheParser() {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["RINGGATE_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 4_000
        var random = Random(state: environment["RINGGATE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0xD1FF_2026)
        let corpus = Self.corpus()
        var parsed = 0
        var agreed = 0
        var opaque = 0
        var unsafe: [String] = []
        for _ in 0..<iterations {
            let text = Self.mutate(corpus[random.below(corpus.count)], corpus: corpus, random: &random)
            if text.utf8.contains(0) { continue }  // the protocol carries no NUL inside a query
            guard case .parsed(let expected) = PgQueryOracle.expectations(for: text), !expected.isEmpty else { continue }
            parsed += 1
            let actual = SQLClassifier().statements(text)
            let union = actual.reduce(StatementClass()) { $0.union($1.summary.classes) }
            guard actual.count == expected.count else {
                if union.contains(.opaque) { opaque += 1 } else { unsafe.append("SPLIT \(expected.count) vs \(actual.count): \(text)") }
                continue
            }
            var allAgree = true
            for (want, got) in zip(expected, actual) where got.summary.classes != want.classes || got.summary.dropKind != want.drop {
                allAgree = false
                let classes = got.summary.classes
                // Opaque, or strictly more than the parser implies (same drop kind), is safe.
                if classes.contains(.opaque) && classes != .read { continue }
                if classes.isStrictSuperset(of: want.classes) && got.summary.dropKind == want.drop { continue }
                unsafe.append("\(want.node) expected \(want.classes.names) got \(classes.names): \(got.text)")
            }
            if allAgree { agreed += 1 } else { opaque += 1 }
        }
        print("differential fuzz: \(iterations) mutations, \(parsed) accepted by the parser, \(agreed) agree, "
              + "\(opaque) answered opaque, \(unsafe.count) unsafe")
        for line in unsafe.prefix(15) { print("  UNSAFE " + line.prefix(300)) }
        #expect(parsed > iterations / 20)
        #expect(unsafe.isEmpty)
    }
}
