/// Finds international bank account numbers (IBAN).
///
/// An IBAN is a two-letter country code from ``IBANRegistry``, two check digits and
/// the country's BBAN, all upper case, exactly the country's length long and passing the
/// ISO 7064 mod-97 check. Accepted layouts: electronic (`DE89370400440532013000`) and
/// printed, with one space after every four characters
/// (`DE89 3704 0044 0532 0130 00`); one layout per IBAN, never mixed. The IBAN must not
/// be preceded or followed by a word byte. Lower-case IBANs are not matched.
public enum IBANDetector {
    /// The end (exclusive) of an IBAN that starts at `start`, or `nil`.
    @inlinable
    public static func match(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
        let p = bytes
        guard start &+ 15 <= p.count else { return nil }
        let c1 = p[start], c2 = p[start &+ 1]
        guard ASCII.isUpper(c1), ASCII.isUpper(c2), ASCII.isDigit(p[start &+ 2]), ASCII.isDigit(p[start &+ 3]),
              let length = IBANRegistry.length(c1, c2)
        else { return nil }
        if start > 0 && ASCII.isWord(p[start &- 1]) { return nil }

        var i = start &+ 4
        let spaced = i < p.count && p[i] == ASCII.space
        var characters = 4
        while characters < length {
            if spaced && characters & 3 == 0 {
                guard i < p.count, p[i] == ASCII.space else { return nil }
                i &+= 1
            }
            guard i < p.count else { return nil }
            let b = p[i]
            guard ASCII.isDigit(b) || ASCII.isUpper(b) else { return nil }
            i &+= 1
            characters &+= 1
        }
        if i < p.count && ASCII.isWord(p[i]) { return nil }
        return checksumIsValid(p, start, i) ? i : nil
    }

    /// ISO 7064 mod 97-10 over the IBAN in `bytes[start..<end]` (spaces skipped): the
    /// first four characters move to the end, letters count as 10…35, the remainder is 1.
    /// Digits accumulate in 64 bits and are reduced once per 15 or 16 decimal digits.
    @inlinable
    public static func checksumIsValid(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var remainder: UInt64 = 0
        var pending = 0
        var i = start &+ 4
        var wrapped = false
        while true {
            if i == end {
                if wrapped { break }
                wrapped = true
                i = start
            }
            if wrapped && i == start &+ 4 { break }
            let b = bytes[i]
            if ASCII.isDigit(b) {
                remainder = remainder &* 10 &+ UInt64(b &- 0x30)
                pending &+= 1
            } else if ASCII.isUpper(b) {
                remainder = remainder &* 100 &+ UInt64(b &- 0x41) &+ 10
                pending &+= 2
            }
            // Below 97 · 10^16 < 2^64 before every reduction.
            if pending >= 15 {
                remainder %= 97
                pending = 0
            }
            i &+= 1
        }
        return remainder % 97 == 1
    }
}
