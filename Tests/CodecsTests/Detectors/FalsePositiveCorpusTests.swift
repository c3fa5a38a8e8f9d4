import Codecs
import Testing

@Suite struct FalsePositiveCorpusTests {
    /// All built-in detectors (keywords are literal by design, so they are left out).
    let scanner = SensitiveDataScanner(configuration: .init(kinds: .all.subtracting(.keyword)))

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func ordinaryTextHasNoFindings(seed: UInt64) {
        var corpus = OrdinaryTextCorpus(seed: seed)
        let text = corpus.text(lines: 5_000)
        #expect(text.utf8.count > 500_000)
        let findings = scanner.findings(in: text)
        #expect(findings.isEmpty, "\(findings.prefix(20))")
    }

    @Test func theCorpusReallyContainsTheTrickyShapes() {
        var corpus = OrdinaryTextCorpus(seed: 1)
        let text = corpus.text(lines: 5_000)
        // UUIDs, long digit runs, timestamps, versions and MAC addresses must be present
        // for the zero-findings result to mean anything.
        #expect(text.contains("-4"))
        #expect(text.utf8.split(separator: 0x20).contains { $0.count >= 16 && $0.allSatisfy { $0 &- 0x30 < 10 } })
        #expect(text.contains("T") && text.contains(":"))
        #expect(text.contains("HTTP/1.1"))
    }

    @Test func theSameShapesWithRealValuesAreFound() {
        // Guard against a corpus that passes only because detectors are broken.
        let text = "Order ORD-2024-000123 paid with 4111 1111 1111 1111 at 2024-05-01 12:30:45 by ann@example.com."
        #expect(scanner.findings(in: text).map(\.kind) == [.creditCard, .email])
    }
}
