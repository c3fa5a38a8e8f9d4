import Codecs

/// The gateway's login to the real PostgreSQL server, with credentials the gateway holds.
///
/// A value-type state machine that performs no I/O: the caller sends ``startupMessage()``,
/// then feeds every complete backend message to ``receive(type:body:)`` and acts on the
/// returned ``Step`` until `.ready` or `.failed`.
///
/// ```
/// initial ─startupMessage()─▶ awaitingAuthentication ─R(ok)──────────────────────────▶ authenticated
///                              │ R(cleartext|md5) ─send─▶ awaitingAuthenticationOk ─R(ok)─▶ authenticated
///                              │ R(SASL) ─send─▶ awaitingServerFirst ─R(SASLContinue)─▶ awaitingSaltedPassword
///                              │   ─provideSaltedPassword()─send─▶ awaitingServerFinal ─R(SASLFinal, verified)─▶
///                              │   awaitingAuthenticationOk ─R(ok)─▶ authenticated
/// authenticated ─S/K/N─▶ authenticated ─Z─▶ ready
/// ErrorResponse before ready, or anything unexpected ─▶ failed (sticky)
/// ```
///
/// SCRAM-SHA-256's PBKDF2 (4096+ HMAC rounds) must not run on the event loop: on
/// SASLContinue the machine returns `.needsSaltedPassword(salt:iterations:)`; the caller
/// computes ``saltedPassword(password:salt:iterations:primitives:)`` elsewhere (or takes it
/// from a ``SaltedPasswordCache``) and calls ``provideSaltedPassword(_:)``. The server's
/// first message is fully validated (nonce, salt, iteration bounds) before it is handed out.
///
/// Trust (AuthenticationOk at once), cleartext password, md5 and SCRAM-SHA-256 without
/// channel binding are supported; `-PLUS`-only offers and other methods fail with a clear
/// ``PostgresLoginError``. A server that skips SASLFinal is refused (mutual authentication).
public struct PostgresUpstreamLogin {
    /// What the caller does next.
    public enum Step: Sendable {
        /// Send these bytes (one complete frontend message) to the server.
        case send([UInt8])
        /// Compute the SCRAM salted password off the event loop, then call ``provideSaltedPassword(_:)``.
        case needsSaltedPassword(salt: [UInt8], iterations: Int)
        /// The server reported a run-time parameter (after authentication).
        case parameterStatus(name: String, value: String)
        /// The server's cancel key for this backend.
        case backendKeyData(processID: Int32, secretKey: Int32)
        /// The server sent a NoticeResponse (nothing to do).
        case notice
        /// Login complete: the session may start.
        case ready(transactionStatus: UInt8)
        /// Login failed; the failure is sticky.
        case failed(PostgresLoginError)
        /// Nothing to do (e.g. AuthenticationOk, SASLFinal verified): wait for the next message.
        case none
    }

    public enum State: Sendable, Hashable {
        case initial
        case awaitingAuthentication
        case awaitingAuthenticationOk
        case awaitingServerFirst
        case awaitingSaltedPassword
        case awaitingServerFinal
        case authenticated
        case ready
        case failed
    }

    public private(set) var state: State = .initial
    /// The failure once ``state`` is `.failed`.
    public private(set) var failure: PostgresLoginError?

    let user: [UInt8]
    let database: [UInt8]
    let password: [UInt8]?
    let parameters: [(String, String)]
    let primitives: SwiftCryptoAuthPrimitives
    let clientNonce: [UInt8]
    var serverFirst: [UInt8] = []
    var scram: SCRAMSHA256Client<PrecomputedSaltedPassword>?

