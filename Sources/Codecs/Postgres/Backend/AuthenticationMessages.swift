/// An Authentication ('R') request from the server.
public enum AuthenticationMessageView {
    case ok
    case cleartextPassword
    /// MD5 password with its 4-byte salt.
    case md5Password(salt: UInt32)
    /// SASL: NUL-terminated mechanism names followed by an empty one.
    case sasl(mechanisms: UnsafeRawBufferPointer)
    case saslContinue(data: UnsafeRawBufferPointer)
    case saslFinal(data: UnsafeRawBufferPointer)
    /// Kerberos, SCM, GSS, SSPI: methods a gateway does not perform; the code is kept.
    case unsupported(code: Int32)

    public static let okCode: Int32 = 0
    public static let cleartextPasswordCode: Int32 = 3
    public static let md5PasswordCode: Int32 = 5
    public static let saslCode: Int32 = 10
    public static let saslContinueCode: Int32 = 11
    public static let saslFinalCode: Int32 = 12

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.authentication
        var reader = WireReader(body)
        guard let code = reader.readInt32() else { throw .truncated(type: type) }
        let rest = UnsafeRawBufferPointer(rebasing: body[reader.index...])
        switch code {
        case Self.okCode, Self.cleartextPasswordCode:
            guard rest.isEmpty else { throw .trailingBytes(type: type) }
            self = code == Self.okCode ? .ok : .cleartextPassword
        case Self.md5PasswordCode:
            guard rest.count == 4 else { throw rest.count < 4 ? .truncated(type: type) : .trailingBytes(type: type) }
            self = .md5Password(salt: WireReader.loadUInt32(rest, at: 0))
        case Self.saslCode:
            var names = WireReader(rest)
            while true {
                guard let name = names.readCString() else { throw .truncated(type: type) }
                if name.isEmpty { break }
            }
            guard names.isAtEnd else { throw .trailingBytes(type: type) }
            self = .sasl(mechanisms: rest)
        case Self.saslContinueCode:
            self = .saslContinue(data: rest)
        case Self.saslFinalCode:
            self = .saslFinal(data: rest)
        default:
            self = .unsupported(code: code)
        }
    }

    /// Whether a SASL mechanism list contains `name` exactly.
    public static func mechanisms(_ list: UnsafeRawBufferPointer, contain name: StaticString) -> Bool {
        var reader = WireReader(list)
        while let mechanism = reader.readCString(), !mechanism.isEmpty {
            if mechanism.equalsASCII(name) { return true }
        }
        return false
    }
}
