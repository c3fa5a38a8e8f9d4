/// SIMD-within-a-register helpers: test eight bytes at once in a `UInt64`.
///
/// Each function returns a word with bit 7 of a byte lane set where that lane matches,
/// exact in every lane. The scanner's block test uses ``Bytes16`` (sixteen bytes per
/// vector register); these serve the scalar checks at a single stop.
@usableFromInline
enum SWAR {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Lanes holding a byte `b` with `low < b < high` (both bounds ≤ 128; bytes ≥ 0x80 never match).
    @inlinable @inline(__always)
    static func between(_ x: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
        let low7 = x & (ones &* 127)
        return (ones &* (127 &+ UInt64(high)) &- low7) & ~x & (low7 &+ ones &* (127 &- UInt64(low))) & highs
    }

    /// Lanes holding the byte broadcast in `pattern` (`pattern = ones * b`).
    @inlinable @inline(__always)
    static func equalExact(_ x: UInt64, _ pattern: UInt64) -> UInt64 {
        let v = x ^ pattern
        let low7 = ones &* 0x7F
        return ~(((v & low7) &+ low7) | v | low7)
    }
}