    /// - Parameters:
    ///   - user: the upstream role (`credentials.username`).
    ///   - database: the database to connect to; empty leaves it out (the server uses `user`).
    ///   - password: the upstream password, or nil when none is configured (trust only).
    ///   - parameters: further StartupMessage parameters in order, e.g. `application_name`,
    ///     `client_encoding`, `options`. `user`, `database` and empty names here are ignored
    ///     (an empty name would end the list); a NUL inside a name or value becomes `?`.
    ///   - clientNonce: the SCRAM client nonce; nil draws a fresh random one (tests pass one).
    public init(user: String, database: String, password: [UInt8]?, parameters: [(String, String)] = [],
                primitives: SwiftCryptoAuthPrimitives = SwiftCryptoAuthPrimitives(), clientNonce: [UInt8]? = nil) {
        self.user = Array(user.utf8)
        self.database = Array(database.utf8)
        self.password = password
        self.parameters = parameters.filter { !$0.0.isEmpty && $0.0 != "user" && $0.0 != "database" }
        self.primitives = primitives
        self.clientNonce = clientNonce ?? SCRAMSHA256Client<SwiftCryptoAuthPrimitives>.randomNonce()
    }

    /// The SCRAM salted password, `Hi(password, salt, iterations)`: expensive, for a worker thread.
    public static func saltedPassword(password: [UInt8], salt: [UInt8], iterations: Int,
                                      primitives: SwiftCryptoAuthPrimitives = SwiftCryptoAuthPrimitives()) -> [UInt8] {
        primitives.pbkdf2SHA256(password: password, salt: salt, iterations: iterations)
    }

    // MARK: Startup

    /// The protocol 3.0 StartupMessage (user, database, then ``parameters``). Call once, first.
    public mutating func startupMessage() -> [UInt8] {
        guard state == .initial else {
            _ = fail(PostgresLoginError(.outOfOrder))
            return []
        }
        state = .awaitingAuthentication
        var extra: [UInt8] = []
        for (name, value) in parameters {
            extra += Self.cString(name)
            extra += Self.cString(value)
        }
        let size = 4 + 4 + 5 + user.count + 1 + 9 + database.count + 1 + extra.count + 1
        return Self.encode(capacity: size) { writer in
            user.withUnsafeBytes { user in
                database.withUnsafeBytes { database in
                    extra.withUnsafeBytes { extra in
                        PostgresFrontendEncoder.startupMessage(&writer, user: user, database: database, extra: extra)
                    }
                }
            }
        }
    }

    // MARK: Backend messages

    /// Handles one complete backend message (`type` byte and the body after the length).
    public mutating func receive(type: UInt8, body: UnsafeRawBufferPointer) -> Step {
        switch state {
        case .failed:
            return .failed(failure ?? PostgresLoginError(.outOfOrder))
        case .initial, .ready:
            // Before the StartupMessage, or after ReadyForQuery (the session owns the
            // connection then): the caller should not be feeding the login at all.
            return .failed(PostgresLoginError(.outOfOrder))
        default:
            break
        }
        switch type {
        case PostgresMessageType.Backend.authentication:
            return authentication(body)
        case PostgresMessageType.Backend.errorResponse:
            return serverError(body)
        case PostgresMessageType.Backend.noticeResponse:
            guard (try? ErrorNoticeView(type: type, body: body)) != nil else {
                return fail(PostgresLoginError(.protocolViolation(type: type)))
            }
            return .notice
        case PostgresMessageType.Backend.negotiateProtocolVersion where state == .awaitingAuthentication:
            // Only sent for a newer minor version or `_pq_.` options, which we never request;
            // protocol 3.0 itself is always accepted.
            return .none
        case PostgresMessageType.Backend.parameterStatus where state == .authenticated:
            guard let view = try? ParameterStatusView(body: body) else {
                return fail(PostgresLoginError(.protocolViolation(type: type)))
            }
            return .parameterStatus(name: String(decoding: view.name, as: UTF8.self),
                                    value: String(decoding: view.value, as: UTF8.self))
        case PostgresMessageType.Backend.backendKeyData where state == .authenticated:
            guard let view = try? BackendKeyDataView(body: body) else {
                return fail(PostgresLoginError(.protocolViolation(type: type)))
            }
            return .backendKeyData(processID: view.processID, secretKey: view.secretKey)
        case PostgresMessageType.Backend.readyForQuery where state == .authenticated:
            guard let view = try? ReadyForQueryView(body: body) else {
                return fail(PostgresLoginError(.protocolViolation(type: type)))
            }
            state = .ready
            return .ready(transactionStatus: view.transactionStatus)
        default:
            return fail(PostgresLoginError(.protocolViolation(type: type)))
        }
    }

