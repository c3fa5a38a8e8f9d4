import Codecs
import Testing

@Suite struct SSNDetectorTests {
    let scanner = SensitiveDataScanner.only(.ssn)
    let unseparated = SensitiveDataScanner.only(.ssn, allowUnseparatedSSN: true)

    static func format(_ area: Int, _ group: Int, _ serial: Int, _ separator: String) -> String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: width - s.count) + s
        }
        return pad(area, 3) + separator + pad(group, 2) + separator + pad(serial, 4)
    }

    @Test func findsGeneratedValidNumbersWithDashesAndSpaces() {
        var rng = SplitMix64(seed: 10)
        for _ in 0..<500 {
            var area = Int.random(in: 1...899, using: &rng)
            if area == 666 { area = 665 }
            let group = Int.random(in: 1...99, using: &rng)
            let serial = Int.random(in: 1...9999, using: &rng)
            for separator in ["-", " "] {
                let ssn = Self.format(area, group, serial, separator)
                if ["078051120", "123456789", "219099999"].contains(ssn.filter(\.isNumber)) { continue }
                if Set(ssn.filter(\.isNumber)).count == 1 { continue }
                #expect(scanner.findings(in: "SSN: \(ssn).") == [Found(kind: .ssn, text: ssn)], "\(ssn)")
                #expect(scanner.findings(in: "{\"ssn\":\"\(ssn)\"}") == [Found(kind: .ssn, text: ssn)])
            }
            let plain = Self.format(area, group, serial, "")
            #expect(scanner.findings(in: plain).isEmpty, "unseparated is off by default")
            if Set(plain).count > 1 && !["078051120", "123456789", "219099999"].contains(plain) {
                #expect(unseparated.findings(in: "id \(plain) ") == [Found(kind: .ssn, text: plain)])
            }
        }
    }

    @Test(arguments: [
        ("000-12-3456", "area 000"), ("666-12-3456", "area 666"), ("900-12-3456", "area 9xx"),
        ("987-65-4321", "area 9xx"), ("999-99-9999", "area 9xx"), ("123-00-4567", "group 00"),
        ("123-45-0000", "serial 0000"), ("111-11-1111", "all digits equal"), ("555 55 5555", "all digits equal"),
        ("078-05-1120", "Woolworth sample"), ("123-45-6789", "advertised sample"), ("219-09-9999", "advertised sample"),
        ("123-45 6788", "mixed separators"), ("123 45-6788", "mixed separators"), ("123.45.6788", "dot separators"),
    ])
    func rejectionRules(_ ssn: String, _ rule: String) {
        #expect(scanner.findings(in: ssn).isEmpty, "\(rule)")
        #expect(unseparated.findings(in: ssn).isEmpty, "\(rule)")
        if !rule.contains("separators") {
            let plain = ssn.filter(\.isNumber)
            #expect(unseparated.findings(in: plain).isEmpty, "\(rule), unseparated")
        }
    }

    @Test(arguments: [
        "1234-56-7890", "123-456-7890", "12-34-5678", "123-45-67890", "0123-45-6788", "9123-45-6788",
        "x123-45-6788", "123-45-6788x", "1.123-45-6788", "123-45-6788.5", "555-123-4567", "12345-6789",
        "ab-123-45-6788", "123-45-6788-12", "1-123-45-6788",
    ])
    func rejectsNumbersOfOtherShapes(_ text: String) {
        #expect(scanner.findings(in: text).isEmpty, "\(text)")
    }

    @Test func masksKeepingTheLastFour() {
        let lastFour = SensitiveDataScanner.only(.ssn, maskStyle: .keepLast4)
        #expect(lastFour.masked("ssn 536-22-8726 ok") == "ssn ***-**-8726 ok")
        #expect(scanner.masked("ssn 536-22-8726 ok") == "ssn *********** ok")
    }
}
