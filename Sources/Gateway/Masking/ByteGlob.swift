/// A column-name glob matched against the bytes of a RowDescription field without
/// allocating: `*`, `?` (one UTF-8 scalar), `[a-z]` / `[!x]` (ASCII classes) and `\` escapes,
/// ASCII letters compared case-insensitively (column patterns are case-folded).
struct ByteGlob: Sendable, Hashable {
    enum Element: Sendable, Hashable {
        case byte(UInt8)
        case anyScalar
        case anyRun
        case set(ranges: [ClosedRange<UInt8>], negated: Bool)
    }

    let elements: [Element]
    /// The pattern as written (for the catalog query's regular expression).
    let pattern: String

    /// `pattern` must already be a valid ``GlobPattern`` (validated by the configuration).
    init(_ pattern: String) {
        self.pattern = pattern
        var elements: [Element] = []
        let bytes = Array(pattern.utf8)
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "*"):
                if elements.last != .anyRun { elements.append(.anyRun) }
                i += 1
            case UInt8(ascii: "?"):
                elements.append(.anyScalar)
                i += 1
            case UInt8(ascii: "\\") where i + 1 < bytes.count:
                elements.append(.byte(Self.fold(bytes[i + 1])))
                i += 2
            case UInt8(ascii: "["):
                var j = i + 1
                var negated = false
                if j < bytes.count, bytes[j] == UInt8(ascii: "!") || bytes[j] == UInt8(ascii: "^") {
                    negated = true
                    j += 1
                }
                var ranges: [ClosedRange<UInt8>] = []
                while j < bytes.count, bytes[j] != UInt8(ascii: "]") {
                    let first = Self.fold(bytes[j])
                    if j + 2 < bytes.count, bytes[j + 1] == UInt8(ascii: "-"), bytes[j + 2] != UInt8(ascii: "]") {
                        let last = Self.fold(bytes[j + 2])
                        ranges.append(min(first, last)...max(first, last))
                        j += 3
                    } else {
                        ranges.append(first...first)
                        j += 1
                    }
                }
                elements.append(.set(ranges: ranges, negated: negated))
                i = j + 1
            default:
                elements.append(.byte(Self.fold(bytes[i])))
                i += 1
            }
        }
        self.elements = elements
    }

    /// Whether the whole of `name` matches (iterative, single-star backtracking).
    func matches(_ name: UnsafeRawBufferPointer) -> Bool {
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < name.count {
            if p < elements.count {
                switch elements[p] {
                case .anyRun:
                    starP = p
                    starN = n
                    p += 1
                    continue
                case .anyScalar:
                    n += Self.scalarLength(name, at: n)
                    p += 1
                    continue
                case .byte(let byte) where byte == Self.fold(name[n]):
                    n += 1
                    p += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains { $0.contains(Self.fold(name[n])) } != negated:
                    n += 1
                    p += 1
                    continue
                default:
                    break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < elements.count, elements[p] == .anyRun { p += 1 }
        return p == elements.count
    }

    /// The pattern as an anchored POSIX regular expression, for PostgreSQL's `~`.
    var regularExpression: String {
        var out: [UInt8] = [UInt8(ascii: "^")]
        for element in elements {
            switch element {
            case .anyRun: out += [UInt8(ascii: "."), UInt8(ascii: "*")]
            case .anyScalar: out.append(UInt8(ascii: "."))
            case .byte(let byte): Self.appendEscaped(byte, to: &out)
            case .set(let ranges, let negated):
                out.append(UInt8(ascii: "["))
                if negated { out.append(UInt8(ascii: "^")) }
                for range in ranges {
                    Self.appendEscaped(range.lowerBound, to: &out)
                    if range.upperBound != range.lowerBound {
                        out.append(UInt8(ascii: "-"))
                        Self.appendEscaped(range.upperBound, to: &out)
                    }
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "$"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Letters, digits, `_` and non-ASCII bytes stand for themselves; every other byte is
    /// escaped with a backslash (a literal in PostgreSQL's regular expressions).
    static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        let plain = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte >= 0x80
        if !plain { out.append(UInt8(ascii: "\\")) }
        out.append(byte)
    }

    static func fold(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    static func scalarLength(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        var length = 1
        while index + length < bytes.count, bytes[index + length] & 0xC0 == 0x80 { length += 1 }
        return length
    }
}