    /// Continues SCRAM with the salted password the caller computed for the salt and
    /// iteration count of the last `.needsSaltedPassword`: returns `.send(SASLResponse)`.
    public mutating func provideSaltedPassword(_ saltedPassword: [UInt8]) -> Step {
        guard state == .awaitingSaltedPassword, saltedPassword.count == 32 else {
            return fail(PostgresLoginError(.outOfOrder))
        }
        // A fresh client with the same nonce reproduces the client-first message; its PBKDF2
        // is the precomputed value, so only a few HMACs run here.
        var client = SCRAMSHA256Client(password: [], clientNonce: clientNonce,
                                       primitives: PrecomputedSaltedPassword(base: primitives, saltedPassword: saltedPassword))
        let clientFinal: [UInt8]
        do {
            _ = try client.clientFirstMessage()
            clientFinal = try client.receive(serverFirst: serverFirst)
        } catch {
            return fail(PostgresLoginError(.scram(error)))
        }
        scram = client
        state = .awaitingServerFinal
        return .send(Self.saslResponse(clientFinal))
    }

    // MARK: Authentication requests

    private mutating func authentication(_ body: UnsafeRawBufferPointer) -> Step {
        let request: AuthenticationMessageView
        do {
            request = try AuthenticationMessageView(body: body)
        } catch {
            return fail(PostgresLoginError(.protocolViolation(type: PostgresMessageType.Backend.authentication)))
        }
        switch (request, state) {
        case (.ok, .awaitingAuthentication), (.ok, .awaitingAuthenticationOk):
            state = .authenticated
            return .none

        case (.cleartextPassword, .awaitingAuthentication):
            guard let password else { return fail(PostgresLoginError(.passwordRequired)) }
            state = .awaitingAuthenticationOk
            return .send(Self.passwordMessage(password))

        case (.md5Password(let salt), .awaitingAuthentication):
            guard let password else { return fail(PostgresLoginError(.passwordRequired)) }
            state = .awaitingAuthenticationOk
            return .send(Self.passwordMessage(MD5Password.response(user: user, password: password, salt: salt,
                                                                   primitives: primitives)))

        case (.sasl(let mechanisms), .awaitingAuthentication):
            guard AuthenticationMessageView.mechanisms(mechanisms, contain: "SCRAM-SHA-256") else {
                let plus = AuthenticationMessageView.mechanisms(mechanisms, contain: "SCRAM-SHA-256-PLUS")
                return fail(PostgresLoginError(plus ? .channelBindingRequired : .saslMechanismNotOffered))
            }
            guard password != nil else { return fail(PostgresLoginError(.passwordRequired)) }
            var client = SCRAMSHA256Client(password: [], clientNonce: clientNonce,
                                           primitives: PrecomputedSaltedPassword(base: primitives, saltedPassword: []))
            let clientFirst: [UInt8]
            do { clientFirst = try client.clientFirstMessage() } catch { return fail(PostgresLoginError(.scram(error))) }
            scram = client
            state = .awaitingServerFirst
            return .send(Self.saslInitialResponse(clientFirst))

        case (.saslContinue(let data), .awaitingServerFirst):
            let first = Array(data)
            // Validate everything (nonce, salt, iteration bounds) before anyone spends PBKDF2 on it:
            // the client runs its checks with a placeholder salted password.
            guard var check = scram else { return fail(PostgresLoginError(.outOfOrder)) }
            do { _ = try check.receive(serverFirst: first) } catch { return fail(PostgresLoginError(.scram(error))) }
            guard let (salt, iterations) = Self.saltAndIterations(first) else {
                return fail(PostgresLoginError(.scram(.invalidServerFirst)))
            }
            serverFirst = first
            scram = nil
            state = .awaitingSaltedPassword
            return .needsSaltedPassword(salt: salt, iterations: iterations)

        case (.saslFinal(let data), .awaitingServerFinal):
            guard var client = scram else { return fail(PostgresLoginError(.outOfOrder)) }
            do { try client.receive(serverFinal: Array(data)) } catch { return fail(PostgresLoginError(.scram(error))) }
            scram = nil
            state = .awaitingAuthenticationOk
            return .none

        case (.unsupported(let code), .awaitingAuthentication):
            return fail(PostgresLoginError(.unsupportedMethod(code: code)))

        default:
            // Includes AuthenticationOk in the middle of SCRAM: the server must prove it knows
            // the password (SASLFinal) before the gateway trusts it.
            return fail(PostgresLoginError(.protocolViolation(type: PostgresMessageType.Backend.authentication)))
        }
    }

