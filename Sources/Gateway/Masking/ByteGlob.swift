/// A column-name glob matched against the bytes of a RowDescription field without
/// allocating: the elements of a ``GlobPattern`` (the configuration's syntax, parsed there)
/// turned into bytes. `?` matches one UTF-8 scalar, classes match ASCII bytes, and ASCII
/// letters compare case-insensitively (column patterns are case-folded).
struct ByteGlob: Sendable, Hashable {
    enum Element: Sendable, Hashable {
        case byte(UInt8)
        case anyScalar
        case anyRun
        case set(ranges: [ClosedRange<UInt8>], negated: Bool)
    }

    let elements: [Element]

    /// `pattern` was validated as a ``GlobPattern`` by the configuration; an invalid one
    /// matches only the empty name.
    init(_ pattern: String) {
        var elements: [Element] = []
        for element in (try? GlobPattern(pattern))?.elements ?? [] {
            switch element {
            case .literal(let scalar):
                for byte in String(scalar).utf8 { elements.append(.byte(Self.fold(byte))) }
            case .any:
                elements.append(.anyScalar)
            case .anyRun:
                elements.append(.anyRun)
            case .set(let ranges, let negated):
                let ascii = ranges.compactMap { range -> ClosedRange<UInt8>? in
                    guard range.lowerBound.value < 0x80 else { return nil }
                    let low = Self.fold(UInt8(range.lowerBound.value))
                    let high = Self.fold(UInt8(min(range.upperBound.value, 0x7F)))
                    return min(low, high)...max(low, high)
                }
                elements.append(.set(ranges: ascii, negated: negated))
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
