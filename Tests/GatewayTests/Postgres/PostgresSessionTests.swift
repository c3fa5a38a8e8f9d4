import Foundation
import Glibc
import IOCore
import Testing

@testable import Gateway

/// The PostgreSQL session driven without sockets (``EmbeddedSession``): exact bytes out for
/// login, refusals in simple, pipelined and extended form, and cancel.
@Suite struct PostgresSessionTests {
    typealias Harness = EmbeddedSession<GatewaySession>

    static let policy = """
        resources:
          - name: pg
            protocol: postgres
            listen: 127.0.0.1:1
            upstream: 127.0.0.1:2
            default: allow
            credentials:
              username: app
        gateway_tokens:
          issuer: ringgate
          signing_key_file: /nonexistent
        groups:
          - name: devs
            members: [alice]
        policies:
          - id: no-destroy
            resources: [pg]
            groups: [devs]
            deny: [drop, truncate, grant]
          - id: rest
            resources: [pg]
            groups: [devs]
            allow: [all]
        """

    struct Fixture {
        let shared: GatewaySessionShared
        let token: String
        let cancelKeys: CancelKeyRegistry
    }

    static func fixture(allowedDatabases: [String] = [], policy: String = Self.policy) async throws -> Fixture {
        let store = PolicyStore(PolicySnapshot(compiling: try ConfigLoader.parse(yaml: policy)))
        let key = GatewaySigningKey.generate()
        let verifier = try await GatewayTokenVerifier(
            signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600, clockSkewSeconds: 30,
            revocations: RevocationList(tokenIDs: []))
        let issued = try await GatewayTokenIssuer(signingKey: key, issuer: "ringgate", maxTTLSeconds: 3600)
            .issue(identity: "alice", groups: ["devs"], resources: ["pg"], ttlSeconds: 600)
        let cancelKeys = CancelKeyRegistry(firstProcessID: 1000)
        let shared = GatewaySessionShared(
            postgres: [PostgresResourceContext(
                name: "pg", upstreamDescription: "127.0.0.1:2", upstreamUser: "app", upstreamPassword: nil,
                allowedDatabases: allowedDatabases)],
            policies: store,
            authentication: PostgresAuthService(authenticator: try IdentityAuthenticator(providers: [], gatewayTokens: verifier)),
            cancelKeys: cancelKeys, audit: DiscardingAuditSink())
        return Fixture(shared: shared, token: issued.token, cancelKeys: cancelKeys)
    }

