/// How a masked value is overwritten: a fill character, keeping the last few characters.
public struct MaskStyle: Sendable, Hashable {
    /// The ASCII byte written over masked characters (`*` by default). Must be a printable
    /// ASCII character other than `\` and `"`, so masked text stays valid text, COPY and JSON.
    public let fill: UInt8
    /// How many trailing characters (UTF-8 scalars) stay readable, for example 4 for
    /// "keep the last 4 digits".
    public let keepLast: UInt8

    /// Returns `nil` when `fill` is not a safe printable ASCII character.
    @inlinable
    public init?(fill: UInt8 = UInt8(ascii: "*"), keepLast: UInt8 = 0) {
        guard fill >= 0x20, fill < 0x7F, fill != UInt8(ascii: "\\"), fill != UInt8(ascii: "\"") else { return nil }
        self.fill = fill
        self.keepLast = keepLast
    }

    /// `*` over everything.
    @inlinable public static var full: MaskStyle { MaskStyle(uncheckedFill: UInt8(ascii: "*"), keepLast: 0) }
    /// `*` over everything but the last 4 characters.
    @inlinable public static var keepLast4: MaskStyle { MaskStyle(uncheckedFill: UInt8(ascii: "*"), keepLast: 4) }

    @usableFromInline
    init(uncheckedFill: UInt8, keepLast: UInt8) {
        self.fill = uncheckedFill
        self.keepLast = keepLast
    }
}

/// What to do with every cell of one result column.
public enum CellMaskAction: Sendable, Hashable {
    /// Leave the value alone.
    case keep
    /// Hide the whole value (see `DataRowMasker` for the type-aware rule).
    case redact(MaskStyle)
    /// Let a `CellScanner` (sensitive-data detectors) mask what it finds inside the value.
    case scan
    /// Always send SQL NULL.
    case null

    /// Whether this action changes anything (a pattern match, not `==`, which would go
    /// through the Equatable witness on the hot path).
    @inlinable public var masks: Bool {
        if case .keep = self { return false }
        return true
    }
}

/// Finds sensitive values inside a cell and overwrites them in place.
///
/// Implemented by the detectors; taken as a generic parameter so the masking loop is
/// specialized and free of existentials. The implementation must keep the cell's length
/// (overwrite, never insert or delete bytes).
public protocol CellScanner {
    func maskInPlace(_ cell: UnsafeMutableRawBufferPointer)
}

/// A scanner for plans that contain no `.scan` action: finds nothing.
public struct NoCellScanner: CellScanner {
    @inlinable public init() {}
    @inlinable public func maskInPlace(_ cell: UnsafeMutableRawBufferPointer) {}
}

/// Chooses a mask action for each column when a RowDescription arrives.
public protocol ColumnMaskPlanner {
    mutating func action(for column: ColumnDescriptionView, at index: Int) -> CellMaskAction
}
