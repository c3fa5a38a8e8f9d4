/// Finds IPv6 addresses in their text forms (RFC 4291 §2.2).
///
/// Full (`2001:0db8:0000:0000:0000:ff00:0042:8329`), compressed with one `::`
/// (`2001:db8::ff00:42:8329`, `::1`, `fe80::`), and with an embedded dotted-quad IPv4
/// tail (`::ffff:192.0.2.1`, `64:ff9b::192.0.2.33`). Groups are 1–4 hex digits of either
/// case. The bare unspecified address `::` is not reported (it carries nothing and `::`
/// is common punctuation in code). The address must not touch a word byte, `:` or `.`
/// before it, nor a word byte, `:` or a `.`-digit after it; a zone (`%eth0`), a prefix
/// length (`/64`) or brackets around it are fine.
public enum IPv6Detector {
    /// The address whose first `:` is at `colon`, or `nil`; the address may start up to
    /// four hex digits before it, never before `lowerBound`.
    @inlinable
    public static func match(_ bytes: UnsafeRawBufferPointer, firstColon colon: Int, lowerBound: Int = 0) -> Range<Int>? {
        let p = bytes
        guard colon &+ 1 < p.count, p[colon] == ASCII.colon else { return nil }
        var start = colon
        while start > lowerBound && colon &- start < 4 && ASCII.isHex(p[start &- 1]) { start &-= 1 }
        if start > 0 {
            let b = p[start &- 1]
            if ASCII.isWord(b) || b == ASCII.colon || b == ASCII.dot { return nil }
        }
        guard let end = parse(p, from: start) else { return nil }
        if end < p.count {
            let b = p[end]
            if ASCII.isWord(b) || b == ASCII.colon { return nil }
            if b == ASCII.dot && end &+ 1 < p.count && ASCII.isDigit(p[end &+ 1]) { return nil }
        }
        return start..<end
    }

    /// The end of the address text that starts at `from`, or `nil`.
    @inlinable
    static func parse(_ p: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        var groups = 0
        var compressed = false
        if p[i] == ASCII.colon {
            guard i &+ 1 < p.count, p[i &+ 1] == ASCII.colon else { return nil }
            compressed = true
            i &+= 2
        }
        while groups < 8 {
            // One group: 1–4 hex digits, or a dotted-quad IPv4 tail.
            var j = i
            var decimalOnly = true
            while j < p.count && j &- i < 5 && ASCII.isHex(p[j]) {
                if !ASCII.isDigit(p[j]) { decimalOnly = false }
                j &+= 1
            }
            let length = j &- i
            if length == 0 { break }
            if decimalOnly && length <= 3 && j < p.count && p[j] == ASCII.dot {
                guard groups <= 6, let end = IPv4Detector.parse(p, from: i) else { return nil }
                groups &+= 2
                i = end
                break
            }
            if length > 4 { return nil }
            groups &+= 1
            i = j
            if groups == 8 { break }
            // Separator: ':' before another group, or the one '::'.
            guard i < p.count, p[i] == ASCII.colon else { break }
            if i &+ 1 < p.count && p[i &+ 1] == ASCII.colon {
                if compressed { return nil }
                compressed = true
                i &+= 2
                continue
            }
            guard i &+ 1 < p.count, ASCII.isHex(p[i &+ 1]) else { break }
            i &+= 1
        }
        if compressed {
            return groups >= 1 && groups <= 7 ? i : nil
        }
        return groups == 8 ? i : nil
    }
}
