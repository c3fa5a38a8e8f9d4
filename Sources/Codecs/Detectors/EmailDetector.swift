/// Finds e-mail addresses: a pragmatic subset of RFC 5322's `addr-spec`.
///
/// - Local part: 1–64 bytes of letters, digits and `. _ % + -`; no leading or trailing
///   dot and no two dots in a row (scanning back from `@` stops at `..`). Quoted local
///   parts and the rarer `atext` symbols (`! # $ & ' * / = ? ^ { | } ~`) are left out on
///   purpose: in running text they are far more often punctuation around an address
///   (`email='bob@x.org'`, `a=b@x.org`) than part of it.
/// - Domain: at least two dot-separated labels of letters, digits and inner `-`
///   (1–63 bytes each, at most 253 in all); the last label, the TLD, is at least two
///   letters. A sentence-ending dot is not part of the address. IP-literal domains
///   (`[192.0.2.1]`) are not matched.
public enum EmailDetector {
    /// The address around the `@` at `atSign`, or `nil`.
    ///
    /// - Parameter lowerBound: the local part never starts before this offset (the
    ///   combined scanner passes the end of its previous finding).
    @inlinable
    public static func match(_ bytes: UnsafeRawBufferPointer, atSign: Int, lowerBound: Int = 0) -> Range<Int>? {
        let p = bytes
        guard atSign < p.count, p[atSign] == ASCII.at, atSign > lowerBound else { return nil }

        // Local part, backwards from '@'.
        var start = atSign
        while start > lowerBound && isLocal(p[start &- 1]) {
            if atSign &- start >= 64 { return nil }
            if p[start &- 1] == ASCII.dot && start &+ 1 < atSign && p[start] == ASCII.dot {
                // ".." — the local part starts after it.
                start &+= 1
                break
            }
            start &-= 1
        }
        while start < atSign && p[start] == ASCII.dot { start &+= 1 }
        guard start < atSign, p[atSign &- 1] != ASCII.dot else { return nil }

        // Domain, forwards from '@'.
        var i = atSign &+ 1
        var labels = 0
        var end = -1
        while true {
            let labelStart = i
            var alphaOnly = true
            while i < p.count && i &- labelStart <= 63 {
                let b = p[i]
                if ASCII.isAlpha(b) {
                } else if ASCII.isDigit(b) || b == ASCII.dash {
                    alphaOnly = false
                } else {
                    break
                }
                i &+= 1
            }
            let length = i &- labelStart
            if length == 0 || length > 63 || p[labelStart] == ASCII.dash || p[i &- 1] == ASCII.dash { break }
            labels &+= 1
            if labels >= 2 && alphaOnly && length >= 2 { end = i }
            guard i &+ 1 < p.count, p[i] == ASCII.dot, ASCII.isAlnum(p[i &+ 1]) else { break }
            i &+= 1
        }
        guard end > atSign, end &- atSign &- 1 <= 253 else { return nil }
        if end < p.count {
            let b = p[end]
            if ASCII.isWord(b) || b == ASCII.at || b == ASCII.dash { return nil }
        }
        return start..<end
    }

    /// Bytes allowed in the (unquoted) local part.
    @inlinable @inline(__always)
    static func isLocal(_ b: UInt8) -> Bool {
        ASCII.isAlnum(b) || b == ASCII.dot || b == 0x5F || b == 0x25 || b == 0x2B || b == ASCII.dash
    }
}
