/// How a masker overwrites a sensitive value. Masking never changes a value's length,
/// so framing around the value (a PostgreSQL DataRow cell, a JSON string) stays valid.
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

    /// The byte every masked byte becomes.
    public let maskByte: UInt8
    /// Whether the last four letters or digits stay readable.
    ///
    /// When set, bytes that are neither letters nor digits (separators such as space,
    /// `-`, `.`, `:` and `@`) are also kept, so `4111 1111 1111 1111` becomes
    /// `**** **** **** 1111` and `078-05-1120`-style layouts stay recognisable. Without
    /// it every byte of the value, separators included, becomes ``maskByte``.
    public let keepsLastFour: Bool

    /// A style with a custom mask character.
    /// - Throws: ``Error/unsupportedMaskCharacter`` unless `maskCharacter` is printable
    ///   ASCII other than `'`, `"` and `\`.
    public init(maskCharacter: Character = "*", keepLastFour: Bool = false) throws(Error) {
        guard let ascii = maskCharacter.asciiValue, ascii > 0x20, ascii < 0x7F,
              ascii != 0x22, ascii != 0x27, ascii != 0x5C
        else { throw .unsupportedMaskCharacter }
        self.maskByte = ascii
        self.keepsLastFour = keepLastFour
    }

    @usableFromInline
    init(uncheckedMaskByte maskByte: UInt8, keepLastFour: Bool) {
        self.maskByte = maskByte
        self.keepsLastFour = keepLastFour
    }

    /// Every byte becomes `*`.
    public static let fixed = MaskStyle(uncheckedMaskByte: 0x2A, keepLastFour: false)
    /// All but the last four letters or digits become `*`; separators stay.
    public static let keepLastFour = MaskStyle(uncheckedMaskByte: 0x2A, keepLastFour: true)

    /// Overwrites `bytes[start..<end]` in place.
    @inlinable
    public func apply(to bytes: UnsafeMutableRawBufferPointer, _ start: Int, _ end: Int) {
        guard start >= 0, end <= bytes.count, start < end else { return }
        if !keepsLastFour {
            var i = start
            while i < end {
                bytes[i] = maskByte
                i &+= 1
            }
            return
        }
        var kept = 0
        var i = end
        while i > start {
            i &-= 1
            let b = bytes[i]
            guard ASCII.isAlnum(b) else { continue }
            if kept < 4 {
                kept &+= 1
            } else {
                bytes[i] = maskByte
            }
        }
    }
}
