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
