/// Finds US social security numbers, with Presidio's rejection rules.
///
/// Accepted forms: `AAA-GG-SSSS` and `AAA GG SSSS` (one separator, used twice), bounded
/// like other numbers (no word byte, no decimal `.`/`,` neighbour, not continued by the
/// same separator and a digit on either side). The unseparated form `AAAGGSSSS` is off by
/// default: nine bare digits are far more often an order or account id than an SSN, so
/// it is only matched when ``SensitiveDataScanner/Configuration/allowUnseparatedSSN`` is
/// set, and then only as a whole 9-digit run.
///
/// Rejected (never issued or published samples): area `000`, `666` or `900`–`999`;
/// group `00`; serial `0000`; all nine digits equal; `078-05-1120` (the Woolworth wallet
/// card), `123-45-6789` and `219-09-9999` (advertised samples).
public enum SSNDetector {
    /// The end (exclusive) of an SSN that starts at `start`, or `nil`.
    @inlinable
    public static func match(_ bytes: UnsafeRawBufferPointer, at start: Int, allowUnseparated: Bool) -> Int? {
        let p = bytes
        guard start &+ 9 <= p.count, NumberBoundary.before(p, start) else { return nil }
        let areaEnd = NumberBoundary.digitRunEnd(p, from: start, limit: 10)
        let areaLength = areaEnd &- start
        if areaLength == 9 {
            guard allowUnseparated, NumberBoundary.after(p, areaEnd) else { return nil }
            return isValid(p, start, areaEnd) ? areaEnd : nil
        }
        guard areaLength == 3, areaEnd &+ 8 <= p.count else { return nil }
        let sep = p[areaEnd]
        guard sep == ASCII.dash || sep == ASCII.space else { return nil }
        if NumberBoundary.chainedBefore(p, start, separator: sep) { return nil }
        let groupEnd = NumberBoundary.digitRunEnd(p, from: areaEnd &+ 1, limit: 3)
        guard groupEnd == areaEnd &+ 3, p[groupEnd] == sep else { return nil }
        let serialEnd = NumberBoundary.digitRunEnd(p, from: groupEnd &+ 1, limit: 5)
        guard serialEnd == groupEnd &+ 5, NumberBoundary.after(p, serialEnd),
              !NumberBoundary.continues(p, serialEnd, separator: sep)
        else { return nil }
        return isValid(p, start, serialEnd) ? serialEnd : nil
    }

    /// Presidio's rejection rules over the nine digits in `bytes[start..<end]`.
    @inlinable
    static func isValid(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var value = 0
        var digits = 0
        var allSame = true
        var first: UInt8 = 0
        var i = start
        while i < end {
            let d = p[i] &- 0x30
            if d < 10 {
                if digits == 0 { first = d } else if d != first { allSame = false }
                value = value &* 10 &+ Int(d)
                digits &+= 1
            }
            i &+= 1
        }
        guard digits == 9, !allSame else { return false }
        let area = value / 1_000_000
        let group = (value / 10_000) % 100
        let serial = value % 10_000
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
        switch value {
        case 078_051_120, 123_456_789, 219_099_999: return false
        default: return true
        }
    }
}
