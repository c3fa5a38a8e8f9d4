/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it, for the
/// gateway logging in upstream with credentials it holds.
///
/// A value-type state machine: it produces the messages to send and checks what the
/// server answers; the caller does the I/O (wrapping them in SASLInitialResponse /
/// SASLResponse) and supplies the hash functions.
///
/// ```
/// initial ──clientFirstMessage()──▶ awaitingServerFirst ──receive(serverFirst:)──▶
/// awaitingServerFinal ──receive(serverFinal:)──▶ authenticated
/// ```
/// Channel binding is not offered (GS2 header `n,,`) and `SCRAM-SHA-256-PLUS` is never
/// chosen. The password is used as given; it is not SASLprep-normalized (identical for
/// ASCII passwords; PostgreSQL itself falls back to the raw bytes when SASLprep fails).
public struct SCRAMSHA256Client<Primitives: PostgresAuthPrimitives> {
    public enum State: Sendable, Hashable {
        case initial, awaitingServerFirst, awaitingServerFinal, authenticated, failed
    }

    /// The mechanism name sent in SASLInitialResponse.
    public static var mechanism: StaticString { "SCRAM-SHA-256" }

    public private(set) var state: State = .initial
    /// Iteration counts accepted from the server.
    public let iterationRange: ClosedRange<Int>
    let primitives: Primitives
    let username: [UInt8]
    let password: [UInt8]
    let clientNonce: [UInt8]
    var clientFirstBare: [UInt8] = []
    var expectedServerSignature: [UInt8] = []

    /// - Parameters:
    ///   - username: sent in `n=`; PostgreSQL ignores it (the StartupMessage's user counts),
    ///     so it is usually empty.
    ///   - clientNonce: printable ASCII without `,`; use `randomNonce()`.
    ///   - iterationRange: the server's `i=` must fall inside (RFC 7677 requires ≥ 4096).
    public init(username: [UInt8] = [], password: [UInt8], clientNonce: [UInt8], primitives: Primitives,
                iterationRange: ClosedRange<Int> = 4096...1_000_000) {
        self.username = username
        self.password = password
        self.clientNonce = clientNonce
        self.primitives = primitives
        self.iterationRange = iterationRange
    }

    /// 18 random bytes from the system generator, base64 encoded (24 characters).
    public static func randomNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<18).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Checks that an AuthenticationSASL mechanism list offers plain SCRAM-SHA-256.
    public static func checkOffered(in mechanisms: UnsafeRawBufferPointer) throws(SCRAMError) {
        guard AuthenticationMessageView.mechanisms(mechanisms, contain: "SCRAM-SHA-256") else {
            throw .mechanismNotOffered
        }
    }

    /// The client-first message (`n,,n=user,r=nonce`) for SASLInitialResponse.
    public mutating func clientFirstMessage() throws(SCRAMError) -> [UInt8] {
        guard state == .initial else { throw .outOfOrder }
        var bare = Array("n=".utf8)
        for byte in username {
            switch byte {
            case UInt8(ascii: "="): bare += Array("=3D".utf8)
            case UInt8(ascii: ","): bare += Array("=2C".utf8)
            default: bare.append(byte)
            }
        }
        bare += Array(",r=".utf8) + clientNonce
        clientFirstBare = bare
        state = .awaitingServerFirst
        return Array("n,,".utf8) + bare
    }

    /// Parses the server-first message (AuthenticationSASLContinue data) and returns the
    /// client-final message with the proof, for SASLResponse.
    public mutating func receive(serverFirst: [UInt8]) throws(SCRAMError) -> [UInt8] {
        guard state == .awaitingServerFirst else { throw .outOfOrder }
        state = .failed
        let attributes = serverFirst.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard attributes.count >= 3 else { throw .invalidServerFirst }
        guard let nonce = Self.value(attributes[0], key: "r"), let saltText = Self.value(attributes[1], key: "s"),
              let iterationText = Self.value(attributes[2], key: "i") else { throw .invalidServerFirst }
        guard nonce.count > clientNonce.count, nonce.starts(with: clientNonce),
              nonce.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .nonceMismatch }
        guard let salt = Base64.decode(saltText), !salt.isEmpty else { throw .invalidServerFirst }
        guard !iterationText.isEmpty, iterationText.count <= 10,
              iterationText.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .invalidServerFirst
        }
        let iterations = iterationText.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard iterations >= iterationRange.lowerBound else { throw .iterationCountTooLow(iterations) }
        guard iterations <= iterationRange.upperBound else { throw .iterationCountTooHigh(iterations) }

        let withoutProof = Array("c=biws,r=".utf8) + nonce
        let authMessage = clientFirstBare + [UInt8(ascii: ",")] + serverFirst + [UInt8(ascii: ",")] + withoutProof
        let saltedPassword = primitives.pbkdf2SHA256(password: password, salt: salt, iterations: iterations)
        let clientKey = primitives.hmacSHA256(key: saltedPassword, message: Array("Client Key".utf8))
        let storedKey = primitives.sha256(clientKey)
        let clientSignature = primitives.hmacSHA256(key: storedKey, message: authMessage)
        var proof = clientKey
        for i in 0..<min(proof.count, clientSignature.count) { proof[i] ^= clientSignature[i] }
        let serverKey = primitives.hmacSHA256(key: saltedPassword, message: Array("Server Key".utf8))
        expectedServerSignature = primitives.hmacSHA256(key: serverKey, message: authMessage)
        state = .awaitingServerFinal
        return withoutProof + Array(",p=".utf8) + Base64.encode(proof)
    }

    /// Verifies the server-final message (AuthenticationSASLFinal data).
    public mutating func receive(serverFinal: [UInt8]) throws(SCRAMError) {
        guard state == .awaitingServerFinal else { throw .outOfOrder }
        state = .failed
        let first = serverFinal.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).first ?? []
        if Self.value(first, key: "e") != nil { throw .serverRejected }
        guard let signatureText = Self.value(first, key: "v"), let signature = Base64.decode(signatureText) else {
            throw .invalidServerFinal
        }
        guard signature.count == expectedServerSignature.count else { throw .serverSignatureMismatch }
        var difference: UInt8 = 0
        for i in 0..<signature.count { difference |= signature[i] ^ expectedServerSignature[i] }
        guard difference == 0 else { throw .serverSignatureMismatch }
        state = .authenticated
    }

    /// The value of `key=value`, or nil when the attribute has another key.
    static func value(_ attribute: ArraySlice<UInt8>, key: Unicode.Scalar) -> ArraySlice<UInt8>? {
        guard attribute.count >= 2, attribute[attribute.startIndex] == UInt8(ascii: key),
              attribute[attribute.startIndex + 1] == UInt8(ascii: "=") else { return nil }
        return attribute.dropFirst(2)
    }
}
