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
    @inlinable
    public static func checksumIsValid(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let remainder = mod97(bytes, start &+ 4, end, 0)
        return mod97(bytes, start, start &+ 4, remainder) == 1
    }

    /// `remainder` followed by the decimal digits of `bytes[from..<to]` (letters as two
    /// digits 10…35, other bytes skipped), modulo 97. Up to seventeen digits are gathered
    /// at a time in 64 bits and reduced once per chunk, so the division is off
    /// the per-character dependency chain.
    @inlinable
    static func mod97(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ remainder: UInt64) -> UInt64 {
        var remainder = remainder
        var i = from
        while i < to {
            var chunk: UInt64 = 0
            var scale: UInt64 = 1
            while i < to && scale < 1_000_000_000_000_000 {  // 10^15
                let b = bytes[i]
                if ASCII.isDigit(b) {
                    chunk = chunk &* 10 &+ UInt64(b &- 0x30)
                    scale &*= 10
                } else if ASCII.isUpper(b) {
                    chunk = chunk &* 100 &+ UInt64(b &- 0x41) &+ 10
                    scale &*= 100
                }
                i &+= 1
            }
            // remainder < 97, chunk < scale ≤ 10^17: below 2^64.
            remainder = (remainder &* scale &+ chunk) % 97
        }
        return remainder
    }
}