    private mutating func serverError(_ body: UnsafeRawBufferPointer) -> Step {
        guard let view = try? ErrorNoticeView(type: PostgresMessageType.Backend.errorResponse, body: body) else {
            return fail(PostgresLoginError(.protocolViolation(type: PostgresMessageType.Backend.errorResponse)))
        }
        return fail(PostgresLoginError(
            .serverRejected,
            serverSQLState: PostgresLoginError.scrub(view.field(ErrorNoticeView.FieldCode.sqlState), password: password),
            serverMessage: PostgresLoginError.scrub(view.field(ErrorNoticeView.FieldCode.message), password: password)))
    }

    private mutating func fail(_ error: PostgresLoginError) -> Step {
        state = .failed
        failure = error
        scram = nil
        return .failed(error)
    }

    // MARK: Helpers

    /// `s=` (decoded) and `i=` of a server-first message the SCRAM client already validated.
    static func saltAndIterations(_ serverFirst: [UInt8]) -> ([UInt8], Int)? {
        let attributes = serverFirst.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard attributes.count >= 3, attributes[1].starts(with: Array("s=".utf8)),
              attributes[2].starts(with: Array("i=".utf8)),
              let salt = Base64.decode(attributes[1].dropFirst(2)),
              let iterations = Int(String(decoding: attributes[2].dropFirst(2), as: UTF8.self)) else { return nil }
        return (salt, iterations)
    }

    static func cString(_ text: String) -> [UInt8] {
        Array(text.utf8).map { $0 == 0 ? UInt8(ascii: "?") : $0 } + [0]
    }

    static func encode(capacity: Int, _ body: (inout WireWriter) -> Void) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: capacity)
        let count = out.withUnsafeMutableBytes { buffer -> Int in
            var writer = WireWriter(buffer)
            body(&writer)
            return writer.count
        }
        precondition(count <= capacity, "login message size miscomputed")
        out.removeLast(capacity - count)
        return out
    }

    static func passwordMessage(_ password: [UInt8]) -> [UInt8] {
        encode(capacity: 5 + password.count + 1) { writer in
            password.withUnsafeBytes { PostgresFrontendEncoder.passwordMessage(&writer, password: $0) }
        }
    }

    static func saslInitialResponse(_ clientFirst: [UInt8]) -> [UInt8] {
        encode(capacity: 5 + 14 + 4 + clientFirst.count) { writer in
            clientFirst.withUnsafeBytes {
                PostgresFrontendEncoder.saslInitialResponse(&writer, mechanism: "SCRAM-SHA-256", data: $0)
            }
        }
    }

    static func saslResponse(_ clientFinal: [UInt8]) -> [UInt8] {
        encode(capacity: 5 + clientFinal.count) { writer in
            clientFinal.withUnsafeBytes { PostgresFrontendEncoder.saslResponse(&writer, data: $0) }
        }
    }
}

// Every stored property is a value type holding only arrays, strings and integers; the
// generic SCRAM client is not declared Sendable by Codecs, hence unchecked.
extension PostgresUpstreamLogin: @unchecked Sendable {}

/// Auth primitives whose PBKDF2 returns a salted password computed elsewhere, so that the
/// SCRAM client's remaining steps (a few HMACs) can run on the event loop.
struct PrecomputedSaltedPassword: PostgresAuthPrimitives {
    let base: SwiftCryptoAuthPrimitives
    /// Empty while only validating a server-first message (the proof is then discarded).
    let saltedPassword: [UInt8]

    func sha256(_ data: [UInt8]) -> [UInt8] { base.sha256(data) }
    func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] { base.hmacSHA256(key: key, message: message) }
    func md5(_ data: [UInt8]) -> [UInt8] { base.md5(data) }
    func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        saltedPassword.isEmpty ? [UInt8](repeating: 0, count: 32) : saltedPassword
    }
}
