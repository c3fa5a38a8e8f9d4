/// A compact-serialized JWS split into its parts, with header and claims decoded but nothing
/// verified yet.
///
/// Parsing is bounded: the size limit is checked on the raw bytes before any splitting or
/// decoding, so an oversized token costs nothing but a length comparison.
struct CompactJWT: Sendable {
    /// The default limit on a token's length in bytes.
    static let defaultMaximumSize = 8 * 1024

    /// The header's `alg`, exactly as sent.
    let algorithm: String
    /// The header's `kid`, if any.
    let keyID: String?
    /// The decoded claims object.
    let claims: [String: JSONValue]
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    let signingInput: [UInt8]
    /// The decoded signature.
    let signature: [UInt8]

    /// Splits and decodes `token`.
    init(parsing token: String, maximumSize: Int = CompactJWT.defaultMaximumSize) throws(AuthenticationFailure) {
        let utf8 = token.utf8
        guard utf8.count <= maximumSize else {
            throw AuthenticationFailure(.tooLarge, "token is \(utf8.count) bytes, limit \(maximumSize)")
        }
        let bytes = Array(utf8)
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            throw AuthenticationFailure(.malformed, "expected 3 segments, found \(segments.count)")
        }
        guard let headerBytes = Base64URL.decode(segments[0]) else {
            throw AuthenticationFailure(.malformed, "header is not base64url")
        }
        guard let payloadBytes = Base64URL.decode(segments[1]) else {
            throw AuthenticationFailure(.malformed, "payload is not base64url")
        }
        guard let signature = Base64URL.decode(segments[2]) else {
            throw AuthenticationFailure(.malformed, "signature is not base64url")
        }
        guard let header = JSONValue.decodeObject(headerBytes) else {
            throw AuthenticationFailure(.malformed, "header is not a JSON object")
        }
        guard let claims = JSONValue.decodeObject(payloadBytes) else {
            throw AuthenticationFailure(.malformed, "payload is not a JSON object")
        }
        guard let algorithm = header["alg"]?.stringValue else {
            throw AuthenticationFailure(.malformed, "header has no alg")
        }
        // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
        guard header["crit"] == nil else {
            throw AuthenticationFailure(.malformed, "header has crit extensions")
        }
        // Header-carried keys must never be trusted: the key comes from our key set only.
        for member in ["jwk", "jku", "x5u", "x5c"] where header[member] != nil {
            throw AuthenticationFailure(.malformed, "header carries \(member)")
        }
        let keyID: String?
        switch header["kid"] {
        case nil: keyID = nil
        case .string(let value)?: keyID = value
        default: throw AuthenticationFailure(.malformed, "kid is not a string")
        }
        self.algorithm = algorithm
        self.keyID = keyID
        self.claims = claims
        self.signingInput = Array(bytes[..<segments[1].endIndex])
        self.signature = signature
    }
}
