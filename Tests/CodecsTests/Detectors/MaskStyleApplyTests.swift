import Codecs
import Testing

/// ``MaskStyle/apply(to:_:_:)`` masks eight bytes at a time; it must change exactly the
/// bytes the byte-at-a-time rule changes, inside the finding only, for every finding
/// position and length in a buffer, every fill (letters and digits included) and count
/// of kept characters.
@Suite struct MaskStyleApplyTests {
    /// The rule, byte at a time: the last `keepLast` letters or digits stay, every letter
    /// or digit before them becomes `fill`, other bytes stay.
    static func reference(_ bytes: inout [UInt8], _ start: Int, _ end: Int, fill: UInt8, keepLast: Int) {
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) }
        if keepLast == 0 {
            for k in start..<end { bytes[k] = fill }
            return
        }
        var boundary = end
        var kept = 0
        while boundary > start && kept < keepLast {
            boundary -= 1
            if isAlnum(bytes[boundary]) { kept += 1 }
        }
        for k in start..<boundary where isAlnum(bytes[k]) { bytes[k] = fill }
    }

    @Test(arguments: [UInt8(ascii: "*"), UInt8(ascii: "X"), UInt8(ascii: "7"), UInt8(ascii: "#")])
    func eightAtATimeMatchesTheRule(fill: UInt8) throws {
        // Letters, digits, the bytes around their ranges, separators and high bytes.
        let alphabet = Array("0189:/@AZ[`az{ -._".utf8) + [0x80, 0xC3, 0xDA, 0xFA, 0x00, 0x7F]
        var rng = SplitMix64(seed: UInt64(fill))
        for keepLast in [0, 1, 4, 8, 9] {
            let style = try #require(MaskStyle(fill: fill, keepLast: UInt8(keepLast)))
            for _ in 0..<2 {
                let original = (0..<40).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                for start in 0..<40 {
                    for end in (start + 1)...40 {
                        var expected = original
                        Self.reference(&expected, start, end, fill: fill, keepLast: keepLast)
                        var got = original
                        got.withUnsafeMutableBytes { style.apply(to: $0, start, end) }
                        #expect(got == expected, "fill \(fill) keep \(keepLast) \(start)..<\(end)")
                    }
                }
            }
        }
    }
}
