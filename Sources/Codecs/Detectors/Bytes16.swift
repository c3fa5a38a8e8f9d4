/// Sixteen bytes in one vector register, tested lane by lane.
///
/// A test returns `0xFF` in the lanes that match and `0` elsewhere, so results combine
/// with `&`, `|` and `~` and are read through ``lanes(_:)`` or ``any(_:)``. Equality is
/// `.==` on the bytes (SSE2 `pcmpeqb`); a range is one wrapping add and a signed `.<`
/// (`paddb`, `pcmpgtb`). Unsigned comparisons and the standard library's `any(_:)` over a
/// `SIMDMask` are avoided: they do not compile to single instructions.
@usableFromInline
typealias Bytes16 = SIMD16<UInt8>

extension SIMD16 where Scalar == UInt8 {
    /// The sixteen bytes at `offset`.
    @inlinable @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ offset: Int) -> Self {
        base.loadUnaligned(fromByteOffset: offset, as: Self.self)
    }

    /// Lanes holding a byte `b` with `low <= b < low + count` (`0 <= count <= 128`; none for 0). Exact:
    /// `t = b - low` wraps to `0 ..< 256`; adding 128 maps `t < count` to the signed bytes
    /// `-128 ..< count - 128`, and every other `t` to at least `count - 128`.
    @inlinable @inline(__always)
    static func inRange(_ v: Self, _ low: UInt8, _ count: UInt8) -> Self {
        let t = unsafeBitCast(v &+ Self(repeating: 0x80 &- low), to: SIMD16<Int8>.self)
        return unsafeBitCast(t .< SIMD16<Int8>(repeating: Int8(truncatingIfNeeded: 0x80 &+ Int(count))), to: Self.self)
    }

    /// Lanes holding `byte`.
    @inlinable @inline(__always)
    static func equal(_ v: Self, _ byte: UInt8) -> Self {
        unsafeBitCast(v .== Self(repeating: byte), to: Self.self)
    }

    @inlinable @inline(__always)
    static func digit(_ v: Self) -> Self { inRange(v, 0x30, 10) }

    @inlinable @inline(__always)
    static func upper(_ v: Self) -> Self { inRange(v, 0x41, 26) }

    /// Letters, digits and `_` (a regular expression's `\w` in ASCII).
    @inlinable @inline(__always)
    static func word(_ v: Self) -> Self {
        digit(v) | inRange(v | Self(repeating: 0x20), 0x61, 26) | equal(v, 0x5F)
    }

    @inlinable @inline(__always)
    static func hex(_ v: Self) -> Self { digit(v) | inRange(v | Self(repeating: 0x20), 0x61, 6) }

    /// Lanes holding a space or `-` (the separators of grouped numbers), and also
    /// `! $ % ( ) ,`: the bytes `b` with `b | 0x0D == 0x2D`. A cheap superset for filters.
    @inlinable @inline(__always)
    static func separatorOrPunctuation(_ v: Self) -> Self { equal(v | Self(repeating: 0x0D), 0x2D) }

    /// The result of a test as two little-endian words, bit 7 of each matching lane set
    /// and every other bit clear.
    @inlinable @inline(__always)
    static func lanes(_ v: Self) -> SIMD2<UInt64> {
        unsafeBitCast(v, to: SIMD2<UInt64>.self) & SIMD2(repeating: SWAR.highs)
    }

    /// Whether any lane of a test's result matches.
    @inlinable @inline(__always)
    static func any(_ v: Self) -> Bool {
        let l = unsafeBitCast(v, to: SIMD2<UInt64>.self)
        return l[0] | l[1] != 0
    }
}
