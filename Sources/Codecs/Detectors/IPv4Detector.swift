/// Finds dotted-quad IPv4 addresses.
///
/// Four decimal octets, each 0–255, written without leading zeros (`010` is ambiguous:
/// octal to some parsers, decimal to others, so it is not an address here). The address
/// must stand alone: no word byte or `.` before it, no word byte after it and no `.`
/// followed by a word byte (so `1.2.3.4.5` and version strings with more parts are not
/// addresses). A trailing `:port`, `/prefix` or sentence-ending `.` is fine.
public enum IPv4Detector {
    /// The end (exclusive) of an address that starts at `start`, or `nil`.
    @inlinable
    public static func match(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
        let p = bytes
        guard start &+ 7 <= p.count else { return nil }
        if start > 0 {
            let b = p[start &- 1]
            if ASCII.isWord(b) || b == ASCII.dot { return nil }
        }
        guard let end = parse(p, from: start) else { return nil }
        if end < p.count {
            let b = p[end]
            if ASCII.isWord(b) { return nil }
            if b == ASCII.dot && end &+ 1 < p.count && ASCII.isWord(p[end &+ 1]) { return nil }
        }
        return end
    }

    /// The end of a dotted quad that starts at `from` (no boundary checks), or `nil`.
    @inlinable
    static func parse(_ p: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        var octet = 0
        while true {
            guard i < p.count, ASCII.isDigit(p[i]) else { return nil }
            let first = p[i]
            var value = Int(first &- 0x30)
            var length = 1
            i &+= 1
            while i < p.count && ASCII.isDigit(p[i]) {
                length &+= 1
                if length > 3 { return nil }
                value = value &* 10 &+ Int(p[i] &- 0x30)
                i &+= 1
            }
            if value > 255 || (length > 1 && first == 0x30) { return nil }
            octet &+= 1
            if octet == 4 { return i }
            guard i < p.count, p[i] == ASCII.dot else { return nil }
            i &+= 1
        }
    }
}
