import Codecs
import Testing

@Suite struct IPAddressDetectorTests {
    let v4 = SensitiveDataScanner.only(.ipv4)
    let v6 = SensitiveDataScanner.only(.ipv6)
    let both = SensitiveDataScanner.only([.ipv4, .ipv6])

    @Test func findsGeneratedIPv4Addresses() {
        var rng = SplitMix64(seed: 30)
        for _ in 0..<1000 {
            let address = (0..<4).map { _ in String(Int.random(in: 0...255, using: &rng)) }.joined(separator: ".")
            for text in [address, "host \(address):5432", "[\(address)]", "from=\(address), ", "ip \(address).", "\(address)/24"] {
                #expect(v4.findings(in: text) == [Found(kind: .ipv4, text: address)], "\(text)")
            }
        }
    }

    @Test(arguments: [
        "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5", "v1.2.3.4", "1.2.3.4a", "a1.2.3.4",
        "1.2.3.4.com", ".1.2.3.4", "1..2.3.4", "1.2.3.", "1234.1.1.1", "10.0.19045.3803", "1.2.3.4_x",
    ])
    func rejectsNonAddresses(_ text: String) {
        #expect(v4.findings(in: text).isEmpty, "\(text)")
    }

    @Test(arguments: [
        "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329", "::1", "fe80::", "fe80::1",
        "2001:DB8::1", "::ffff:192.0.2.1", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6::8",
        "1:2:3:4:5:6:192.0.2.1", "::2:3:4:5:6:7:8", "a::b",
    ])
    func findsIPv6Addresses(_ address: String) {
        for text in [address, "addr \(address) up", "[\(address)]:443", "\(address)/64", "\(address)%eth0", "{\"ip\":\"\(address)\"}"] {
            #expect(v6.findings(in: text) == [Found(kind: .ipv6, text: address)], "\(text)")
            #expect(both.findings(in: text) == [Found(kind: .ipv6, text: address)], "\(text)")
        }
    }

    @Test(arguments: [
        "::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::1", "g::1", "1:2:3:4:5:6:7:192.0.2.1",
        "12:30:45", "00:1A:2B:3C:4D:5E", "std::vector", "Note: see", "x1::2", "1::2.3",
        "::ffff:192.0.2.256", "1:::2",
    ])
    func rejectsNonIPv6(_ text: String) {
        #expect(v6.findings(in: text).isEmpty, "\(text)")
    }

    @Test func anIPv4AfterAFailedIPv6CandidateIsStillFound() {
        #expect(both.findings(in: "time:10.0.0.1 ok") == [Found(kind: .ipv4, text: "10.0.0.1")])
        #expect(both.findings(in: "12:30:45 10.1.2.3") == [Found(kind: .ipv4, text: "10.1.2.3")])
    }

    @Test func masksAddresses() {
        #expect(both.masked("a 10.0.0.1 b ::1 c") == "a ******** b *** c")
        let lastFour = SensitiveDataScanner.only([.ipv4, .ipv6], maskStyle: .keepLast4)
        #expect(lastFour.masked("192.168.100.23") == "***.***.*00.23")
    }
}
