import Codecs

/// Interned SQL identifiers (schema and relation names, already folded), with a lookup from
/// raw statement bytes that allocates nothing.
///
/// Open addressing over an FNV-1a hash of the identifier's logical bytes: unquoted bytes are
/// folded to lower case (ASCII, as PostgreSQL does in UTF-8), quoted bytes are taken as they
/// are with `""` collapsed to `"`.
struct IdentifierTable: Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var slots: [Int32] = []
    private var mask = 0
    private(set) var names: [String] = []

    init(_ identifiers: some Sequence<String>) {
        var unique: [String] = []
        var seen: Set<String> = []
        for identifier in identifiers where seen.insert(identifier).inserted { unique.append(identifier) }
        var capacity = 8
        while capacity < unique.count * 2 { capacity <<= 1 }
        slots = Array(repeating: -1, count: capacity)
        mask = capacity - 1
        for identifier in unique {
            let id = Int32(names.count)
            names.append(identifier)
            let utf8 = Array(identifier.utf8)
            starts.append(Int32(bytes.count))
            lengths.append(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
            var slot = Int(truncatingIfNeeded: Self.hash(exact: utf8)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = id
        }
    }

    var count: Int { names.count }

    /// The id of an identifier already folded (configuration side).
    func id(of identifier: String) -> Int32? {
        let utf8 = Array(identifier.utf8)
        return utf8.withUnsafeBytes { raw in lookup(raw, quoted: true, collapseQuotes: false) }
    }

    private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    private static func hash(exact bytes: [UInt8]) -> UInt64 {
        var h = offsetBasis
        for byte in bytes { h = (h ^ UInt64(byte)) &* prime }
        return h
    }

    /// The id of the identifier spelled by `raw` in a statement, or `nil` if no rule names it.
    ///
    /// - Parameters:
    ///   - quoted: the identifier was written in double quotes (no folding; `""` means `"`).
    func lookup(_ raw: UnsafeRawBufferPointer, quoted: Bool, collapseQuotes: Bool = true) -> Int32? {
        guard !slots.isEmpty else { return nil }
        var h = Self.offsetBasis
        var logicalLength = 0
        Self.forEachLogicalByte(raw, quoted: quoted, collapseQuotes: collapseQuotes) { byte in
            h = (h ^ UInt64(byte)) &* Self.prime
            logicalLength &+= 1
        }
        var slot = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slotBuffer in
            bytes.withUnsafeBufferPointer { stored in
                while true {
                    let candidate = slotBuffer[slot]
                    if candidate < 0 { return nil }
                    let index = Int(candidate)
                    if Int(lengths[index]) == logicalLength,
                        Self.equal(raw, quoted: quoted, collapseQuotes: collapseQuotes, stored, start: Int(starts[index]))
                    {
                        return candidate
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    @inline(__always)
    private static func forEachLogicalByte(
        _ raw: UnsafeRawBufferPointer, quoted: Bool, collapseQuotes: Bool, _ body: (UInt8) -> Void
    ) {
        var index = 0
        let count = raw.count
        while index < count {
            var byte = raw[index]
            if quoted {
                if collapseQuotes, byte == 0x22, index + 1 < count, raw[index + 1] == 0x22 { index += 1 }
            } else if byte >= 0x41, byte <= 0x5A {
                byte |= 0x20
            }
            body(byte)
            index += 1
        }
    }

    private static func equal(
        _ raw: UnsafeRawBufferPointer, quoted: Bool, collapseQuotes: Bool, _ stored: UnsafeBufferPointer<UInt8>, start: Int
    ) -> Bool {
        var position = start
        var same = true
        forEachLogicalByte(raw, quoted: quoted, collapseQuotes: collapseQuotes) { byte in
            if same, stored[position] != byte { same = false }
            position &+= 1
        }
        return same
    }
}
