/// A bounds-checked big-endian writer into a caller-provided buffer.
///
/// It never allocates. Writes past the end set `overflowed` (and write nothing), so an
/// encoder can write a whole message and check once at the end.
public struct WireWriter {
    @usableFromInline let buffer: UnsafeMutableRawBufferPointer
    /// Number of bytes written so far (also counts bytes that did not fit).
    public var count: Int { _count }
    @usableFromInline var _count: Int
    /// Whether any write did not fit.
    public var overflowed: Bool { count > buffer.count }

    @inlinable
    public init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
        self._count = 0
    }

    @inlinable
    public mutating func writeUInt8(_ value: UInt8) {
        if count < buffer.count { buffer[count] = value }
        _count += 1
    }

    @inlinable
    public mutating func writeInt16(_ value: Int16) {
        let v = UInt16(bitPattern: value)
        writeUInt8(UInt8(truncatingIfNeeded: v >> 8))
        writeUInt8(UInt8(truncatingIfNeeded: v))
    }

    @inlinable
    public mutating func writeInt32(_ value: Int32) {
        let v = UInt32(bitPattern: value)
        writeUInt8(UInt8(truncatingIfNeeded: v >> 24))
        writeUInt8(UInt8(truncatingIfNeeded: v >> 16))
        writeUInt8(UInt8(truncatingIfNeeded: v >> 8))
        writeUInt8(UInt8(truncatingIfNeeded: v))
    }

    @inlinable
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        if count <= buffer.count, bytes.count <= buffer.count - count, let base = buffer.baseAddress,
           let source = bytes.baseAddress {
            (base + count).copyMemory(from: source, byteCount: bytes.count)
        }
        _count += bytes.count
    }

    @inlinable
    public mutating func writeBytes(_ literal: StaticString) {
        writeBytes(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Writes `bytes` followed by a NUL terminator. An embedded NUL would end the string
    /// early on the reader's side, so it is replaced by `?`.
    @inlinable
    public mutating func writeCString(_ bytes: UnsafeRawBufferPointer) {
        let start = count
        writeBytes(bytes)
        if count <= buffer.count {
            var i = start
            while i < count {
                if buffer[i] == 0 { buffer[i] = UInt8(ascii: "?") }
                i += 1
            }
        }
        writeUInt8(0)
    }

    @inlinable
    public mutating func writeCString(_ literal: StaticString) {
        writeCString(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Overwrites 4 bytes at `offset` (already written) with a big-endian Int32.
    @inlinable
    public mutating func patchInt32(_ value: Int32, at offset: Int) {
        guard offset >= 0, offset + 4 <= buffer.count, offset + 4 <= count else { return }
        let v = UInt32(bitPattern: value)
        buffer[offset] = UInt8(truncatingIfNeeded: v >> 24)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
        buffer[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[offset + 3] = UInt8(truncatingIfNeeded: v)
    }

    /// Begins a regular message: writes the type byte and a length placeholder, and
    /// returns the offset of the length field for `finishMessage`.
    @inlinable
    public mutating func beginMessage(_ type: UInt8) -> Int {
        writeUInt8(type)
        let lengthOffset = count
        writeInt32(0)
        return lengthOffset
    }

    /// Fills in the length of the message begun at `lengthOffset`.
    @inlinable
    public mutating func finishMessage(lengthOffset: Int) {
        patchInt32(Int32(truncatingIfNeeded: count - lengthOffset), at: lengthOffset)
    }

    /// Throws when the message(s) written did not fit; returns the number of bytes written.
    @inlinable
    public func finish() throws(PostgresProtocolError) -> Int {
        if overflowed { throw .outputBufferTooSmall(needed: count) }
        return count
    }
}
