import Codecs
import Gateway
import Testing

/// Uses swift-crypto's SHA-256/HMAC/MD5 but Codecs' generic PBKDF2 (the protocol default).
struct DefaultPBKDF2Primitives: PostgresAuthPrimitives {
    let base = SwiftCryptoAuthPrimitives()
    func sha256(_ data: [UInt8]) -> [UInt8] { base.sha256(data) }
    func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] { base.hmacSHA256(key: key, message: message) }
    func md5(_ data: [UInt8]) -> [UInt8] { base.md5(data) }
}

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }
private func s(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

@Suite struct SCRAMClientTests {
    // RFC 7677 §3.
    static let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    static let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    func client<P: PostgresAuthPrimitives>(_ primitives: P, range: ClosedRange<Int> = 4096...1_000_000) -> SCRAMSHA256Client<P> {
        SCRAMSHA256Client(username: b("user"), password: b("pencil"), clientNonce: b(Self.clientNonce), primitives: primitives, iterationRange: range)
    }

    func runVector<P: PostgresAuthPrimitives>(_ primitives: P) throws {
        var scram = client(primitives)
        #expect(s(try scram.clientFirstMessage()) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        #expect(s(try scram.receive(serverFirst: b(Self.serverFirst))) == Self.clientFinal)
        try scram.receive(serverFinal: b(Self.serverFinal))
        #expect(scram.state == .authenticated)
    }

    @Test func rfc7677TestVector() throws {
        try runVector(SwiftCryptoAuthPrimitives())
        try runVector(DefaultPBKDF2Primitives())
    }

    @Test func pbkdf2Vectors() {
        let crypto = SwiftCryptoAuthPrimitives()
        let generic = DefaultPBKDF2Primitives()
        for primitives in [crypto.pbkdf2SHA256, generic.pbkdf2SHA256] as [([UInt8], [UInt8], Int) -> [UInt8]] {
            #expect(s(MD5Password.hex(primitives(b("password"), b("salt"), 1))) == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
            #expect(s(MD5Password.hex(primitives(b("password"), b("salt"), 4096))) == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        }
    }

    @Test func aServerThatDoesNotKnowThePasswordIsRejected() throws {
        var scram = client(SwiftCryptoAuthPrimitives())
        _ = try scram.clientFirstMessage()
        _ = try scram.receive(serverFirst: b(Self.serverFirst))
        #expect(throws: SCRAMError.serverSignatureMismatch) {
            try scram.receive(serverFinal: b("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        }
        #expect(scram.state == .failed)
        var rejected = client(SwiftCryptoAuthPrimitives())
        _ = try rejected.clientFirstMessage()
        _ = try rejected.receive(serverFirst: b(Self.serverFirst))
        #expect(throws: SCRAMError.serverRejected) { try rejected.receive(serverFinal: b("e=invalid-proof")) }
    }

    @Test func malformedOrHostileServerFirstMessages() throws {
        let cases: [(String, SCRAMError)] = [
            ("r=someoneElsesNonce123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", .nonceMismatch),
            ("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", .nonceMismatch),  // not extended
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000", .iterationCountTooLow(1000)),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2000000", .iterationCountTooHigh(2_000_000)),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=not*base64,i=4096", .invalidServerFirst),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-5", .invalidServerFirst),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999", .invalidServerFirst),
            ("m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", .invalidServerFirst),
            ("s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOxyz,i=4096", .invalidServerFirst),
            ("r=rOprNGfwEbeRWgbNEkqOxyz", .invalidServerFirst),
            ("", .invalidServerFirst),
        ]
        for (message, expected) in cases {
            var scram = client(SwiftCryptoAuthPrimitives())
            _ = try scram.clientFirstMessage()
            #expect(throws: expected) { _ = try scram.receive(serverFirst: b(message)) }
            #expect(scram.state == .failed)
        }
    }

    @Test func stepsOutOfOrderAreRefused() throws {
        var scram = client(SwiftCryptoAuthPrimitives())
        #expect(throws: SCRAMError.outOfOrder) { _ = try scram.receive(serverFirst: b(Self.serverFirst)) }
        #expect(throws: SCRAMError.outOfOrder) { try scram.receive(serverFinal: b(Self.serverFinal)) }
        _ = try scram.clientFirstMessage()
        #expect(throws: SCRAMError.outOfOrder) { _ = try scram.clientFirstMessage() }
    }

    @Test func channelBindingIsNeverChosen() throws {
        let plusOnly = Array("SCRAM-SHA-256-PLUS".utf8) + [0, 0]
        #expect(throws: SCRAMError.mechanismNotOffered) {
            try plusOnly.withUnsafeBytes { try SCRAMSHA256Client<SwiftCryptoAuthPrimitives>.checkOffered(in: $0) }
        }
        let both = Array("SCRAM-SHA-256-PLUS".utf8) + [0] + Array("SCRAM-SHA-256".utf8) + [0, 0]
        try both.withUnsafeBytes { try SCRAMSHA256Client<SwiftCryptoAuthPrimitives>.checkOffered(in: $0) }
        // The GS2 header says "no channel binding".
        var scram = client(SwiftCryptoAuthPrimitives())
        #expect(try scram.clientFirstMessage().starts(with: b("n,,")))
    }

    @Test func usernamesAreEscapedAndNoncesAreRandom() throws {
        var scram = SCRAMSHA256Client(username: b("a=b,c"), password: b("x"), clientNonce: b("nonce"), primitives: SwiftCryptoAuthPrimitives())
        #expect(s(try scram.clientFirstMessage()) == "n,,n=a=3Db=2Cc,r=nonce")
        let n1 = SCRAMSHA256Client<SwiftCryptoAuthPrimitives>.randomNonce()
        let n2 = SCRAMSHA256Client<SwiftCryptoAuthPrimitives>.randomNonce()
        #expect(n1.count == 24 && n1 != n2 && !n1.contains(UInt8(ascii: ",")))
    }

    @Test func md5PasswordResponse() {
        // md5 + md5(md5(password + user) hex + salt) hex, computed independently with Python's hashlib.
        let response = MD5Password.response(user: b("postgres"), password: b("secret"), salt: 0x0102_0304, primitives: SwiftCryptoAuthPrimitives())
        #expect(s(response) == "md5bb41a296aab6baccb36ff243a562abff")
    }

    @Test func base64RoundTripsAndRejectsGarbage() {
        for length in 0..<40 {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.decode(Base64.encode(data)) == data)
        }
        #expect(Base64.decode(b("abc")) == nil)
        #expect(Base64.decode(b("ab=c")) == nil)
        #expect(Base64.decode(b("a===")) == nil)
        #expect(s(Base64.encode(b("n,,"))) == "biws")
    }
}
