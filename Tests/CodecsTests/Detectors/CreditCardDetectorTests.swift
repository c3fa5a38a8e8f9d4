import Codecs
import Testing

@Suite struct CreditCardDetectorTests {
    let scanner = SensitiveDataScanner.only(.creditCard)

    /// The five layouts a card number is written in, as (text, card substring) pairs.
    static func layouts(_ number: String) -> [(text: String, card: String)] {
        var result: [(String, String)] = [(number, number)]
        let four = CardGenerator.fourGroups(number.count)
        let spaced = CardGenerator.grouped(number, four, separator: " ")
        let dashed = CardGenerator.grouped(number, four, separator: "-")
        result.append((spaced, spaced))
        result.append((dashed, dashed))
        if number.count == 15 || number.count == 14 {
            let amex = CardGenerator.grouped(number, [4, 6, number.count - 10], separator: " ")
            result.append(("card: \(amex).", amex))
            let amexDashed = CardGenerator.grouped(number, [4, 6, number.count - 10], separator: "-")
            result.append((amexDashed, amexDashed))
        }
        result.append(("{\"name\":\"Ann\",\"card\":\"\(number)\",\"exp\":\"12/27\"}", number))
        result.append(("Paid with \(spaced) on 2024-05-01, thanks!", spaced))
        result.append(("(\(dashed))", dashed))
        return result
    }

    @Test func findsEveryGeneratedValidCardInEveryLayout() {
        var rng = SplitMix64(seed: 1)
        var checked = 0
        for scheme in CardGenerator.schemes {
            for prefix in scheme.prefixes {
                for length in scheme.lengths {
                    for _ in 0..<5 {
                        let number = CardGenerator.valid(prefix: prefix, length: length, using: &rng)
                        for (text, card) in Self.layouts(number) {
                            #expect(scanner.findings(in: text) == [Found(kind: .creditCard, text: card)],
                                    "\(scheme.name) \(length): \(text)")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 1000)
    }

    @Test func rejectsLuhnInvalidNumbersInEveryLayout() {
        var rng = SplitMix64(seed: 2)
        for scheme in CardGenerator.schemes {
            for prefix in scheme.prefixes {
                for length in scheme.lengths {
                    for _ in 0..<5 {
                        let number = CardGenerator.corrupted(CardGenerator.valid(prefix: prefix, length: length, using: &rng))
                        for (text, _) in Self.layouts(number) {
                            #expect(scanner.findings(in: text).isEmpty, "\(text)")
                        }
                    }
                }
            }
        }
    }

    @Test func withoutIssuerCheckEveryLuhnValidLengthFrom12To19IsFound() {
        let anyIssuer = SensitiveDataScanner.only(.creditCard, requirePlausibleCardIssuer: false)
        var rng = SplitMix64(seed: 3)
        for length in 12...19 {
            for first in 0...9 {
                let number = CardGenerator.valid(prefix: String(first), length: length, using: &rng)
                for (text, card) in Self.layouts(number) {
                    #expect(anyIssuer.findings(in: text) == [Found(kind: .creditCard, text: card)], "\(text)")
                }
                #expect(anyIssuer.findings(in: CardGenerator.corrupted(number)).isEmpty)
            }
        }
    }

    @Test func issuerCheckRejectsUnknownPrefixesAndLengths() {
        // Luhn-valid, but no scheme issues these prefix/length pairs.
        var rng = SplitMix64(seed: 4)
        for (prefix, length) in [("9", 16), ("7", 16), ("0", 16), ("1", 13), ("1", 16), ("4", 15), ("51", 15), ("34", 16), ("8", 16)] {
            let number = CardGenerator.valid(prefix: prefix, length: length, using: &rng)
            #expect(scanner.findings(in: number).isEmpty, "\(number)")
        }
    }

    @Test func rejectsNumbersThatArePartOfLongerValues() {
        let card = "4111111111111111"
        for text in [
            "9\(card)", "\(card)9", "x\(card)", "\(card)x", "_\(card)", "+\(card)", "3.\(card)", "\(card).5",
            "\(card),25", "1,\(card)", "id-\(card)", "4111 1111 1111 1111 1111", "1234 4111 1111 1111 1111",
            "4111 1111 1111 1111 4111", "4111-1111-1111-1111-1111", "4111 1111-1111 1111", "4111  1111 1111 1111",
            "41111 1111 1111 111", "4111111111111111111111",
        ] {
            #expect(scanner.findings(in: text).isEmpty, "\(text)")
        }
    }

    @Test func aTrailingGroupOfAnotherLengthIsNotPartOfTheCard() {
        #expect(scanner.findings(in: "4111 1111 1111 1111 12/25") == [Found(kind: .creditCard, text: "4111 1111 1111 1111")])
        #expect(scanner.findings(in: "4111-1111-1111-1111-12345") == [Found(kind: .creditCard, text: "4111-1111-1111-1111")])
        #expect(scanner.findings(in: "4111 1111 1111 1111 12").isEmpty, "fits the layout: an 18-digit candidate")
        #expect(scanner.findings(in: "4111111111111111 12/25") == [Found(kind: .creditCard, text: "4111111111111111")])
    }

    @Test func findsSeveralCardsAndMasksThem() {
        let text = "a 4111111111111111, b 5500-0000-0000-0004; c 3782 822463 10005."
        #expect(scanner.findings(in: text).map(\.text) == ["4111111111111111", "5500-0000-0000-0004", "3782 822463 10005"])
        #expect(scanner.masked(text) == "a ****************, b *******************; c *****************.")
        let lastFour = SensitiveDataScanner.only(.creditCard, maskStyle: .keepLast4)
        #expect(lastFour.masked(text) == "a ************1111, b ****-****-****-0004; c **** ****** *0005.")
    }

    @Test func luhnReferenceValues() {
        func valid(_ s: String) -> Bool { Array(s.utf8).withUnsafeBytes { Luhn.isValid($0, 0..<$0.count) } }
        #expect(valid("79927398713"))
        #expect(!valid("79927398710"))
        #expect(valid("4111-1111-1111-1111"))
        #expect(!valid(""))
        #expect(!valid("--"))
    }
}
