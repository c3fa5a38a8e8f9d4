/// Detects identifiers written with Unicode escapes (`U&"\0068r"`, `U&"h!0072" UESCAPE '!'`).
///
/// Policy compares relation and function names by their bytes in the statement; an escaped
/// identifier spells a name with other bytes, so a statement holding one is treated as opaque
/// (fail closed) instead of being matched by what its bytes happen to say. `U&"..."` without
/// escapes is an ordinary quoted identifier and is not reported.
public enum SQLUnicodeIdentifiers {
    /// True when `text` holds a `U&"..."` identifier that uses an escape (a backslash, or a
    /// UESCAPE clause). A match inside a string literal or comment is reported too (fail closed).
    public static func containsEscapedIdentifier(_ text: UnsafeRawBufferPointer) -> Bool {
        let count = text.count
        var index = 1
        while index + 1 < count {
            guard text[index] == UInt8(ascii: "&"), text[index + 1] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            let u = text[index - 1]
            guard u == UInt8(ascii: "U") || u == UInt8(ascii: "u") else {
                index += 1
                continue
            }
            // The quoted body ("" is a quote inside it).
            var cursor = index + 2
            var escaped = false
            while cursor < count {
                let byte = text[cursor]
                if byte == UInt8(ascii: "\"") {
                    if cursor + 1 < count && text[cursor + 1] == UInt8(ascii: "\"") {
                        cursor += 2
                        continue
                    }
                    break
                }
                if byte == UInt8(ascii: "\\") { escaped = true }
                cursor += 1
            }
            if escaped { return true }
            // A UESCAPE clause may follow the closing quote.
            var next = cursor + 1
            while next < count, text[next] == 0x20 || text[next] == 0x09 || text[next] == 0x0A || text[next] == 0x0D { next += 1 }
            if next + 7 <= count {
                let word = text[next..<(next + 7)]
                if word.elementsEqual("UESCAPE".utf8, by: { ($0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0) == $1 }) { return true }
            }
            index = cursor + 1
        }
        return false
    }
}
