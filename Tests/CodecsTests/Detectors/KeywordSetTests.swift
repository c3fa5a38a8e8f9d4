import Codecs
import Testing

@Suite struct KeywordSetTests {
    @Test func findsEveryKeywordCaseInsensitively() throws {
        let keywords = try KeywordSet(["Project Falcon", "hunter2", "ACME-internal"])
        let scanner = SensitiveDataScanner.only(.keyword, keywords: keywords)
        let text = "re: project falcon uses HUNTER2 at acme-INTERNAL and Project Falcon."
        #expect(scanner.findings(in: text).map(\.text) == ["project falcon", "HUNTER2", "acme-INTERNAL", "Project Falcon"])
        #expect(scanner.findings(in: text).allSatisfy { $0.kind == .keyword })
    }

    @Test func caseSensitiveMatchesExactBytesOnly() throws {
        let scanner = SensitiveDataScanner.only(.keyword, keywords: try KeywordSet(["Secret"], caseInsensitive: false))
        #expect(scanner.findings(in: "secret Secret SECRET").map(\.text) == ["Secret"])
    }

    @Test func longestKeywordWinsAndMatchesInsideWords() throws {
        let scanner = SensitiveDataScanner.only(.keyword, keywords: try KeywordSet(["pass", "password"]))
        #expect(scanner.findings(in: "mypassword1 passport").map(\.text) == ["password", "pass"])
    }

    @Test func wholeWordsOption() throws {
        let scanner = SensitiveDataScanner.only(.keyword, keywords: try KeywordSet(["pass"], wholeWords: true))
        #expect(scanner.findings(in: "pass passport bypass (pass)").map(\.text) == ["pass", "pass"])
    }

    @Test func manyDistinctFirstBytesUseTheBytewisePathWithTheSameResult() throws {
        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "ünïcode", "42-secret"]
        let scanner = SensitiveDataScanner.only(.all, keywords: try KeywordSet(words))
        let text = "x alpha y BRAVO z charlie delta, echo; foxtrot ünïcode 42-secret 4111111111111111 bob@example.com"
        #expect(scanner.findings(in: text).map(\.text) == [
            "alpha", "BRAVO", "charlie", "delta", "echo", "foxtrot", "ünïcode", "42-secret", "4111111111111111", "bob@example.com",
        ])
    }

    @Test func keywordsBeyondTheUpperCaseRangeUseTheWordPath() throws {
        // Three extra first bytes fit the word-at-a-time path.
        let scanner = SensitiveDataScanner.only(
            [.keyword, .email], keywords: try KeywordSet(["zeta", "yak", "xerus"], caseInsensitive: false))
        #expect(scanner.findings(in: "aaaaaaaaaaaaaaaa zeta bbbbbbbbbbbbbbb YAK yak ccccccc xerus a@b.cd").map(\.text)
                == ["zeta", "yak", "xerus", "a@b.cd"])
    }

    @Test func refusesUselessKeywords() {
        #expect(throws: KeywordSet.Error.tooShort(index: 1)) { try KeywordSet(["ok", "x"]) }
        #expect(throws: KeywordSet.Error.tooLong(index: 0)) { try KeywordSet([String(repeating: "a", count: 256)]) }
    }

    @Test func emptySetFindsNothing() throws {
        let scanner = SensitiveDataScanner.only(.keyword, keywords: try KeywordSet([]))
        #expect(scanner.findings(in: "anything at all").isEmpty)
    }
}
