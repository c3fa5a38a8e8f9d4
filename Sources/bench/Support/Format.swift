/// Fixed-point number formatting for tables and progress lines (no Foundation, no locale).
enum Format {
    /// `value` with exactly `digits` decimals ("-" for non-finite values).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e17 else { return "\(value)" }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        let fraction = String(units % UInt64(scale))
        return "\(sign)\(whole).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }

    /// An optional value with `digits` decimals, or "-".
    static func fixed(_ value: Double?, _ digits: Int) -> String {
        value.map { fixed($0, digits) } ?? "-"
    }

    /// A signed value ("+3.2", "-0.4"), or "-".
    static func signed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        return value >= 0 ? "+" + fixed(value, digits) : fixed(value, digits)
    }

    /// A ratio as "1.23x", or "-".
    static func ratio(_ value: Double?) -> String {
        value.map { fixed($0, 2) + "x" } ?? "-"
    }

    /// A whole number with thousands separators ("65,432").
    static func grouped(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 9e17 else { return fixed(value, 0) }
        let digits = Array(String(UInt64(value.rounded())))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// Left-aligns `text` in `width` columns.
    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Right-aligns `text` in `width` columns.
    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
