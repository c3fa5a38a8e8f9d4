/// Branch-free ASCII byte classes used by every detector.
///
/// Plain arithmetic on the byte instead of a lookup table: no global to initialise, no
/// bounds check, and the compiler folds them into one or two instructions.
@usableFromInline
enum ASCII {
    @inlinable @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inlinable @inline(__always)
    static func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }

    @inlinable @inline(__always)
    static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

    @inlinable @inline(__always)
    static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }

    /// Letters, digits and `_`: the bytes a regular-expression `\w` matches in ASCII.
    @inlinable @inline(__always)
    static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F }

    @inlinable @inline(__always)
    static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }

    /// Value of a hexadecimal digit (caller checked ``isHex(_:)``).
    @inlinable @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt32 {
        isDigit(b) ? UInt32(b &- 0x30) : UInt32((b | 0x20) &- 0x61) &+ 10
    }

    /// ASCII lower-case fold; other bytes unchanged.
    @inlinable @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }

    @inlinable static var space: UInt8 { 0x20 }
    @inlinable static var dash: UInt8 { 0x2D }
    @inlinable static var dot: UInt8 { 0x2E }
    @inlinable static var colon: UInt8 { 0x3A }
    @inlinable static var at: UInt8 { 0x40 }
}

/// Boundary rules shared by the numeric detectors (cards, SSNs).
@usableFromInline
enum NumberBoundary {
    /// Whether a number may start at `start`: the byte before is not a word byte, not `+`
    /// (a phone number), not a `.`/`,` that follows a digit (a decimal's fraction), and
    /// not a `-` that follows a word byte (the last part of a hyphenated identifier).
    @inlinable @inline(__always)
    static func before(_ p: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        if start == 0 { return true }
        let b = p[start &- 1]
        if ASCII.isWord(b) || b == 0x2B { return false }
        if start >= 2 {
            let c = p[start &- 2]
            if (b == ASCII.dot || b == 0x2C) && ASCII.isDigit(c) { return false }
            // The tail of a hyphenated identifier (UUID, order number): `a716-4466…`.
            if b == ASCII.dash && ASCII.isWord(c) { return false }
        }
        return true
    }

    /// Whether a number may end at `end`: the next byte is not a word byte, and not a
    /// `.`/`,` followed by a digit (the number would be a decimal's integer part).
    @inlinable @inline(__always)
    static func after(_ p: UnsafeRawBufferPointer, _ end: Int) -> Bool {
        if end >= p.count { return true }
        let b = p[end]
        if ASCII.isWord(b) { return false }
        if (b == ASCII.dot || b == 0x2C) && end &+ 1 < p.count && ASCII.isDigit(p[end &+ 1]) { return false }
        return true
    }

    /// Whether `separator` followed by a digit continues the number at `end`.
    @inlinable @inline(__always)
    static func continues(_ p: UnsafeRawBufferPointer, _ end: Int, separator: UInt8) -> Bool {
        end &+ 1 < p.count && p[end] == separator && ASCII.isDigit(p[end &+ 1])
    }

    /// Whether a digit and then `separator` sit right before `start` (a longer chain).
    @inlinable @inline(__always)
    static func chainedBefore(_ p: UnsafeRawBufferPointer, _ start: Int, separator: UInt8) -> Bool {
        start >= 2 && p[start &- 1] == separator && ASCII.isDigit(p[start &- 2])
    }

    /// Index of the first non-digit at or after `from`, looking at most `limit` bytes.
    @inlinable @inline(__always)
    static func digitRunEnd(_ p: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int {
        var i = from
        let stop = min(p.count, from &+ limit)
        while i < stop && ASCII.isDigit(p[i]) { i &+= 1 }
        return i
    }
}
