import Foundation

/// Splits a psql script (such as PostgreSQL's regression-suite files) into the query strings
/// psql would send to the server, independently of the classifier's own lexer.
///
/// Follows psql's scanner (`src/fe_utils/psqlscan.l`): quotes, E'' strings, dollar quotes,
/// nested comments, parentheses, the `CREATE FUNCTION ... BEGIN ... END` heuristic, `\;`
/// (a semicolon that does not send), backslash meta-commands (dropped; `\g`-style ones send
/// the buffer), and `COPY ... FROM stdin` data blocks up to `\.`.
struct PsqlScriptSplitter {
    struct Chunk {
        var text: String
        /// standard_conforming_strings as psql would have tracked it when sending this chunk.
        var standardConformingStrings: Bool
    }

    static func split(_ script: String) -> [Chunk] {
        let bytes = Array(script.utf8)
        var chunks: [Chunk] = []
        var buffer: [UInt8] = []
        var index = 0
        var parenDepth = 0
        var beginDepth = 0
        var identifierCount = 0
        var identifiers: [UInt8] = [0, 0, 0, 0]
        var scs = true

        func byte(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
        func isIdent(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80 || (b >= 0x30 && b <= 0x39) || b == 0x24
        }
        func isIdentStart(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
        }

        func send() {
            let text = String(decoding: buffer, as: UTF8.self)
            buffer.removeAll(keepingCapacity: true)
            parenDepth = 0
            beginDepth = 0
            identifierCount = 0
            guard hasSignificantText(text) else { return }
            chunks.append(Chunk(text: text, standardConformingStrings: scs))
            let lower = text.lowercased()
            if let setting = scsSetting(lower) { scs = setting }
            // COPY ... FROM stdin: skip the data lines up to "\.".
            var stripped = lower
            while let range = stripped.range(of: #"--[^\n]*"#, options: .regularExpression) { stripped.removeSubrange(range) }
            if stripped.range(of: #"^\s*copy\b[\s\S]*\bfrom\s+stdin\b"#, options: .regularExpression) != nil {
                // Move to the start of the next line.
                while index < bytes.count && bytes[index] != 0x0A { index += 1 }
                index += 1
                while index < bytes.count {
                    var end = index
                    while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                    let line = bytes[index..<end]
                    index = end + 1
                    if line.elementsEqual([0x5C, 0x2E]) || line.elementsEqual([0x5C, 0x2E, 0x0D]) { break }
                }
                index -= 1  // the main loop advances past the newline
            }
        }

        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case 0x2D where byte(index + 1) == 0x2D:  // -- comment
                while index < bytes.count && bytes[index] != 0x0A { buffer.append(bytes[index]); index += 1 }
                continue
            case 0x2F where byte(index + 1) == 0x2A:  // /* comment */, nested
                var depth = 0
                while index < bytes.count {
                    if bytes[index] == 0x2F && byte(index + 1) == 0x2A {
                        depth += 1; buffer.append(contentsOf: [0x2F, 0x2A]); index += 2
                    } else if bytes[index] == 0x2A && byte(index + 1) == 0x2F {
                        depth -= 1; buffer.append(contentsOf: [0x2A, 0x2F]); index += 2
                        if depth == 0 { break }
                    } else {
                        buffer.append(bytes[index]); index += 1
                    }
                }
                continue
            case 0x27:  // '...'
                let previous = buffer.last ?? 0
                let beforePrevious = buffer.count >= 2 ? buffer[buffer.count - 2] : 0
                let escape = !scs || ((previous | 0x20) == 0x65 && !isIdent(beforePrevious))
                buffer.append(b); index += 1
                while index < bytes.count {
                    let c = bytes[index]
                    buffer.append(c); index += 1
                    if c == 0x5C && escape && index < bytes.count { buffer.append(bytes[index]); index += 1; continue }
                    if c == 0x27 {
                        if byte(index) == 0x27 { buffer.append(0x27); index += 1; continue }
                        break
                    }
                }
                continue
            case 0x22:  // "..."
                buffer.append(b); index += 1
                while index < bytes.count {
                    let c = bytes[index]
                    buffer.append(c); index += 1
                    if c == 0x22 {
                        if byte(index) == 0x22 { buffer.append(0x22); index += 1; continue }
                        break
                    }
                }
                continue
            case 0x24 where !isIdent(buffer.last ?? 0):  // $tag$...$tag$
                var end = index + 1
                if isIdentStart(byte(end)) {
                    end += 1
                    while isIdentStart(byte(end)) || (byte(end) >= 0x30 && byte(end) <= 0x39) { end += 1 }
                }
                if byte(end) == 0x24 {
                    let delimiter = Array(bytes[index...end])
                    buffer.append(contentsOf: delimiter)
                    index = end + 1
                    while index < bytes.count {
                        if bytes[index] == 0x24 && bytes.count - index >= delimiter.count
                            && Array(bytes[index..<(index + delimiter.count)]) == delimiter {
                            buffer.append(contentsOf: delimiter)
                            index += delimiter.count
                            break
                        }
                        buffer.append(bytes[index]); index += 1
                    }
                    continue
                }
                buffer.append(b); index += 1
                continue
            case 0x28:
                parenDepth += 1
            case 0x29:
                if parenDepth > 0 { parenDepth -= 1 }
            case 0x3B:  // ;
                buffer.append(b); index += 1
                if parenDepth == 0 && beginDepth == 0 { send() }
                continue
            case 0x5C:  // backslash command
                if byte(index + 1) == 0x3B {  // \; : a semicolon that does not send
                    buffer.append(0x3B); index += 2
                    continue
                }
                var end = index + 1
                while end < bytes.count && isIdentStart(bytes[end]) { end += 1 }
                let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                while index < bytes.count && bytes[index] != 0x0A {
                    if bytes[index] == 0x5C && byte(index + 1) == 0x5C && index > end { break }
                    index += 1
                }
                if ["g", "gx", "gset", "gexec", "gdesc", "crosstabview", "watch"].contains(name) { send() }
                continue
            default:
                if isIdentStart(b) {
                    var end = index
                    while end < bytes.count && isIdent(bytes[end]) { end += 1 }
                    let word = String(decoding: bytes[index..<end], as: UTF8.self).lowercased()
                    if identifierCount == 0 { identifiers = [0, 0, 0, 0] }
                    if ["create", "function", "procedure", "or", "replace"].contains(word), identifierCount < 4 {
                        identifiers[identifierCount] = word.utf8.first ?? 0
                    }
                    identifierCount += 1
                    let c = UInt8(ascii: "c"), f = UInt8(ascii: "f"), p = UInt8(ascii: "p"), o = UInt8(ascii: "o"), r = UInt8(ascii: "r")
                    if identifiers[0] == c && (identifiers[1] == f || identifiers[1] == p
                        || (identifiers[1] == o && identifiers[2] == r && (identifiers[3] == f || identifiers[3] == p)))
                        && parenDepth == 0 {
                        if word == "begin" { beginDepth += 1 }
                        else if word == "case" { if beginDepth >= 1 { beginDepth += 1 } }
                        else if word == "end" { if beginDepth > 0 { beginDepth -= 1 } }
                    }
                    buffer.append(contentsOf: bytes[index..<end])
                    index = end
                    continue
                }
            }
            buffer.append(b)
            index += 1
        }
        send()
        return chunks
    }

    static func hasSignificantText(_ text: String) -> Bool {
        var copy = text
        // Strip comments and white space crudely: anything else is significant.
        while let range = copy.range(of: #"--[^\n]*"#, options: .regularExpression) { copy.removeSubrange(range) }
        return copy.contains { !$0.isWhitespace && $0 != ";" }
    }

    /// The standard_conforming_strings value a SET/RESET chunk leaves, if it changes it.
    static func scsSetting(_ lower: String) -> Bool? {
        if lower.range(of: #"(set|reset)\s+(session\s+|local\s+)?standard_conforming_strings"#, options: .regularExpression) == nil {
            return nil
        }
        if lower.range(of: #"standard_conforming_strings\s*(=|to)\s*'?(off|false|0)"#, options: .regularExpression) != nil {
            return false
        }
        return true
    }
}
