import Codecs

/// Why the gateway's own login to the upstream PostgreSQL server failed.
///
/// Safe to log and to show the client: no case and no text carries the upstream password,
/// a SCRAM proof or key, or any other secret. The server's own error text is kept (it names
/// the problem, e.g. `password authentication failed for user "app"`), reduced to one
/// bounded line without control characters, with any occurrence of the password replaced by `***` in case a server
/// ever echoes it.
public struct PostgresLoginError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The server answered the login with an ErrorResponse (see ``serverSQLState``).
        case serverRejected
        /// The server asked for a password, but no password is configured for the resource.
        case passwordRequired
        /// The server asked for an authentication method the gateway does not perform
        /// (Kerberos, GSSAPI, SSPI, ...); the protocol code is kept.
        case unsupportedMethod(code: Int32)
        /// The server offers SASL, but only `SCRAM-SHA-256-PLUS` (channel binding), which a
        /// gateway that is not the TLS endpoint of the client cannot do.
        case channelBindingRequired
        /// The server offers SASL without any SCRAM-SHA-256 mechanism.
        case saslMechanismNotOffered
        /// The SCRAM exchange failed (bad server messages, wrong server signature, ...).
        case scram(SCRAMError)
        /// The server sent a message that is malformed or not expected during login.
        case protocolViolation(type: UInt8)
        /// The caller drove the state machine out of order (a gateway bug, not the server's).
        case outOfOrder
    }

    public var kind: Kind
    /// The server's SQLSTATE when it answered with an ErrorResponse (e.g. `28P01`).
    public var serverSQLState: String?
    /// The server's message (sanitized, password removed) when it answered with an ErrorResponse.
    public var serverMessage: String?

    public init(_ kind: Kind, serverSQLState: String? = nil, serverMessage: String? = nil) {
        self.kind = kind
        self.serverSQLState = serverSQLState
        self.serverMessage = serverMessage
    }

    /// The SQLSTATE to send the client in the gateway's own ErrorResponse: `08P01`
    /// (protocol_violation) when the upstream broke the protocol, else `08004`
    /// (sqlserver_rejected_establishment_of_sqlconnection).
    public var clientSQLState: StaticString {
        switch kind {
        case .protocolViolation: "08P01"
        default: "08004"
        }
    }

    /// The message for the client's ErrorResponse: `upstream login failed: ...`.
    public var clientMessage: String { "upstream login failed: " + detail }

    /// The same as ``clientMessage``.
    public var description: String { clientMessage }

    /// The part after `upstream login failed: `.
    public var detail: String {
        switch kind {
        case .serverRejected:
            let state = serverSQLState ?? "?????"
            if let serverMessage, !serverMessage.isEmpty { return "\(state) \(serverMessage)" }
            return state
        case .passwordRequired:
            return "the server asks for a password and none is configured"
        case .unsupportedMethod(let code):
            return "the server asks for an unsupported authentication method (code \(code))"
        case .channelBindingRequired:
            return "the server offers only SCRAM-SHA-256-PLUS (channel binding), which the gateway cannot use"
        case .saslMechanismNotOffered:
            return "the server offers no SCRAM-SHA-256 SASL mechanism"
        case .scram(let error):
            switch error {
            case .serverSignatureMismatch: return "SCRAM server signature mismatch (the server does not know the password)"
            case .serverRejected: return "the server rejected the SCRAM proof"
            case .iterationCountTooLow(let n): return "SCRAM iteration count \(n) is below the minimum"
            case .iterationCountTooHigh(let n): return "SCRAM iteration count \(n) is above the maximum"
            case .nonceMismatch: return "SCRAM server nonce does not extend the client nonce"
            case .invalidServerFirst: return "malformed SCRAM server-first message"
            case .invalidServerFinal: return "malformed SCRAM server-final message"
            case .mechanismNotOffered: return "the server offers no SCRAM-SHA-256 SASL mechanism"
            case .outOfOrder: return "SCRAM exchange out of order"
            }
        case .protocolViolation(let type):
            return "protocol violation by the server (message \(Self.typeName(type)))"
        case .outOfOrder:
            return "login state machine used out of order"
        }
    }

    static func typeName(_ type: UInt8) -> String {
        type >= 0x21 && type < 0x7F ? "'\(Character(Unicode.Scalar(type)))'" : "0x\(String(type, radix: 16))"
    }

    /// A sanitized copy of server text with every occurrence of `password` replaced.
    static func scrub(_ bytes: UnsafeRawBufferPointer?, password: [UInt8]?) -> String? {
        guard let bytes else { return nil }
        var text = Array(bytes)
        if let password, !password.isEmpty, text.count >= password.count {
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            var i = 0
            while i < text.count {
                if i + password.count <= text.count, text[i..<(i + password.count)].elementsEqual(password) {
                    out += Array("***".utf8)
                    i += password.count
                } else {
                    out.append(text[i])
                    i += 1
                }
            }
            text = out
        }
        return oneLine(String(decoding: text, as: UTF8.self))
    }

    /// Server text as one bounded line: control characters become `?`; at most `limit` characters.
    static func oneLine(_ text: String, limit: Int = 240) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "..."
                break
            }
            let value = scalar.value
            out.unicodeScalars.append(value < 0x20 || (value >= 0x7F && value < 0xA0) ? "?" : scalar)
            count += 1
        }
        return out
    }
}
