import Codecs
import Testing

@Suite struct EmailDetectorTests {
    let scanner = SensitiveDataScanner.only(.email)

    @Test(arguments: [
        "bob@example.com", "alice.smith@mail.example.co.uk", "first_last+tag@sub-domain.example.org",
        "x@ab.io", "a.b.c@d-e.fg", "user%relay@example.net", "UPPER@EXAMPLE.COM", "12345@numbers.example",
    ])
    func findsValidAddresses(_ address: String) {
        for (text, expected) in [
            (address, address), ("Contact: \(address).", address), ("<\(address)>", address),
            ("{\"email\":\"\(address)\"}", address), ("mailto:\(address)?subject=hi", address),
            ("'\(address)', ", address), ("email=\(address)&x=1", address),
        ] {
            #expect(scanner.findings(in: text) == [Found(kind: .email, text: expected)], "\(text)")
        }
    }

    @Test(arguments: [
        "user@localhost", "@handle", "user@", "user@.com", "user@example.", "user@example.c", "user@example.c0m",
        "user@-example.com", "user@example-.com", "user@exa_mple.com", "a @ b.com", "user@@example.com",
        "user@192.168.0.1", "price 5@3.99", ".@example.com", "user.@example.com",
    ])
    func rejectsInvalidAddresses(_ text: String) {
        #expect(scanner.findings(in: text).isEmpty, "\(text)")
    }

    @Test func dotRulesTrimTheLocalPart() {
        // A run of dots ends the local part; leading dots are not part of it.
        #expect(scanner.findings(in: "see..bob@example.com") == [Found(kind: .email, text: "bob@example.com")])
        #expect(scanner.findings(in: "...bob@example.com") == [Found(kind: .email, text: "bob@example.com")])
        // A subdomain label with digits is fine; only the TLD must be letters.
        #expect(scanner.findings(in: "a@mx1.example.com") == [Found(kind: .email, text: "a@mx1.example.com")])
        // A trailing non-alphabetic label is not a TLD: the address ends before it.
        #expect(scanner.findings(in: "a@example.com.123") == [Found(kind: .email, text: "a@example.com")])
    }

    @Test func lengthLimits() {
        let local64 = String(repeating: "a", count: 64)
        let local65 = String(repeating: "a", count: 65)
        #expect(scanner.findings(in: "\(local64)@example.com").count == 1)
        #expect(scanner.findings(in: "\(local65)@example.com").isEmpty)
        let label63 = String(repeating: "b", count: 63)
        let label64 = String(repeating: "b", count: 64)
        #expect(scanner.findings(in: "a@\(label63).com").count == 1)
        #expect(scanner.findings(in: "a@\(label64).com").isEmpty)
    }

    @Test func masksAddressesInPlace() {
        #expect(scanner.masked("to: bob@example.com!") == "to: ***************!")
        let lastFour = SensitiveDataScanner.only(.email, maskStyle: .keepLast4)
        #expect(lastFour.masked("to: bob@example.com!") == "to: ***@******e.com!")
    }

    @Test func findsSeveralAddresses() {
        let text = "cc: a@x.org, b.c@y.net; d+e@z.example.com"
        #expect(scanner.findings(in: text).map(\.text) == ["a@x.org", "b.c@y.net", "d+e@z.example.com"])
    }
}
