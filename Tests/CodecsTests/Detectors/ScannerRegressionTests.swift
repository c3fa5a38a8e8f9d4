import Codecs
import Testing

/// Inputs on which the sixteen-byte block scanner once disagreed with the byte-at-a-time
/// path (found by the Detectors fuzz harness); each must give the same spans on both.
@Suite struct ScannerRegressionTests {
    static let blockKeywords = ["project falcon", "hunter2", "ünï"]
    /// Four never-matching starting pairs force the byte-at-a-time path.
    static let forcers = ["\u{1}\u{2}q", "\u{1}\u{3}q", "\u{1}\u{4}q", "\u{1}\u{5}q"]

    static let inputs: [[UInt8]] = [
        Array(" 2\u{7f}Wire D!E89 3724 0044 0".utf8) + [UInt8](repeating: 0xFF, count: 7) + Array("\u{8}0Strideabl`0.0.2.1 an".utf8)
            + [UInt8](repeating: 0xFF, count: 6) + Array("l fe80::1%eth8a0".utf8),
    ]

    @Test(arguments: inputs)
    func blockScanMatchesByteAtATime(_ input: [UInt8]) throws {
        let block = SensitiveDataScanner(configuration: .init(
            keywords: try KeywordSet(Self.blockKeywords), requirePlausibleCardIssuer: false, allowUnseparatedSSN: false))
        let bytewise = SensitiveDataScanner(configuration: .init(
            keywords: try KeywordSet(Self.blockKeywords + Self.forcers), requirePlausibleCardIssuer: false, allowUnseparatedSSN: false))
        let expected = bytewise.spans(in: input)
        let got = block.spans(in: input)
        #expect(got == expected, "block \(got) vs byte-at-a-time \(expected)")
        #expect(!expected.isEmpty)
    }
}
