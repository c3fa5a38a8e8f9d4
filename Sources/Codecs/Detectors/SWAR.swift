/// SIMD-within-a-register helpers: test eight bytes at once in a `UInt64`.
///
/// Each function returns a word with bit 7 of a byte lane set where that lane matches.
/// ``between(_:_:_:)`` is exact in every lane; ``equal(_:_:)`` is exact in its lowest
/// set lane (a borrow can mark lanes above a true match), which is all a "find the first"
/// loop reads.
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
    static func equal(_ x: UInt64, _ pattern: UInt64) -> UInt64 {
        let v = x ^ pattern
        return (v &- ones) & ~v & highs
    }

    /// Lanes holding the byte broadcast in `pattern`; exact in every lane.
    @inlinable @inline(__always)
    static func equalExact(_ x: UInt64, _ pattern: UInt64) -> UInt64 {
        let v = x ^ pattern
        let low7 = ones &* 0x7F
        return ~(((v & low7) &+ low7) | v | low7)
    }

    /// ``between(_:_:_:)`` on two words at once (vectorised by the compiler).
    @inlinable @inline(__always)
    static func between(_ x: SIMD2<UInt64>, _ low: UInt8, _ high: UInt8) -> SIMD2<UInt64> {
        let low7 = x & SIMD2(repeating: ones &* 127)
        return (SIMD2(repeating: ones &* (127 &+ UInt64(high))) &- low7) & ~x
            & (low7 &+ SIMD2(repeating: ones &* (127 &- UInt64(low)))) & SIMD2(repeating: highs)
    }

    /// ``equalExact(_:_:)`` on two words at once.
    @inlinable @inline(__always)
    static func equalExact(_ x: SIMD2<UInt64>, _ pattern: SIMD2<UInt64>) -> SIMD2<UInt64> {
        let v = x ^ pattern
        let low7 = SIMD2<UInt64>(repeating: ones &* 0x7F)
        return ~(((v & low7) &+ low7) | v | low7)
    }

    /// The sixteen bytes at `offset` as two little-endian words.
    @inlinable @inline(__always)
    static func load2(_ base: UnsafeRawPointer, _ offset: Int) -> SIMD2<UInt64> {
        SIMD2(
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset &+ 8, as: UInt64.self)))
    }
}
