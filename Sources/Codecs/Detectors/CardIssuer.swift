/// Issuer identification number (IIN) plausibility: whether the leading digits and the
/// length of a card number belong to a known card scheme.
///
/// Turning this on (the default) removes most false positives of a bare Luhn check, for
/// example 13-digit millisecond timestamps, which start with `1` (only UATP cards do, and
/// they have 15 digits).
public enum CardIssuer {
    /// Whether a card number of `length` digits whose first six digits are `prefix6`
    /// (fewer significant digits are never passed: every accepted length is ≥ 12) is
    /// plausibly issued by a known scheme.
    ///
    /// Schemes: UATP (1, 15), Mir (2200–2204, 16–19), Mastercard (2221–2720 and 51–55, 16),
    /// American Express (34, 37, 15), Diners Club (300–305, 3095, 36, 38, 39, 14–19),
    /// JCB (3528–3589, 16–19), Visa (4, 13/16/19), Maestro (50, 56–58, 12–19),
    /// Discover, UnionPay, Maestro and others under 6 (12–19).
    @inlinable
    public static func isPlausible(prefix6: Int, length: Int) -> Bool {
        let p1 = prefix6 / 100_000
        let p2 = prefix6 / 10_000
        let p3 = prefix6 / 1_000
        let p4 = prefix6 / 100
        switch p1 {
        case 1:
            return length == 15
        case 2:
            if (2200...2204).contains(p4) { return length >= 16 }
            if (2221...2720).contains(p4) { return length == 16 }
            return false
        case 3:
            if p2 == 34 || p2 == 37 { return length == 15 }
            if (300...305).contains(p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39 { return length >= 14 }
            if (3528...3589).contains(p4) { return length >= 16 }
            return false
        case 4:
            return length == 13 || length == 16 || length == 19
        case 5:
            if (51...55).contains(p2) { return length == 16 }
            if p2 == 50 || (56...58).contains(p2) { return true }
            return false
        case 6:
            return true
        default:
            return false
        }
    }
}
