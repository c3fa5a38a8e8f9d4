/// Sixteen bytes in one vector register, tested lane by lane with wrapping byte
/// arithmetic (the compiler emits SSE2 `psubb`/`pand`; comparison operators on `SIMD`
/// types compile to a loop over lanes, so none is used here).
///
/// A test returns bytes whose bit 7 is set in the lanes that match; the other bits are
/// meaningless, so results combine with `&`, `|` and `~` and are read through
/// ``lanes(_:)`` or ``any(_:)``.
@usableFromInline
typealias Bytes16 = SIMD16<UInt8>

extension SIMD16 where Scalar == UInt8 {
    /// The sixteen bytes at `offset`.
    @inlinable @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ offset: Int) -> Self {
        base.loadUnaligned(fromByteOffset: offset, as: Self.self)
    }

    /// Lanes holding a byte `b` with `low <= b < low + count` (`1 <= count <= 128`). Exact:
    /// `t = b - low` wraps; `t - count` has bit 7 set when `t < count` (it wraps, and
    /// `count <= 128`) or when `t >= count + 128`, and `~t` excludes every `t >= 128`.
    @inlinable @inline(__always)
    static func inRange(_ v: Self, _ low: UInt8, _ count: UInt8) -> Self {
        let t = v &- Self(repeating: low)
        return ~t & (t &- Self(repeating: count))
    }

    /// Lanes holding `byte`.
    @inlinable @inline(__always)
    static func equal(_ v: Self, _ byte: UInt8) -> Self { inRange(v, byte, 1) }

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
        let l = lanes(v)
        return l[0] | l[1] != 0
    }
}
