/// A bounds-checked big-endian cursor over message bytes.
///
/// Every read checks the remaining length first and reports `nil` instead of trapping,
/// so views built on it are safe on hostile input.
@usableFromInline
struct WireReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var index: Int

    @inlinable
    init(_ bytes: UnsafeRawBufferPointer, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    @inlinable var remaining: Int { bytes.count - index }
    @inlinable var isAtEnd: Bool { index >= bytes.count }

    @inlinable
    mutating func readUInt8() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    @inlinable
    mutating func readInt16() -> Int16? {
        guard remaining >= 2 else { return nil }
        defer { index += 2 }
        return Int16(bitPattern: UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
    }

    @inlinable
    mutating func readInt32() -> Int32? {
        guard remaining >= 4 else { return nil }
        defer { index += 4 }
        return Int32(bitPattern: WireReader.loadUInt32(bytes, at: index))
    }

    /// Reads `count` bytes as a slice of the underlying buffer (no copy).
    @inlinable
    mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { index += count }
        return UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)])
    }

    /// Reads a NUL-terminated string and returns its bytes without the terminator.
    @inlinable
    mutating func readCString() -> UnsafeRawBufferPointer? {
        var end = index
        while end < bytes.count {
            if bytes[end] == 0 {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[index..<end])
                index = end + 1
                return slice
            }
            end += 1
        }
        return nil
    }

    /// Big-endian 32-bit load at `offset`; the caller checked the bounds.
    @inlinable
    static func loadUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes equal the ASCII/UTF-8 bytes of `literal`.
    @inlinable
    package func equalsASCII(_ literal: StaticString) -> Bool {
        guard literal.utf8CodeUnitCount == count else { return false }
        let other = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        var i = 0
        while i < count {
            if self[i] != other[i] { return false }
            i += 1
        }
        return true
    }
}
