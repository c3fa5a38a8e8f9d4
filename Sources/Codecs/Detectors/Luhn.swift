/// The Luhn (mod 10) check digit algorithm used by payment card numbers.
public enum Luhn {
    /// Whether the digits in `bytes[range]` pass the Luhn check; non-digit bytes
    /// (separators) are skipped. An empty digit sequence does not pass.
    @inlinable
    public static func isValid(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var sum: UInt32 = 0
        var double = false
        var digits = 0
        var i = range.upperBound
        while i > range.lowerBound {
            i &-= 1
            let d = bytes[i] &- 0x30
            if d >= 10 { continue }
            var v = UInt32(d)
            if double {
                v &*= 2
                if v > 9 { v &-= 9 }
            }
            sum &+= v
            double.toggle()
            digits &+= 1
        }
        return digits > 0 && sum % 10 == 0
    }
}
