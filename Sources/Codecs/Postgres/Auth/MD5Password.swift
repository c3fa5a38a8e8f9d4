/// PostgreSQL's legacy `md5` password response:
/// `"md5" + hex(md5(hex(md5(password + user)) + salt))`.
public enum MD5Password {
    public static func response<Primitives: PostgresAuthPrimitives>(
        user: [UInt8], password: [UInt8], salt: UInt32, primitives: Primitives
    ) -> [UInt8] {
        let inner = hex(primitives.md5(password + user))
        let saltBytes: [UInt8] = [UInt8(truncatingIfNeeded: salt >> 24), UInt8(truncatingIfNeeded: salt >> 16),
                                  UInt8(truncatingIfNeeded: salt >> 8), UInt8(truncatingIfNeeded: salt)]
        return Array("md5".utf8) + hex(primitives.md5(inner + saltBytes))
    }

    /// Lower-case hexadecimal digits of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return out
    }
}
