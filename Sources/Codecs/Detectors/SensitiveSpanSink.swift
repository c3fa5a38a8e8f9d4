/// Where the combined scanner puts what it finds. Generic, so each use is specialised:
/// no existential, no closure, no allocation per finding.
@usableFromInline
protocol SensitiveSpanSink {
    mutating func report(_ span: SensitiveSpan)
}

/// Stores findings into caller-provided memory; counts the ones that did not fit.
@usableFromInline
struct CollectingSink: SensitiveSpanSink {
    @usableFromInline let buffer: UnsafeMutableBufferPointer<SensitiveSpan>
    @usableFromInline var found = 0

    @inlinable init(_ buffer: UnsafeMutableBufferPointer<SensitiveSpan>) { self.buffer = buffer }

    @inlinable mutating func report(_ span: SensitiveSpan) {
        if found < buffer.count { buffer[found] = span }
        found &+= 1
    }
}

/// Masks findings in place.
///
/// The newest finding is masked only when the next one is reported (or at ``finish()``):
/// detectors look at most two bytes back from a candidate's start, and every finding is
/// at least two bytes long, so no detector ever reads a byte already masked, and masking
/// finds exactly what scanning finds.
@usableFromInline
struct MaskingSink: SensitiveSpanSink {
    @usableFromInline let bytes: UnsafeMutableRawBufferPointer
    @usableFromInline let styles: SensitiveDataStyles
    @usableFromInline var pending: SensitiveSpan?
    @usableFromInline var found = 0

    @inlinable init(_ bytes: UnsafeMutableRawBufferPointer, styles: SensitiveDataStyles) {
        self.bytes = bytes
        self.styles = styles
    }

    @inlinable mutating func report(_ span: SensitiveSpan) {
        if let previous = pending { styles[previous.kind].apply(to: bytes, previous.start, previous.end) }
        pending = span
        found &+= 1
    }

    @inlinable mutating func finish() {
        if let previous = pending { styles[previous.kind].apply(to: bytes, previous.start, previous.end) }
        pending = nil
    }
}