    // MARK: Messages

    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [UInt8(type.asciiValue!)] + int32(Int32(body.count + 4)) + body
    }
    static func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func int16(_ value: Int16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
    static func startup(_ parameters: [(String, String)], version: Int32 = 196_608) -> [UInt8] {
        let body = int32(version) + parameters.flatMap { cString($0.0) + cString($0.1) } + [0]
        return int32(Int32(body.count + 4)) + body
    }
    static func query(_ sql: String) -> [UInt8] { message("Q", cString(sql)) }
    static func parse(_ sql: String) -> [UInt8] { message("P", cString("") + cString(sql) + int16(0)) }
    static let bind = message("B", cString("") + cString("") + int16(0) + int16(0) + int16(0))
    static let execute = message("E", cString("") + int32(0))
    static let sync = message("S", [])
    static func ready(_ status: Character = "I") -> [UInt8] { message("Z", [UInt8(status.asciiValue!)]) }
    static let authenticationOk = message("R", int32(0))
    /// What the session sends the server in place of a refused Query / Parse.
    static let standInQuery = query(String(decoding: PostgresRefusal.standIn, as: UTF8.self))
    static let standInParse = parse(String(decoding: PostgresRefusal.standIn, as: UTF8.self))
    /// The server's answer to the stand-in.
    static let standInError = message("E",
        cString("SERROR") + cString("C42601")
        + cString("Msyntax error at or near \"\(String(decoding: PostgresRefusal.standIn, as: UTF8.self))\"") + [0])
    static let otherError = message("E", cString("SERROR") + cString("C22012") + cString("Mdivision by zero") + [0])
    static let cleartextRequest = message("R", int32(3))

    /// Error messages the session sent, with their SQLSTATE.
    static func errorStates(_ bytes: [UInt8]) -> [String] {
        var states: [String] = []
        var index = 0
        while index + 5 <= bytes.count {
            let length = Int(Int32(bigEndian: bytes[(index + 1)..<(index + 5)].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
            if bytes[index] == UInt8(ascii: "E") {
                var field = index + 5
                while field < index + 1 + length, bytes[field] != 0 {
                    let end = bytes[field...].firstIndex(of: 0) ?? bytes.count
                    if bytes[field] == UInt8(ascii: "C") { states.append(String(decoding: bytes[(field + 1)..<end], as: UTF8.self)) }
                    field = end + 1
                }
            }
            index += 1 + length
        }
        return states
    }

    static func types(_ bytes: [UInt8]) -> String {
        var types = ""
        var index = 0
        while index + 5 <= bytes.count {
            let length = Int(Int32(bigEndian: bytes[(index + 1)..<(index + 5)].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
            types.append(Character(UnicodeScalar(bytes[index])))
            index += 1 + length
        }
        return types
    }

    static let loopback = try! SocketAddress(parsing: "127.0.0.1:40000")

    /// Logs in with the fixture's token and a trust upstream; returns the harness ready for statements.
    static func loggedIn(_ fixture: Fixture) async throws -> Harness {
        var key: (Int32, Int32) = (0, 0)
        return try await loggedIn(fixture, backendKey: &key)
    }

    static func loggedIn(_ fixture: Fixture, backendKey gatewayKey: inout (Int32, Int32)) async throws -> Harness {
        var harness = try Harness(shared: fixture.shared, clientAddress: loopback)
        harness.receive(startup([("user", "alice"), ("database", "appdb")]), from: .client)
        let request = harness.takeSent(to: .client)
        #expect(request == cleartextRequest)
        harness.receive(message("p", cString(fixture.token)), from: .client)
        var waited = 0
        while !harness.connectRequested && waited < 10_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            harness.runMailbox()
        }
        let s1 = harness.connectRequested
        #expect(s1, "the upstream is connected only after the token verified")
        harness.completeConnect()
        let ok = harness.takeSent(to: .client)
        #expect(ok == authenticationOk)
        let upstreamStartup = harness.takeSent(to: .upstream)
        #expect(upstreamStartup == startup([("user", "app"), ("database", "appdb")]), "the upstream sees the gateway's user, never the token")
        let backendKey = message("K", int32(42) + int32(7))
        let status = message("S", cString("server_version") + cString("15"))
        harness.receive(authenticationOk + status + backendKey + ready(), from: .upstream)
        let welcome = harness.takeSent(to: .client)
        #expect(types(welcome) == "SKZ")
        #expect(Array(welcome.prefix(status.count)) == status)
        let k = Array(welcome[status.count...])
        func load(_ offset: Int) -> Int32 { Int32(bigEndian: k[offset..<(offset + 4)].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }) }
        gatewayKey = (load(5), load(9))
        return harness
    }

    // MARK: Tests

    @Test func startupVariants() async throws {
        let fixture = try await Self.fixture()
        var ssl = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        ssl.receive(Self.int32(8) + Self.int32(80_877_103), from: .client)
        let answer = ssl.takeSent(to: .client)
        #expect(answer == [UInt8(ascii: "N")])
        let s2 = ssl.isOpen
        #expect(s2)

        var oldProtocol = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        oldProtocol.receive(Self.startup([("user", "alice")], version: 196_609), from: .client)
        let refused = oldProtocol.takeSent(to: .client)
        #expect(Self.errorStates(refused) == ["0A000"])
        let s3 = oldProtocol.isOpen
        #expect(!s3)

        var garbage = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        garbage.receive(Array("GET / HTTP/1.1\r\n\r\n".utf8), from: .client)
        let garbageAnswer = garbage.takeSent(to: .client)
        #expect(Self.errorStates(garbageAnswer) == ["08P01"])
        let s4 = garbage.isOpen
        #expect(!s4)
        let s5 = garbage.connectRequested
        #expect(!s5, "bad input costs no upstream connection")

        var remote = try Harness(shared: fixture.shared, clientAddress: try SocketAddress(parsing: "192.0.2.10:5000"))
        remote.receive(Self.startup([("user", "alice")]), from: .client)
        let remoteAnswer = remote.takeSent(to: .client)
        #expect(Self.errorStates(remoteAnswer) == ["28000"], "plaintext token logins only from loopback")
    }

    /// Starts a login with `password` and waits (bounded) until the session refused it;
    /// returns what the client got.
    static func loginRefused(_ harness: inout Harness, user: String, password: String) async throws -> [UInt8] {
        harness.receive(startup([("user", user)]), from: .client)
        _ = harness.takeSent(to: .client)
        harness.receive(message("p", cString(password)), from: .client)
        var waited = 0
        while harness.isOpen && waited < 10_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            harness.runMailbox()
        }
        return harness.takeSent(to: .client)
    }

    @Test func onlyTheResourcesDatabasesMayBeAskedFor() async throws {
        let fixture = try await Self.fixture(allowedDatabases: ["appdb"])
        var other = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        other.receive(Self.startup([("user", "alice"), ("database", "postgres")]), from: .client)
        let refusal = other.takeSent(to: .client)
        #expect(Self.errorStates(refusal) == ["3D000"])
        // The user name is the default database, as in PostgreSQL.
        var byDefault = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        byDefault.receive(Self.startup([("user", "alice")]), from: .client)
        let defaultRefusal = byDefault.takeSent(to: .client)
        #expect(Self.errorStates(defaultRefusal) == ["3D000"])
        var allowed = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        allowed.receive(Self.startup([("user", "alice"), ("database", "appdb")]), from: .client)
        let request = allowed.takeSent(to: .client)
        #expect(request == Self.cleartextRequest)
    }

    @Test func badTokenIsRefusedWithoutUpstream() async throws {
        let fixture = try await Self.fixture()
        var harness = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        let answer = try await Self.loginRefused(&harness, user: "alice", password: "not-a-token")
        #expect(Self.errorStates(answer) == ["28P01"])
        let s6 = harness.connectRequested
        #expect(!s6)
        #expect(!String(decoding: answer, as: UTF8.self).contains("not-a-token"))
    }

    @Test func aVerificationArrivingAfterTheClientLeftDoesNothing() async throws {
        let fixture = try await Self.fixture()
        var harness = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        harness.receive(Self.startup([("user", "alice")]), from: .client)
        _ = harness.takeSent(to: .client)
        harness.receive(Self.message("p", Self.cString(fixture.token)), from: .client)
        // The verification is posted but not yet delivered when the session ends (here by
        // its authentication deadline).
        var waited = 0
        while harness.waitingEvents == 0 && waited < 10_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
        }
        let waiting = harness.waitingEvents
        #expect(waiting == 1)
        harness.advance(by: 31_000_000_000)
        let open = harness.isOpen
        #expect(!open, "the authentication deadline closed the connection")
        let timeout = harness.takeSent(to: .client)
        #expect(Self.errorStates(timeout) == ["08006"])
        // The verification is delivered afterwards: it is dropped (stale generation).
        harness.runMailbox()
        let connect = harness.connectRequested
        #expect(!connect, "no upstream connection for a session that is gone")
        let nothing = harness.takeSent(to: .client)
        #expect(nothing.isEmpty)
    }

    @Test func anUnreachableUpstreamIsReportedToTheClient() async throws {
        let fixture = try await Self.fixture()
        var harness = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        harness.receive(Self.startup([("user", "alice")]), from: .client)
        _ = harness.takeSent(to: .client)
        harness.receive(Self.message("p", Self.cString(fixture.token)), from: .client)
        var waited = 0
        while !harness.connectRequested && waited < 10_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            harness.runMailbox()
        }
        harness.failConnect(errno: ECONNREFUSED)
        let answer = harness.takeSent(to: .client)
        #expect(Self.types(answer) == "E")
        #expect(Self.errorStates(answer) == ["08006"])
        let open = harness.isOpen
        #expect(!open)
    }

    @Test func startupOptionsAreDecidedLikeSET() async throws {
        let fixture = try await Self.fixture()
        // `-c role=...` is a privilege change (class grant): denied, so the login is refused.
        var denied = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        denied.receive(Self.startup([("user", "alice"), ("options", "-c role=postgres")]), from: .client)
        _ = denied.takeSent(to: .client)
        denied.receive(Self.message("p", Self.cString(fixture.token)), from: .client)
        var waited = 0
        while denied.isOpen && waited < 10_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            denied.runMailbox()
        }
        let refusal = denied.takeSent(to: .client)
        #expect(Self.errorStates(refusal) == ["42501"])
        let connected = denied.connectRequested
        #expect(!connected)

        // Allowed settings reach the server as one `options` value (PostgreSQL keeps only the last key).
        var allowed = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        allowed.receive(Self.startup([
            ("user", "alice"), ("database", "appdb"), ("options", "-c statement_timeout=5s --search-path=a\\ b"),
        ]), from: .client)
        _ = allowed.takeSent(to: .client)
        allowed.receive(Self.message("p", Self.cString(fixture.token)), from: .client)
        waited = 0
        while !allowed.connectRequested && waited < 10_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            waited += 1
            allowed.runMailbox()
        }
        allowed.completeConnect()
        _ = allowed.takeSent(to: .client)
        let upstreamStartup = allowed.takeSent(to: .upstream)
        #expect(upstreamStartup == Self.startup([
            ("user", "app"), ("database", "appdb"), ("options", "-c statement_timeout=5s -c search_path=a\\ b"),
        ]))
    }

    @Test func otherIdentityThanStartupUserIsRefused() async throws {
        let fixture = try await Self.fixture()
        var harness = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        let answer = try await Self.loginRefused(&harness, user: "mallory", password: fixture.token)
        #expect(Self.errorStates(answer) == ["28000"])
        let s7 = harness.connectRequested
        #expect(!s7)
    }

    @Test func deniedSimpleQueryIsAnsweredAndNeverForwarded() async throws {
        let fixture = try await Self.fixture()
        var harness = try await Self.loggedIn(fixture)
        harness.receive(Self.query("DROP TABLE t"), from: .client)
        let toUpstream = harness.takeSent(to: .upstream)
        #expect(toUpstream == Self.standInQuery, "the server gets a stand-in it must reject, never the statement")
        harness.receive(Self.standInError + Self.ready("E"), from: .upstream)
        let answer = harness.takeSent(to: .client)
        #expect(Self.types(answer) == "EZ")
        #expect(answer.last == UInt8(ascii: "E"), "the server's own transaction status comes through")
        #expect(Self.errorStates(answer) == ["42501"])
        #expect(String(decoding: answer, as: UTF8.self).contains("no-destroy"))
        // Multi-statement: refused whole.
        harness.receive(Self.query("SELECT 1; DROP TABLE t"), from: .client)
        let second = harness.takeSent(to: .upstream)
        #expect(second == Self.standInQuery, "a multi-statement query is refused whole")
        harness.receive(Self.standInError + Self.ready(), from: .upstream)
        let secondAnswer = harness.takeSent(to: .client)
        #expect(Self.errorStates(secondAnswer) == ["42501"])
        let allowed = Self.query("SELECT 1")
        harness.receive(allowed, from: .client)
        let forwarded = harness.takeSent(to: .upstream)
        #expect(forwarded == allowed, "allowed statements keep working")
    }

    @Test func pipelinedRefusalComesAfterEarlierResults() async throws {
        let fixture = try await Self.fixture()
        var harness = try await Self.loggedIn(fixture)
        let first = Self.query("SELECT 1")
        harness.receive(first + Self.query("TRUNCATE t") + Self.query("SELECT 2"), from: .client, cuts: [7, 20])
        let forwarded = harness.takeSent(to: .upstream)
        #expect(forwarded == first + Self.standInQuery + Self.query("SELECT 2"))
        let early = harness.takeSent(to: .client)
        #expect(early.isEmpty, "the refusal waits for the first query's results")
        let complete = Self.message("C", Self.cString("SELECT 1"))
        // The server's ReadyForQuery is cut across reads, and so is the stand-in's error.
        let reply = complete + Self.ready() + Self.standInError + Self.ready() + complete + Self.ready()
        harness.receive(reply, from: .upstream, cuts: [complete.count + 3, complete.count + 6 + 10])
        let answer = harness.takeSent(to: .client)
        #expect(Self.types(answer) == "CZEZCZ")
        #expect(Self.errorStates(answer) == ["42501"])
    }

    @Test func deniedParseDropsUntilSyncAndAnswersAtItsReady() async throws {
        let fixture = try await Self.fixture()
        var harness = try await Self.loggedIn(fixture)
        let allowed = Self.parse("SELECT $1") + Self.bind + Self.execute
        harness.receive(allowed + Self.parse("DROP TABLE t") + Self.bind + Self.execute + Self.sync, from: .client)
        let forwarded = harness.takeSent(to: .upstream)
        #expect(forwarded == allowed + Self.standInParse + Self.sync,
                "the denied Parse and what follows it up to Sync never reach the server")
        let results = Self.message("1", []) + Self.message("2", []) + Self.message("C", Self.cString("SELECT 1"))
        harness.receive(results + Self.standInError + Self.ready(), from: .upstream, cuts: [results.count + 2])
        let answer = harness.takeSent(to: .client)
        #expect(Self.types(answer) == "12CEZ")
        #expect(Self.errorStates(answer) == ["42501"])
        harness.receive(allowed + Self.sync, from: .client)
        let next = harness.takeSent(to: .upstream)
        #expect(next == allowed + Self.sync)
    }

    @Test func messagesAfterARefusedParseAreDroppedUntilSync() async throws {
        let fixture = try await Self.fixture()
        var harness = try await Self.loggedIn(fixture)
        harness.receive(Self.parse("TRUNCATE t") + Self.bind + Self.query("SELECT 1") + Self.sync, from: .client)
        let forwarded = harness.takeSent(to: .upstream)
        #expect(forwarded == Self.standInParse + Self.sync)
    }

    @Test func aStandInSkippedAfterAnEarlierErrorLeavesThatError() async throws {
        let fixture = try await Self.fixture()
        var harness = try await Self.loggedIn(fixture)
        let allowed = Self.parse("SELECT 1/0") + Self.bind + Self.execute
        harness.receive(allowed + Self.parse("DROP TABLE t") + Self.sync, from: .client)
        _ = harness.takeSent(to: .upstream)
        // The server failed at the division and skipped the stand-in: no error for it comes.
        harness.receive(Self.message("1", []) + Self.message("2", []) + Self.otherError + Self.ready(), from: .upstream)
        let answer = harness.takeSent(to: .client)
        #expect(Self.errorStates(answer) == ["22012"])
        // The skipped refusal is forgotten: the next batch's results pass untouched.
        harness.receive(Self.query("SELECT 1"), from: .client)
        _ = harness.takeSent(to: .upstream)
        harness.receive(Self.message("C", Self.cString("SELECT 1")) + Self.ready(), from: .upstream)
        let next = harness.takeSent(to: .client)
        #expect(Self.types(next) == "CZ")
    }

    @Test func cancelIsMappedToTheRealBackend() async throws {
        let fixture = try await Self.fixture()
        var gatewayKey: (Int32, Int32) = (0, 0)
        var session = try await Self.loggedIn(fixture, backendKey: &gatewayKey)
        #expect(gatewayKey.0 == 1000, "the client gets the gateway's key, not the server's")
        let key = try #require(fixture.cancelKeys.lookup(processID: gatewayKey.0, secretKey: gatewayKey.1))
        #expect(key.processID == 42 && key.secretKey == 7)
        let secret = gatewayKey.1
        var cancel = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        cancel.receive(Self.int32(16) + Self.int32(80_877_102) + Self.int32(1000) + Self.int32(secret), from: .client)
        let s8 = cancel.connectRequested
        #expect(s8)
        cancel.completeConnect()
        let sent = cancel.takeSent(to: .upstream)
        #expect(sent == Self.int32(16) + Self.int32(80_877_102) + Self.int32(42) + Self.int32(7))
        let s9 = cancel.isOpen
        #expect(!s9)

        var unknown = try Harness(shared: fixture.shared, clientAddress: Self.loopback)
        unknown.receive(Self.int32(16) + Self.int32(80_877_102) + Self.int32(1000) + Self.int32(secret &+ 1), from: .client)
        let s10 = unknown.connectRequested
        #expect(!s10)
        let nothing = unknown.takeSent(to: .client)
        let s11 = unknown.isOpen
        #expect(nothing.isEmpty && !s11)
        session.receiveEOF(from: .client)
        session.receiveEOF(from: .upstream)
        #expect(fixture.cancelKeys.lookup(processID: 1000, secretKey: secret) == nil, "a closed session's key is gone")
    }

}

struct DiscardingAuditSink: AuditSink {
    func record(_ event: AuditEvent) {}
}
