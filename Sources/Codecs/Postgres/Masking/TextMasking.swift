/// Equal-length overwrites of text that keep it valid UTF-8, JSON or COPY text.
public enum TextMasking {
    /// Overwrites `bytes` with `style.fill`, keeping the last `style.keepLast` UTF-8
    /// scalars. Every byte of a masked multi-byte scalar becomes one fill byte, so the
    /// length is unchanged and no stray continuation byte is left behind.
    @inlinable
    public static func fill(_ bytes: UnsafeMutableRawBufferPointer, style: MaskStyle) {
        let end = keptSuffixStart(bytes, keep: Int(style.keepLast))
        var i = 0
        while i < end {
            bytes[i] = style.fill
            i += 1
        }
    }

    /// Index where the last `keep` UTF-8 scalars start (0 when there are fewer).
    @inlinable
    static func keptSuffixStart(_ bytes: UnsafeMutableRawBufferPointer, keep: Int) -> Int {
        var index = bytes.count
        var kept = 0
        while kept < keep, index > 0 {
            index -= 1
            if bytes[index] & 0xC0 != 0x80 { kept += 1 }
        }
        return index
    }

    /// Overwrites a JSON value with a JSON value of the same length: a string of fill
    /// characters (`"****"`), or `0` for a one-byte value.
    @inlinable
    public static func replaceJSON(_ bytes: UnsafeMutableRawBufferPointer, style: MaskStyle) {
        guard !bytes.isEmpty else { return }
        if bytes.count == 1 {
            bytes[0] = UInt8(ascii: "0")
            return
        }
        bytes[0] = UInt8(ascii: "\"")
        var i = 1
        while i < bytes.count - 1 {
            bytes[i] = style.fill
            i += 1
        }
        bytes[bytes.count - 1] = UInt8(ascii: "\"")
    }

    /// FNV-1a over `bytes`: tells whether a scanner changed a value it was not allowed to
    /// change in place.
    @inlinable
    static func fingerprint(_ bytes: UnsafeMutableRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}
