/// How a masker overwrites a sensitive value: a fill byte, keeping the last few characters.
///
/// Masking never changes a value's length, so the framing around it (a PostgreSQL DataRow
/// cell, a COPY field, a JSON string) stays valid. The one type serves both maskers:
/// - a whole value (a result cell, ``DataRowMasker``): the last ``keepLast`` characters
///   (UTF-8 scalars) stay readable;
/// - a finding inside a longer text (``SensitiveDataScanner``): the last ``keepLast`` letters
///   or digits stay readable, and separators (space, `-`, `.`, `:`, `@`) are kept too, so
///   `4111 1111 1111 1111` becomes `**** **** **** 1111`.
public struct MaskStyle: Sendable, Hashable {
    /// Why a mask style was refused.
    public enum Error: Swift.Error, Hashable, CustomStringConvertible {
        /// The mask character is not printable ASCII (it must stay one byte, and must not
        /// be a quote or backslash that could end or escape the surrounding string).
        case unsupportedMaskCharacter

        public var description: String {
            "the mask character must be one printable ASCII character other than quotes and backslash"
        }
    }

    /// The ASCII byte written over masked bytes (`*` by default): printable, and never a
    /// quote or backslash, so masked text stays valid text, COPY and JSON.
    public let fill: UInt8
    /// How many trailing characters stay readable (0: none).
    public let keepLast: UInt8

    /// Returns `nil` when `fill` is not a safe printable ASCII character.
    @inlinable
    public init?(fill: UInt8 = UInt8(ascii: "*"), keepLast: UInt8 = 0) {
        guard Self.isSafeFill(fill) else { return nil }
        self.fill = fill
        self.keepLast = keepLast
    }

    /// A style with a custom mask character, keeping the last four characters or not.
    /// - Throws: ``Error/unsupportedMaskCharacter`` unless `maskCharacter` is printable
    ///   ASCII other than `'`, `"` and `\`.
    public init(maskCharacter: Character = "*", keepLastFour: Bool = false) throws(Error) {
        guard let ascii = maskCharacter.asciiValue, Self.isSafeFill(ascii) else { throw .unsupportedMaskCharacter }
        self.fill = ascii
        self.keepLast = keepLastFour ? 4 : 0
    }

    @usableFromInline
    init(uncheckedFill: UInt8, keepLast: UInt8) {
        self.fill = uncheckedFill
        self.keepLast = keepLast
    }

    /// `*` over everything.
    public static let full = MaskStyle(uncheckedFill: UInt8(ascii: "*"), keepLast: 0)
    /// `*` over everything but the last four characters.
    public static let keepLast4 = MaskStyle(uncheckedFill: UInt8(ascii: "*"), keepLast: 4)

    @inlinable
    static func isSafeFill(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "\"")
            && byte != UInt8(ascii: "'")
    }

    /// Overwrites the finding `bytes[start..<end]` in place (the in-text rule above).
    @inlinable
    public func apply(to bytes: UnsafeMutableRawBufferPointer, _ start: Int, _ end: Int) {
        guard start >= 0, end <= bytes.count, start < end else { return }
        if keepLast == 0 {
            var i = start
            while i < end {
                bytes[i] = fill
                i &+= 1
            }
            return
        }
        // The last `keepLast` letters or digits stay; every letter or digit before the
        // first of them is masked (branch-free: findings are short, their bytes mixed).
        var boundary = end
        var kept = 0
        while boundary > start && kept < Int(keepLast) {
            boundary &-= 1
            kept &+= ASCII.isAlnum(bytes[boundary]) ? 1 : 0
        }
        maskAlphanumerics(bytes, start, boundary)
    }

    /// Overwrites the letters and digits of `bytes[start..<end]` with ``fill`` (the bounds
    /// are checked by the caller), eight bytes at a time where eight fit: a word's letter
    /// and digit lanes are found with ``SWAR`` and merged with the fill. A last partial
    /// word is redone as the eight bytes ending at `end`, overlapping bytes already done
    /// (masking them again changes nothing). Each word is loaded before the previous one
    /// is stored, so no load waits on an overlapping store.
    @inlinable @inline(__always)
    func maskAlphanumerics(_ bytes: UnsafeMutableRawBufferPointer, _ start: Int, _ end: Int) {
        guard let base = bytes.baseAddress else { return }
        if end &- start < 8 {
            var i = start
            while i < end {
                let b = bytes[i]
                bytes[i] = ASCII.isAlnum(b) ? fill : b
                i &+= 1
            }
            return
        }
        let fills = SWAR.ones &* UInt64(fill)
        let lastAt = end &- 8
        var at = start
        var w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        while true {
            let nextAt = min(at &+ 8, lastAt)
            let next = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: nextAt, as: UInt64.self))
            let alnum = SWAR.between(w, 0x2F, 0x3A) | SWAR.between(w | SWAR.ones &* 0x20, 0x60, 0x7B)
            let lanes = (alnum >> 7) &* 0xFF
            base.storeBytes(of: ((w & ~lanes) | (fills & lanes)).littleEndian, toByteOffset: at, as: UInt64.self)
            if at == lastAt { return }
            at = nextAt
            w = next
        }
    }
}
