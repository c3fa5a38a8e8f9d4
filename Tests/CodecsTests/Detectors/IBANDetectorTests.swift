import Codecs
import Testing

@Suite struct IBANDetectorTests {
    let scanner = SensitiveDataScanner.only(.iban)

    @Test func registryAgreesWithTheGenerator() {
        for country in IBANGenerator.countries {
            let bytes = Array(country.code.utf8)
            #expect(IBANRegistry.length(bytes[0], bytes[1]) == country.length, "\(country.code)")
        }
        #expect(IBANRegistry.length(0x55, 0x53) == nil)  // US has no IBAN
        #expect(IBANRegistry.countryCodes.count >= 36)
    }

    @Test func knownPublishedExamples() {
        for iban in [
            "DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606",
            "NL91ABNA0417164300", "ES9121000418450200051332", "IT60X0542811101000000123456",
            "CH9300762011623852957", "BE68539007547034", "AT611904300234573201", "NO9386011117947",
        ] {
            #expect(scanner.findings(in: "IBAN: \(iban).") == [Found(kind: .iban, text: iban)], "\(iban)")
            let printed = IBANGenerator.printed(iban)
            #expect(scanner.findings(in: "IBAN: \(printed).") == [Found(kind: .iban, text: printed)], "\(printed)")
        }
    }

    @Test func findsGeneratedIBANsOfManyCountriesAndRejectsCorruptedOnes() {
        var rng = SplitMix64(seed: 20)
        for country in IBANGenerator.countries {
            for _ in 0..<20 {
                let iban = IBANGenerator.valid(country: country.code, length: country.length, bankLetters: country.bankLetters, using: &rng)
                #expect(scanner.findings(in: "{\"iban\":\"\(iban)\"}") == [Found(kind: .iban, text: iban)], "\(iban)")
                let printed = IBANGenerator.printed(iban)
                #expect(scanner.findings(in: "pay to \(printed) today") == [Found(kind: .iban, text: printed)], "\(printed)")

                // Wrong check digits.
                var bytes = Array(iban.utf8)
                bytes[3] = bytes[3] == 0x39 ? 0x30 : bytes[3] + 1
                #expect(scanner.findings(in: String(decoding: bytes, as: UTF8.self)).isEmpty)
                // A changed BBAN digit.
                bytes = Array(iban.utf8)
                let last = bytes.count - 1
                bytes[last] = bytes[last] == 0x39 ? 0x30 : bytes[last] + 1
                #expect(scanner.findings(in: String(decoding: bytes, as: UTF8.self)).isEmpty)
                // Wrong length, and glued to other text.
                #expect(scanner.findings(in: iban + "7").isEmpty)
                #expect(scanner.findings(in: String(iban.dropLast())).isEmpty)
                #expect(scanner.findings(in: "X" + iban).isEmpty)
            }
        }
    }

    @Test(arguments: [
        "de89370400440532013000", "DE89 37040044 0532 0130 00", "DE8937040044053201300", "US12345678901234567890",
        "DE89-3704-0044-0532-0130-00", "DE89370400440532013000A",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(scanner.findings(in: text).isEmpty, "\(text)")
    }

    @Test func masksKeepingTheLastFour() {
        let lastFour = SensitiveDataScanner.only(.iban, maskStyle: .keepLast4)
        #expect(lastFour.masked("DE89 3704 0044 0532 0130 00") == "**** **** **** **** **30 00")
    }
}
