import Codecs
import Foundation
import Gateway
import Testing

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// The gateway's upstream login state machine against a real PostgreSQL 15, over a plain
/// blocking socket: SCRAM-SHA-256, md5, cleartext `password` and trust, each chosen by
/// pg_hba.conf per role, and wrong passwords refused without the password in the error.
@Suite(.serialized) struct UpstreamLoginTests {
    static let roles: [(user: String, password: String?, method: String)] = [
        ("rg_scram", "scram-pw-1", "scram-sha-256"),
        ("rg_md5", "md5-pw-2", "md5"),
        ("rg_clear", "clear-pw-3", "password"),
        ("rg_trust", nil, "trust"),
    ]

    /// Starts a server whose hba file (outside its data directory, set with `hba_file`) picks the
    /// method per role, and creates the roles over the trusted Unix socket.
    static func startServer() throws -> (PostgresServer, String) {
        var template = Array((NSTemporaryDirectory() + "ringgate-hba-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw PostgresServer.Failure.notInstalled }
        let directory = String(cString: made)
        chmod(directory, 0o755)
        var hba = "local all all trust\n"
        for role in roles { hba += "host all \(role.user) 127.0.0.1/32 \(role.method)\n" }
        let hbaFile = directory + "/pg_hba.conf"
        try hba.write(toFile: hbaFile, atomically: false, encoding: .utf8)
        chmod(hbaFile, 0o644)
        let server: PostgresServer
        do {
            server = try PostgresServer.start(extraSettings: ["hba_file=\(hbaFile)"])
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let sql = """
            SET password_encryption = 'scram-sha-256'; CREATE ROLE rg_scram LOGIN PASSWORD 'scram-pw-1'; \
            SET password_encryption = 'md5'; CREATE ROLE rg_md5 LOGIN PASSWORD 'md5-pw-2'; \
            CREATE ROLE rg_clear LOGIN PASSWORD 'clear-pw-3'; CREATE ROLE rg_trust LOGIN;
            """
        let created = try server.psql(sql)
        guard created.status == 0 else {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw PostgresServer.Failure.command("create roles", created)
        }
        return (server, directory)
    }

    struct Outcome {
        var steps: [String] = []
        var parameters: [String: String] = [:]
        var backendKey: (Int32, Int32)?
        var ready = false
        var failure: PostgresLoginError?
    }

    /// Drives the state machine until ready or failed; SCRAM's PBKDF2 runs through the cache.
    static func login(port: Int, user: String, password: String?, cache: SaltedPasswordCache) throws -> (Outcome, WireTestConnection) {
        let connection = try WireTestConnection(port: UInt16(port))
        var machine = PostgresUpstreamLogin(user: user, database: "postgres", password: password.map(b),
                                            parameters: [("application_name", "ringgate-login-test"), ("client_encoding", "UTF8")],
                                            primitives: SwiftCryptoAuthPrimitives())
        var outcome = Outcome()
        try connection.send(machine.startupMessage())
        var step = PostgresUpstreamLogin.Step.none
        while true {
            switch step {
            case .send(let bytes):
                outcome.steps.append("send:\(Character(Unicode.Scalar(bytes[0])))")
                try connection.send(bytes)
            case .needsSaltedPassword(let salt, let iterations):
                outcome.steps.append("salt")
                let key = SaltedPasswordCache.Key(resource: "pg-test", salt: salt, iterations: iterations,
                                                  password: b(password ?? ""))
                let salted = cache.saltedPassword(for: key) {
                    PostgresUpstreamLogin.saltedPassword(password: b(password ?? ""), salt: salt, iterations: iterations)
                }
                step = machine.provideSaltedPassword(salted)
                continue
            case .parameterStatus(let name, let value):
                outcome.parameters[name] = value
            case .backendKeyData(let processID, let secretKey):
                outcome.backendKey = (processID, secretKey)
            case .notice, .none:
                break
            case .ready:
                outcome.ready = true
                return (outcome, connection)
            case .failed(let error):
                outcome.failure = error
                return (outcome, connection)
            }
            let (kind, message) = try connection.receive()
            step = Array(message[5...]).withUnsafeBytes { machine.receive(type: kind, body: $0) }
        }
    }

    /// `select current_user` on a logged-in connection.
    static func currentUser(_ connection: WireTestConnection) throws -> String? {
        var out = [UInt8](repeating: 0, count: 256)
        let count = b("select current_user").withUnsafeBytes { sql in
            out.withUnsafeMutableBytes { buffer -> Int in
                var writer = WireWriter(buffer)
                PostgresFrontendEncoder.query(&writer, sql: sql)
                return writer.count
            }
        }
        try connection.send(Array(out[..<count]))
        var user: String?
        while true {
            let (kind, message) = try connection.receive()
            if kind == UInt8(ascii: "D") {
                try Array(message[5...]).withUnsafeBytes { body in
                    let row = try DataRowView(body: body)
                    user = row.map { row.value($0).map { String(decoding: $0, as: UTF8.self) } }.first ?? nil
                }
            }
            if kind == UInt8(ascii: "Z") { return user }
        }
    }

    @Test func scramMD5CleartextAndTrustReachReadyForQuery() throws {
        let (server, directory) = try Self.startServer()
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let cache = SaltedPasswordCache()
        let expectedSteps = [
            "rg_scram": ["send:p", "salt", "send:p"], "rg_md5": ["send:p"], "rg_clear": ["send:p"], "rg_trust": [],
        ]
        for role in Self.roles {
            let (outcome, connection) = try Self.login(port: server.port, user: role.user, password: role.password, cache: cache)
            #expect(outcome.failure == nil, "\(role.user): \(outcome.failure?.description ?? "")")
            #expect(outcome.ready, "\(role.user)")
            #expect(outcome.steps == expectedSteps[role.user], "\(role.user)")
            #expect(outcome.parameters["application_name"] == "ringgate-login-test")
            #expect(outcome.parameters["server_version"]?.hasPrefix("15") == true)
            #expect(outcome.backendKey != nil)
            #expect(try Self.currentUser(connection) == role.user)
        }
        #expect(cache.count == 1)
        // A second SCRAM login takes the salted password from the cache (same salt, same count).
        let (again, _) = try Self.login(port: server.port, user: "rg_scram", password: "scram-pw-1", cache: cache)
        #expect(again.ready && cache.count == 1)
    }

    @Test func wrongPasswordsFailWith28P01AndNeverShowThePassword() throws {
        let (server, directory) = try Self.startServer()
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        for user in ["rg_scram", "rg_md5", "rg_clear"] {
            let wrong = "Wrong-\(user)-Pw9"
            let (outcome, _) = try Self.login(port: server.port, user: user, password: wrong, cache: SaltedPasswordCache())
            let failure = try #require(outcome.failure, "\(user) logged in with a wrong password")
            #expect(failure.kind == .serverRejected)
            #expect(failure.serverSQLState == "28P01")
            #expect(failure.description.contains("28P01"))
            #expect(failure.description.hasPrefix("upstream login failed: "))
            #expect(!failure.description.contains(wrong))
            #expect(!String(describing: failure).contains(wrong))
            #expect("\(failure.clientSQLState)" == "08004")
        }
        // No password configured, but the server wants one.
        let (missing, _) = try Self.login(port: server.port, user: "rg_scram", password: nil, cache: SaltedPasswordCache())
        #expect(missing.failure?.kind == .passwordRequired)
    }
}
