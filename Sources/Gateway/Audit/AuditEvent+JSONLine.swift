extension AuditEvent {
    /// Appends the event as one JSON object with sorted keys and a newline: the same text
    /// `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` produces, written
    /// directly (encoding audit lines through `JSONEncoder` cost more CPU than the statements
    /// they describe).
    public func appendJSONLine(to out: inout [UInt8]) {
        var writer = JSONObjectWriter(out: out)
        // Keys in sorted order.
        writer.string("action", action)
        writer.uint("bytes", bytes)
        writer.uint("bytes_in", bytesIn)
        writer.uint("bytes_out", bytesOut)
        writer.strings("classes", classes)
        writer.string("client_address", clientAddress)
        writer.string("close_reason", closeReason)
        writer.string("database", database)
        writer.double("duration_ms", durationMilliseconds)
        writer.string("grant", grant)
        writer.strings("groups", groups)
        writer.string("identity", identity)
        writer.string("kind", kind.rawValue)
        writer.string("message", message)
        writer.string("policy_version", policyVersion)
        writer.string("reason", reason)
        writer.uint("records", records)
        writer.strings("relations", relations)
        writer.string("resource", resource)
        writer.uint("rows", rows)
        writer.string("rule", rule)
        writer.uint("session_id", sessionID)
        writer.int("time_ms", timeMilliseconds)
        writer.string("upstream_user", upstreamUser)
        out = writer.finish()
    }
}

/// Writes one flat JSON object (strings, integers, doubles, arrays of strings).
struct JSONObjectWriter {
    private var out: [UInt8]
    private var first = true

    init(out: [UInt8]) {
        self.out = out
        self.out.append(UInt8(ascii: "{"))
    }

    mutating func finish() -> [UInt8] {
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
        return out
    }

    private mutating func key(_ name: StaticString) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        quoted(value)
    }

    mutating func strings(_ name: StaticString, _ values: [String]?) {
        guard let values else { return }
        key(name)
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            quoted(value)
        }
        out.append(UInt8(ascii: "]"))
    }

    mutating func uint(_ name: StaticString, _ value: UInt64?) {
        guard let value else { return }
        key(name)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func int(_ name: StaticString, _ value: Int64) {
        key(name)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func double(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        if value.isFinite {
            // Integral values print without a fraction, as JSONEncoder does.
            if value == value.rounded(), abs(value) < 1e15 {
                out.append(contentsOf: String(Int64(value)).utf8)
            } else {
                out.append(contentsOf: "\(value)".utf8)
            }
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped; '/' and non-ASCII kept.
    private mutating func quoted(_ value: String) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            // Most values need no escape: one append instead of one per byte.
            if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
