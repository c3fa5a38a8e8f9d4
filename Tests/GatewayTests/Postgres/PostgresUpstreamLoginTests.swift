import Codecs
import Foundation
import Gateway
import Testing

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }
private func s(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// One backend message built with the codec's encoder: (type, body).
private func backend(_ body: (inout WireWriter) -> Void) -> (UInt8, [UInt8]) {
    var out = [UInt8](repeating: 0, count: 4096)
    let count = out.withUnsafeMutableBytes { buffer -> Int in
        var writer = WireWriter(buffer)
        body(&writer)
        return writer.count
    }
    return (out[0], Array(out[5..<count]))
}

private func raw(_ type: Character, _ body: [UInt8]) -> (UInt8, [UInt8]) { (type.asciiValue!, body) }

private func int32(_ v: Int32) -> [UInt8] {
    let u = UInt32(bitPattern: v)
    return [UInt8(u >> 24), UInt8(u >> 16 & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u & 0xFF)]
}

extension PostgresUpstreamLogin.Step {
    var sent: [UInt8]? { if case .send(let bytes) = self { bytes } else { nil } }
    var failure: PostgresLoginError? { if case .failed(let error) = self { error } else { nil } }
    var isNone: Bool { if case .none = self { true } else { false } }
}

private extension PostgresUpstreamLogin {
    mutating func feed(_ message: (UInt8, [UInt8])) -> Step {
        message.1.withUnsafeBytes { receive(type: message.0, body: $0) }
    }
}

private func authentication(_ body: (inout WireWriter) -> Void) -> (UInt8, [UInt8]) { backend(body) }
private func sasl(_ mechanism: StaticString) -> (UInt8, [UInt8]) {
    backend { PostgresBackendEncoder.authenticationSASL(&$0, mechanism: mechanism) }
}
private func saslContinue(_ text: String) -> (UInt8, [UInt8]) {
    b(text).withUnsafeBytes { data in backend { PostgresBackendEncoder.authenticationSASLContinue(&$0, data: data) } }
}
private func saslFinal(_ text: String) -> (UInt8, [UInt8]) {
    b(text).withUnsafeBytes { data in backend { PostgresBackendEncoder.authenticationSASLFinal(&$0, data: data) } }
}
private let authOK = backend { PostgresBackendEncoder.authenticationOk(&$0) }
private let ready = backend { PostgresBackendEncoder.readyForQuery(&$0, transactionStatus: UInt8(ascii: "I")) }

private func errorResponse(_ sqlState: StaticString, _ message: String) -> (UInt8, [UInt8]) {
    b(message).withUnsafeBytes { text in
        backend { PostgresBackendEncoder.errorResponse(&$0, PostgresErrorFields(severity: .fatal, sqlState: sqlState, message: text)) }
    }
}

/// A minimal SCRAM-SHA-256 server (RFC 5802) to check the client end to end.
private struct SCRAMServer {
    let primitives = SwiftCryptoAuthPrimitives()
    let salt: [UInt8] = b("0123456789abcdef")
    let iterations = 4096
    let serverNonce = "SERVERNONCE+/x"
    let storedKey: [UInt8]
    let serverKey: [UInt8]
    var clientFirstBare = ""
    var serverFirst = ""

    init(password: String) {
        let salted = primitives.pbkdf2SHA256(password: b(password), salt: salt, iterations: iterations)
        storedKey = primitives.sha256(primitives.hmacSHA256(key: salted, message: b("Client Key")))
        serverKey = primitives.hmacSHA256(key: salted, message: b("Server Key"))
    }

    /// Parses SASLInitialResponse ('p' message) and returns the server-first message.
    mutating func first(initialResponse message: [UInt8]) -> String {
        #expect(message.first == UInt8(ascii: "p"))
        let body = Array(message[5...])
        let nul = body.firstIndex(of: 0)!
        #expect(s(Array(body[..<nul])) == "SCRAM-SHA-256")
        let data = s(Array(body[(nul + 5)...]))
        #expect(data.hasPrefix("n,,"))
        clientFirstBare = String(data.dropFirst(3))
        let clientNonce = clientFirstBare.split(separator: ",").first { $0.hasPrefix("r=") }!.dropFirst(2)
        serverFirst = "r=\(clientNonce)\(serverNonce),s=\(s(Base64.encode(salt))),i=\(iterations)"
        return serverFirst
    }

    /// Checks the client-final's proof; returns the server-final message, or nil if the proof is wrong.
    func final(response message: [UInt8]) -> String? {
        #expect(message.first == UInt8(ascii: "p"))
        let clientFinal = s(Array(message[5...]))
        guard let range = clientFinal.range(of: ",p=") else { return nil }
        let withoutProof = String(clientFinal[..<range.lowerBound])
        let proof = Base64.decode(b(String(clientFinal[range.upperBound...]))) ?? []
        let authMessage = b(clientFirstBare + "," + serverFirst + "," + withoutProof)
        let signature = primitives.hmacSHA256(key: storedKey, message: authMessage)
        guard proof.count == 32 else { return nil }
        let clientKey = zip(proof, signature).map { $0 ^ $1 }
        guard primitives.sha256(clientKey) == storedKey else { return nil }
        return "v=" + s(Base64.encode(primitives.hmacSHA256(key: serverKey, message: authMessage)))
    }
}

@Suite struct PostgresUpstreamLoginTests {
    static let password = "upstream-Secret-42"

    func login(password: String? = Self.password, parameters: [(String, String)] = []) -> PostgresUpstreamLogin {
        PostgresUpstreamLogin(user: "app", database: "orders", password: password.map(b), parameters: parameters,
                              primitives: SwiftCryptoAuthPrimitives())
    }

    /// Reads the startup packet's name/value pairs.
    func startupPairs(_ message: [UInt8]) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var strings: [String] = []
        var current: [UInt8] = []
        for byte in message[8..<(message.count - 1)] {
            if byte == 0 {
                strings.append(s(current))
                current = []
            } else {
                current.append(byte)
            }
        }
        var i = 0
        while i + 1 < strings.count {
            pairs.append((strings[i], strings[i + 1]))
            i += 2
        }
        return pairs
    }

    @Test func startupMessageCarriesUserDatabaseAndParameters() {
        var machine = login(parameters: [("application_name", "psql"), ("client_encoding", "UTF8"),
                                         ("user", "mallory"), ("", "dropped"), ("options", "-c search_path=app")])
        let message = machine.startupMessage()
        #expect(message.count > 8)
        #expect(Array(message[0..<4]) == int32(Int32(message.count)))
        #expect(Array(message[4..<8]) == int32(196_608))
        #expect(message.last == 0)
        let pairs = startupPairs(message)
        #expect(pairs.map(\.0) == ["user", "database", "application_name", "client_encoding", "options"])
        #expect(pairs.map(\.1) == ["app", "orders", "psql", "UTF8", "-c search_path=app"])
        #expect(machine.state == .awaitingAuthentication)
        // A second startup is a caller bug.
        #expect(machine.startupMessage().isEmpty)
        #expect(machine.state == .failed)
    }

    @Test func trustThenParametersKeyNoticeAndReady() {
        var machine = login(password: nil)
        _ = machine.startupMessage()
        #expect(machine.feed(authOK).isNone)
        guard case .parameterStatus(let name, let value) = b("server_version").withUnsafeBytes({ n in
            b("15.8").withUnsafeBytes { v in machine.feed(backend { PostgresBackendEncoder.parameterStatus(&$0, name: n, value: v) }) }
        }) else { Issue.record("expected ParameterStatus"); return }
        #expect(name == "server_version" && value == "15.8")
        guard case .backendKeyData(let pid, let key) = machine.feed(backend {
            PostgresBackendEncoder.backendKeyData(&$0, processID: 4242, secretKey: -7)
        }) else { Issue.record("expected BackendKeyData"); return }
        #expect(pid == 4242 && key == -7)
        guard case .notice = machine.feed(backend {
            PostgresBackendEncoder.noticeResponse(&$0, PostgresErrorFields(severity: .notice, sqlState: "00000", message: "hello"))
        }) else { Issue.record("expected notice"); return }
        guard case .ready(let status) = machine.feed(ready) else { Issue.record("expected ready"); return }
        #expect(status == UInt8(ascii: "I"))
        #expect(machine.state == .ready)
        // After ReadyForQuery the login is done; it refuses to be fed more.
        #expect(machine.feed(ready).failure?.kind == .outOfOrder)
        #expect(machine.state == .ready)
    }

    @Test func cleartextPassword() {
        var machine = login()
        _ = machine.startupMessage()
        let sent = machine.feed(authentication { PostgresBackendEncoder.authenticationCleartextPassword(&$0) }).sent
        #expect(sent == [UInt8(ascii: "p")] + int32(Int32(4 + Self.password.utf8.count + 1)) + b(Self.password) + [0])
        #expect(machine.feed(authOK).isNone)
        #expect(machine.state == .authenticated)
    }

    @Test func md5Password() {
        var machine = login()
        _ = machine.startupMessage()
        let sent = machine.feed(authentication { PostgresBackendEncoder.authenticationMD5Password(&$0, salt: 0x0102_0304) }).sent
        let expected = MD5Password.response(user: b("app"), password: b(Self.password), salt: 0x0102_0304,
                                            primitives: SwiftCryptoAuthPrimitives())
        #expect(sent.map { Array($0[5..<($0.count - 1)]) } == expected)
        #expect(machine.feed(authOK).isNone)
        #expect(machine.feed(ready).isReady)
    }

    @Test func passwordRequestedButNoneConfigured() {
        for request in [authentication { PostgresBackendEncoder.authenticationMD5Password(&$0, salt: 1) },
                        authentication { PostgresBackendEncoder.authenticationCleartextPassword(&$0) }, sasl("SCRAM-SHA-256")] {
            var machine = login(password: nil)
            _ = machine.startupMessage()
            #expect(machine.feed(request).failure?.kind == .passwordRequired)
        }
    }

    @Test func scramAgainstAServerThatKnowsThePassword() throws {
        var machine = login()
        _ = machine.startupMessage()
        var server = SCRAMServer(password: Self.password)
        let initial = try #require(machine.feed(sasl("SCRAM-SHA-256")).sent)
        let serverFirst = server.first(initialResponse: initial)
        guard case .needsSaltedPassword(let salt, let iterations) = machine.feed(saslContinue(serverFirst)) else {
            Issue.record("expected needsSaltedPassword")
            return
        }
        #expect(salt == server.salt && iterations == 4096)
        #expect(machine.state == .awaitingSaltedPassword)
        let salted = PostgresUpstreamLogin.saltedPassword(password: b(Self.password), salt: salt, iterations: iterations,
                                                          primitives: SwiftCryptoAuthPrimitives())
        let response = try #require(machine.provideSaltedPassword(salted).sent)
        let serverFinal = try #require(server.final(response: response), "the server must accept the proof")
        #expect(machine.feed(saslFinal(serverFinal)).isNone)
        #expect(machine.feed(authOK).isNone)
        #expect(machine.feed(ready).isReady)
    }

    @Test func scramWithTheWrongSaltedPasswordIsRejectedByTheServer() throws {
        var machine = login()
        _ = machine.startupMessage()
        var server = SCRAMServer(password: Self.password)
        let serverFirst = server.first(initialResponse: try #require(machine.feed(sasl("SCRAM-SHA-256")).sent))
        _ = machine.feed(saslContinue(serverFirst))
        let wrong = PostgresUpstreamLogin.saltedPassword(password: b("not-it"), salt: server.salt, iterations: 4096)
        #expect(server.final(response: try #require(machine.provideSaltedPassword(wrong).sent)) == nil)
    }

    @Test func scramServerThatDoesNotKnowThePasswordIsRefused() throws {
        var machine = login()
        _ = machine.startupMessage()
        // The server's verifier was made from another password: its signature cannot match.
        var impostor = SCRAMServer(password: "something-else")
        let serverFirst = impostor.first(initialResponse: try #require(machine.feed(sasl("SCRAM-SHA-256")).sent))
        _ = machine.feed(saslContinue(serverFirst))
        let salted = PostgresUpstreamLogin.saltedPassword(password: b(Self.password), salt: impostor.salt, iterations: 4096)
        let response = try #require(machine.provideSaltedPassword(salted).sent)
        #expect(impostor.final(response: response) == nil)
        let forged = "v=" + s(Base64.encode([UInt8](repeating: 7, count: 32)))
        #expect(machine.feed(saslFinal(forged)).failure?.kind == .scram(.serverSignatureMismatch))
        #expect(machine.feed(authOK).failure?.kind == .scram(.serverSignatureMismatch), "failure is sticky")
    }

    @Test func authenticationOkWithoutSASLFinalIsRefused() throws {
        var machine = login()
        _ = machine.startupMessage()
        var server = SCRAMServer(password: Self.password)
        _ = machine.feed(saslContinue(server.first(initialResponse: try #require(machine.feed(sasl("SCRAM-SHA-256")).sent))))
        _ = machine.provideSaltedPassword(PostgresUpstreamLogin.saltedPassword(password: b(Self.password), salt: server.salt,
                                                                               iterations: 4096))
        #expect(machine.feed(authOK).failure?.kind == .protocolViolation(type: UInt8(ascii: "R")))
    }

    @Test func badServerFirstFailsBeforeAnyoneSpendsPBKDF2() throws {
        let cases: [(String, PostgresLoginError.Kind)] = [
            ("r=someoneElsesNonce,s=c2FsdA==,i=4096", .scram(.nonceMismatch)),
            ("r=NONCE,s=c2FsdA==,i=100", .scram(.iterationCountTooLow(100))),
            ("r=NONCE,s=c2FsdA==,i=999999999", .scram(.iterationCountTooHigh(999_999_999))),
            ("r=NONCE,s=***,i=4096", .scram(.invalidServerFirst)),
            ("garbage", .scram(.invalidServerFirst)),
        ]
        for (template, expected) in cases {
            var machine = PostgresUpstreamLogin(user: "app", database: "", password: b("pw"), parameters: [],
                                                primitives: SwiftCryptoAuthPrimitives(), clientNonce: b("abc"))
            _ = machine.startupMessage()
            _ = try #require(machine.feed(sasl("SCRAM-SHA-256")).sent)
            let text = template.replacingOccurrences(of: "NONCE", with: "abcXYZ")
            #expect(machine.feed(saslContinue(text)).failure?.kind == expected, "\(template)")
        }
    }

    @Test func saltedPasswordOfTheWrongShapeOrAtTheWrongTime() {
        var machine = login()
        _ = machine.startupMessage()
        #expect(machine.provideSaltedPassword([UInt8](repeating: 1, count: 32)).failure?.kind == .outOfOrder)
    }

    @Test func channelBindingOnlyAndForeignMechanismsAreRefusedClearly() {
        var plus = login()
        _ = plus.startupMessage()
        let error = plus.feed(sasl("SCRAM-SHA-256-PLUS")).failure
        #expect(error?.kind == .channelBindingRequired)
        #expect(error?.description.contains("SCRAM-SHA-256-PLUS") == true)
        var other = login()
        _ = other.startupMessage()
        #expect(other.feed(sasl("OAUTHBEARER")).failure?.kind == .saslMechanismNotOffered)
    }

    @Test func unsupportedMethods() {
        for code: Int32 in [2, 7, 9] {  // Kerberos V5, GSS, SSPI
            var machine = login()
            _ = machine.startupMessage()
            let error = machine.feed(raw("R", int32(code))).failure
            #expect(error?.kind == .unsupportedMethod(code: code))
            #expect(error.map { "\($0.clientSQLState)" } == "08004")
        }
    }

    @Test func serverErrorKeepsSQLStateAndMessageButNeverThePassword() {
        var machine = login()
        _ = machine.startupMessage()
        _ = machine.feed(authentication { PostgresBackendEncoder.authenticationCleartextPassword(&$0) })
        let error = machine.feed(errorResponse("28P01", "password \(Self.password) authentication failed for user \"app\""))
            .failure
        #expect(error?.kind == .serverRejected)
        #expect(error?.serverSQLState == "28P01")
        let text = error?.description ?? ""
        #expect(text.hasPrefix("upstream login failed: 28P01 "))
        #expect(text.contains("authentication failed for user"))
        #expect(!text.contains(Self.password))
        #expect(!String(describing: error as Any).contains(Self.password))
        #expect(error.map { "\($0.clientSQLState)" } == "08004")
        #expect(machine.state == .failed)
    }

    @Test func errorBeforeAuthentication() {
        var machine = login()
        _ = machine.startupMessage()
        let error = machine.feed(errorResponse("3D000", "database \"orders\" does not exist")).failure
        #expect(error?.description == "upstream login failed: 3D000 database \"orders\" does not exist")
    }

    @Test func unexpectedOrMalformedMessagesAreProtocolViolations() {
        var early = login()
        _ = early.startupMessage()
        // ParameterStatus and ReadyForQuery before AuthenticationOk.
        #expect(early.feed(ready).failure?.kind == .protocolViolation(type: UInt8(ascii: "Z")))

        var data = login()
        _ = data.startupMessage()
        _ = data.feed(authOK)
        let error = data.feed(raw("D", [0, 0])).failure
        #expect(error?.kind == .protocolViolation(type: UInt8(ascii: "D")))
        #expect(error.map { "\($0.clientSQLState)" } == "08P01")

        var truncated = login()
        _ = truncated.startupMessage()
        #expect(truncated.feed(raw("R", [0, 0])).failure?.kind == .protocolViolation(type: UInt8(ascii: "R")))

        var badKey = login()
        _ = badKey.startupMessage()
        _ = badKey.feed(authOK)
        #expect(badKey.feed(raw("K", [1, 2, 3])).failure?.kind == .protocolViolation(type: UInt8(ascii: "K")))

        var beforeStartup = login()
        #expect(beforeStartup.feed(authOK).failure?.kind == .outOfOrder)
    }
}

extension PostgresUpstreamLogin.Step {
    var isReady: Bool { if case .ready = self { true } else { false } }
}
