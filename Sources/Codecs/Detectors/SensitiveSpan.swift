/// One sensitive value found in scanned bytes: where it is and what it is.
///
/// Offsets are relative to the start of the buffer that was scanned. A span never
/// overlaps another span reported by the same scan, and spans come in increasing order.
public struct SensitiveSpan: Sendable, Hashable {
    /// Offset of the first byte of the value.
    public var start: Int
    /// Number of bytes the value covers (separators included).
    public var count: Int
    /// Which detector found it (exactly one bit).
    public var kind: SensitiveDataKind

    @inlinable
    public init(start: Int, count: Int, kind: SensitiveDataKind) {
        self.start = start
        self.count = count
        self.kind = kind
    }

    /// One past the last byte of the value.
    @inlinable public var end: Int { start + count }
}
