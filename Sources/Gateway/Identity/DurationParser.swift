/// Parses durations such as `90s`, `15m`, `1h`, `1h30m` or `2d` into seconds.
///
/// Units: `s`, `m`, `h`, `d`. Each component is digits followed by a unit; a bare number is
/// refused (ambiguous). The total must be positive and at most ``maximumSeconds``.
public enum DurationParser {
    /// The largest duration accepted: 366 days.
    public static let maximumSeconds = 366 * 86_400

    /// A duration string that could not be parsed.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        public var description: String { message }
    }

    /// Parses `text` into seconds.
    public static func seconds(_ text: String) throws(DurationParser.Error) -> Int {
        let shown = AuditText.sanitize(text, limit: 32)
        var total = 0
        var current = 0
        var digits = 0
        var components = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits < 9 else { throw Error(message: "duration \"\(shown)\" is too large") }
                current = current * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: "s"), UInt8(ascii: "m"), UInt8(ascii: "h"), UInt8(ascii: "d"):
                guard digits > 0 else { throw Error(message: "duration \"\(shown)\" has a unit without a number") }
                let unit: Int
                switch byte {
                case UInt8(ascii: "s"): unit = 1
                case UInt8(ascii: "m"): unit = 60
                case UInt8(ascii: "h"): unit = 3600
                default: unit = 86_400
                }
                total += current * unit
                guard total <= maximumSeconds else { throw Error(message: "duration \"\(shown)\" is too large") }
                current = 0
                digits = 0
                components += 1
            default:
                throw Error(message: "duration \"\(shown)\" is not like 90s, 15m, 1h or 1h30m")
            }
        }
        guard digits == 0 else { throw Error(message: "duration \"\(shown)\" needs a unit (s, m, h or d)") }
        guard components > 0 else { throw Error(message: "duration is empty") }
        guard total > 0 else { throw Error(message: "duration \"\(shown)\" must be positive") }
        return total
    }
}

extension DurationParser {
    /// A duration as people write it: `1h30m`, `45s`, `10m`, `1s500ms` (largest units first,
    /// zero parts left out).
    public static func text(milliseconds: Int) -> String {
        var rest = max(0, milliseconds)
        var text = ""
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        if rest > 0 || text.isEmpty { text += "\(rest)ms" }
        return text
    }

    /// ``text(milliseconds:)`` of a `Duration`.
    public static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return text(milliseconds: Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
