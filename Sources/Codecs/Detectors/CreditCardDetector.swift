/// Finds payment card numbers.
///
/// Accepted forms (each bounded by non-word bytes, never a `.`/`,` decimal neighbour
/// and never right after `+`, a phone number's prefix):
/// - **plain**: one run of 12–19 digits;
/// - **grouped**: digit groups joined by one separator, either all spaces or all dashes:
///   4-4-4 (12), 4-4-4-n with n in 1…4 (13–16), 4-4-4-4-n with n in 1…3 (17–19),
///   4-6-5 (American Express) and 4-6-4 (Diners Club).
///
/// "Not part of a longer digit run": a grouped candidate that continues with one more
/// group of four (for example a list `1234 5678 9012 3456 7890`) is rejected, and so is
/// one whose first group follows a digit and the same separator. A last group that
/// breaks the layout or starts a date is dropped (`4111 1111 1111 1111 12/25` and
/// `4111 1111 1111 1111 12345` find the 16 digits); one that fits the layout is part of
/// the number (`4111 1111 1111 1111 123` is a 19-digit candidate, Luhn-checked whole).
/// Every candidate must pass the Luhn check and, unless turned off, ``CardIssuer``.
public enum CreditCardDetector {
    /// The end (exclusive) of a card number that starts at `start`, or `nil`.
    ///
    /// - Parameters:
    ///   - bytes: the text.
    ///   - start: index of the candidate's first digit.
    ///   - requirePlausibleIssuer: also require a known scheme prefix and length.
    @inlinable
    public static func match(_ bytes: UnsafeRawBufferPointer, at start: Int, requirePlausibleIssuer: Bool) -> Int? {
        let p = bytes
        guard start < p.count, ASCII.isDigit(p[start]), NumberBoundary.before(p, start) else { return nil }
        let end0 = NumberBoundary.digitRunEnd(p, from: start, limit: 20)
        let len0 = end0 &- start
        if len0 >= 12 {
            guard len0 <= 19, NumberBoundary.after(p, end0) else { return nil }
            return accept(p, start, end0, digits: len0, requirePlausibleIssuer) ? end0 : nil
        }
        guard len0 == 4, end0 &+ 1 < p.count else { return nil }
        let sep = p[end0]
        guard sep == ASCII.space || sep == ASCII.dash, ASCII.isDigit(p[end0 &+ 1]) else { return nil }
        if NumberBoundary.chainedBefore(p, start, separator: sep) { return nil }

        // Up to six groups; their lengths (each ≤ 6) packed four bits apiece.
        var packed = GroupLengths(first: 4)
        var cursor = end0
        while packed.count < 6 && NumberBoundary.continues(p, cursor, separator: sep) {
            let groupStart = cursor &+ 1
            let groupEnd = NumberBoundary.digitRunEnd(p, from: groupStart, limit: 7)
            let length = groupEnd &- groupStart
            if length > 6 { return nil }
            // Every layout's second group has four or six digits (dates such as
            // `2024-05-01` end here).
            if packed.count == 1 && length != 4 && length != 6 { return nil }
            packed.append(length)
            cursor = groupEnd
        }
        if packed.count >= 6 { return nil }

        // The whole chain, when it ends at a number boundary.
        let fullDigits = packed.cardDigits(groups: packed.count)
        if NumberBoundary.after(p, cursor), let digits = fullDigits {
            if accept(p, start, cursor, digits: digits, requirePlausibleIssuer) { return cursor }
        }
        // The chain without its last group, when that group cannot belong to the card: it
        // breaks the layout (`… 1111 12345`) or starts a date (`… 1111 12/25`).
        let groups = packed.count
        let lastGroupIsForeign = fullDigits == nil || (cursor < p.count && p[cursor] == 0x2F)
        if groups >= 4 && packed[groups &- 1] != 4 && lastGroupIsForeign,
           let digits = packed.cardDigits(groups: groups &- 1) {
            let prefixEnd = cursor &- 1 &- packed[groups &- 1]
            if accept(p, start, prefixEnd, digits: digits, requirePlausibleIssuer) { return prefixEnd }
        }
        return nil
    }

    @inlinable
    static func accept(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int, digits: Int, _ requirePlausibleIssuer: Bool) -> Bool {
        if requirePlausibleIssuer {
            var prefix = 0
            var taken = 0
            var i = start
            while taken < 6 && i < end {
                let d = p[i] &- 0x30
                if d < 10 {
                    prefix = prefix &* 10 &+ Int(d)
                    taken &+= 1
                }
                i &+= 1
            }
            guard CardIssuer.isPlausible(prefix6: prefix, length: digits) else { return false }
        }
        return Luhn.isValid(p, start..<end)
    }
}

/// Digit-group lengths of a grouped card candidate, four bits each, in one word.
@usableFromInline
struct GroupLengths {
    @usableFromInline var bits: UInt64
    @usableFromInline var count: Int

    @inlinable init(first: Int) {
        bits = UInt64(truncatingIfNeeded: first)
        count = 1
    }

    @inlinable mutating func append(_ length: Int) {
        bits |= UInt64(truncatingIfNeeded: length) << UInt64(truncatingIfNeeded: count &* 4)
        count &+= 1
    }

    @inlinable subscript(_ i: Int) -> Int {
        Int(truncatingIfNeeded: (bits >> UInt64(truncatingIfNeeded: i &* 4)) & 0xF)
    }

    /// Total digit count when the first `groups` groups form an accepted card layout.
    @inlinable func cardDigits(groups: Int) -> Int? {
        switch groups {
        case 3:
            let l1 = self[1], l2 = self[2]
            if l1 == 4 && l2 == 4 { return 12 }
            if l1 == 6 && (l2 == 5 || l2 == 4) { return 10 &+ l2 }
            return nil
        case 4:
            guard self[1] == 4 && self[2] == 4 else { return nil }
            let l3 = self[3]
            return (1...4).contains(l3) ? 12 &+ l3 : nil
        case 5:
            guard self[1] == 4 && self[2] == 4 && self[3] == 4 else { return nil }
            let l4 = self[4]
            return (1...3).contains(l4) ? 16 &+ l4 : nil
        default:
            return nil
        }
    }
}
