/// A mask style per kind of finding: the e-mail detector may keep the last four characters
/// while cards are masked whole. Eight plain bytes per field, so a scanner copies it per
/// pass without a reference count, and looking a style up is a shift.
public struct SensitiveDataStyles: Sendable, Hashable {
    @usableFromInline var fills: UInt64
    @usableFromInline var keeps: UInt64

    /// Every kind masked with `style`.
    @inlinable
    public init(_ style: MaskStyle = .full) {
        fills = SWAR.ones &* UInt64(style.fill)
        keeps = SWAR.ones &* UInt64(style.keepLast)
    }

    /// The style of findings of `kind` (one kind; for a set, its lowest kind).
    @inlinable
    public subscript(kind: SensitiveDataKind) -> MaskStyle {
        get {
            let shift = UInt64(Self.slot(kind) &* 8)
            return MaskStyle(uncheckedFill: UInt8(truncatingIfNeeded: fills >> shift),
                             keepLast: UInt8(truncatingIfNeeded: keeps >> shift))
        }
        set {
            var remaining = kind.rawValue
            while remaining != 0 {
                let shift = UInt64(remaining.trailingZeroBitCount &* 8)
                fills = fills & ~(0xFF << shift) | UInt64(newValue.fill) << shift
                keeps = keeps & ~(0xFF << shift) | UInt64(newValue.keepLast) << shift
                remaining &= remaining &- 1
            }
        }
    }

    @inlinable
    static func slot(_ kind: SensitiveDataKind) -> Int {
        kind.rawValue == 0 ? 0 : kind.rawValue.trailingZeroBitCount
    }
}
