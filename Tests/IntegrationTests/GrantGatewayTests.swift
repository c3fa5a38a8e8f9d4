import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Time-boxed grants through a real `ringgate serve` in front of a real PostgreSQL: asked for
/// with `ringgate request`, decided with `ringgate approve|deny`, revoked with `ringgate grants
/// revoke`; one live psycopg session gains the grant's rules at its next statement and loses
/// them when the grant is revoked or runs out. Every effect is checked on the server.
@Suite(.serialized)
struct GrantGatewayTests {
    /// The requester: reads on its own; writes only under grant `prod-write`. It is in `dba`
    /// too, so it could approve others' grants, never its own.
    static let agent = "deploy-bot"

    static let groups = """
          - name: it-agents
            members: [\(agent)]
          - name: dba
            members: [alice, bob, \(agent)]
        """

    static let policies = """
          - id: agents-read
            resources: [pg-it]
            groups: [it-agents]
            allow: [read, transaction, set, utility]
          - id: prod-write-ops
            resources: [pg-it]
            grant: prod-write
            allow: [write]
        grants:
          - name: prod-write
            resources: [pg-it]
            max_duration: 1h
            requesters:
              groups: [it-agents]
            approval:
              approver_groups: [dba]

        """

    struct Gateway {
        let fixture: PostgresGatewayFixture
        let controlPort: Int

        var controlURL: String { "http://127.0.0.1:\(controlPort)" }

        /// `ringgate ARGUMENTS` against the control API as `identity` in `groups`.
        func ringgate(_ arguments: [String], as identity: String, groups: String) throws -> PostgresServer.CommandResult {
            let token = try ApprovalGatewayTests.controlToken(fixture, identity: identity, groups: groups)
            return try PostgresServer.run(asServerUser: false, try PostgresGatewayFixture.ringgatePath(),
                                          arguments + ["--control", controlURL], environment: ["RINGGATE_TOKEN": token])
        }

        /// `ringgate request` as the agent; returns the new grant's id.
        func request(for duration: String, reason: String = "INC-4711 clean up test rows") throws -> String {
            let result = try ringgate(["request", "--resource", "pg-it", "--for", duration, "--reason", reason],
                                      as: GrantGatewayTests.agent, groups: "it-agents,dba")
            #expect(result.status == 0 && result.output.contains(": pending"), "\(result.output)\(result.error)")
            let id = result.output.split(separator: " ").dropFirst().first.map { String($0.dropLast()) } ?? ""
            #expect(id.hasPrefix("g-"), "\(result.output)")
            return id
        }

        /// `ringgate approve|deny ID` as `approver`.
        func decide(_ verb: String, _ id: String, as approver: String, groups: String = "dba") throws -> PostgresServer.CommandResult {
            try ringgate([verb, id], as: approver, groups: groups)
        }

        /// A grant as the API shows it to an approver.
        func grant(_ id: String) throws -> [String: Any] {
            let token = try ApprovalGatewayTests.controlToken(fixture, identity: "alice", groups: "dba")
            let answer = try ControlAPIGatewayTests.http("GET", controlPort, "/v1/grants/\(id)", token: token, in: fixture.directory)
            #expect(answer.status == 200, "\(answer.body)")
            return (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]) ?? [:]
        }

        /// Waits (up to `seconds`) until the API reports grant `id` in `state`.
        func waitFor(_ id: String, state: String, seconds: Int = 60) throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if try grant(id)["state"] as? String == state { return true }
                usleep(100_000)
            }
            return false
        }

        /// SIGKILLs the gateway and starts it again; returns once its control API answers.
        func killAndRestart() throws {
            try fixture.killAndRestartGateway()
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if (try? ControlAPIGatewayTests.http("GET", controlPort, "/healthz", in: fixture.directory))?.status == 200 { return }
                usleep(50_000)
            }
            throw PostgresServer.Failure.command("the control API did not come back", .init(status: -1, output: "", error: fixture.gatewayLogTail))
        }

        func scratchIDs() throws -> String {
            try fixture.superuser("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM scratch")
        }

        func fillScratch(_ rows: Int = 6) throws {
            _ = try fixture.superuser(
                "TRUNCATE scratch RESTART IDENTITY; INSERT INTO scratch (note) SELECT 'n' || g FROM generate_series(1, \(rows)) g")
        }

        /// The grant audit events (`grant_*`) for grant `id`, in order.
        func audited(_ id: String) -> [String] {
            fixture.auditEvents.filter { $0["grant"] as? String == id }.compactMap { $0["kind"] as? String }
        }
    }

    /// One psycopg session that runs, in order, the statements a test drops into its
    /// directory as `step-N.sql` and reports each outcome on standard error
    /// (`step N ok ROWCOUNT` or `step N error SQLSTATE MESSAGE`): a live session driven step by step.
    struct SteppedSession {
        let client: ChildProcess
        let directory: String
        private(set) var steps = 0

        init(_ gateway: Gateway, token: String) throws {
            directory = gateway.fixture.directory + "/steps"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let script = directory + "/stepper.py"
            try """
                import os, sys, time, psycopg
                directory, dsn = sys.argv[1], sys.argv[2]
                conn = psycopg.connect(dsn, autocommit=True)
                print("connected", file=sys.stderr, flush=True)
                step = 1
                while True:
                    path = os.path.join(directory, "step-%d.sql" % step)
                    if os.path.exists(os.path.join(directory, "quit")):
                        break
                    if not os.path.exists(path):
                        time.sleep(0.01)
                        continue
                    sql = open(path).read()
                    try:
                        cur = conn.execute(sql)
                        print("step %d ok %d" % (step, cur.rowcount), file=sys.stderr, flush=True)
                    except psycopg.Error as error:
                        print("step %d error %s %s" % (step, error.sqlstate, error.diag.message_primary), file=sys.stderr, flush=True)
                    step += 1
                conn.close()
                """.write(toFile: script, atomically: true, encoding: .utf8)
            client = try ChildProcess(
                "/usr/bin/python3", [script, directory, gateway.fixture.dsn(user: GrantGatewayTests.agent, password: token)],
                environment: ["PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"])
            #expect(client.waitFor("connected"), "\(client.stderr)")
        }

        /// Runs `sql` until its outcome starts with `prefix` (up to `seconds`): for a change
        /// that reaches this replica through the store's feed. Returns the last outcome.
        mutating func run(_ sql: String, until prefix: String, seconds: Int = 15) throws -> String {
            let deadline = ContinuousClock.now + .seconds(seconds)
            var outcome = try run(sql)
            while !outcome.hasPrefix(prefix), ContinuousClock.now < deadline {
                usleep(100_000)
                outcome = try run(sql)
            }
            return outcome
        }

        /// Runs `sql` in the session; returns its outcome line (`ok 1`, `error 42501 ...`).
        mutating func run(_ sql: String) throws -> String {
            steps += 1
            let path = directory + "/step-\(steps).sql"
            try sql.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
            guard rename(path + ".tmp", path) == 0 else { return "not written" }
            let marker = "step \(steps) "
            guard client.waitFor(marker) else { return "no answer: \(client.stderr)" }
            let line = client.stderr.components(separatedBy: "\n").first { $0.hasPrefix(marker) } ?? ""
            return String(line.dropFirst(marker.count))
        }

        func quit() {
            FileManager.default.createFile(atPath: directory + "/quit", contents: Data())
            _ = client.waitForExit(timeout: .seconds(10))
        }
    }

    static func gateway(store: PostgresGatewayFixture.Store = .embedded, replica: String = "replica-a") throws -> Gateway {
        let port = PostgresServer.freeLoopbackPort()
        let fixture = try PostgresGatewayFixture(
            backend: "io_uring", extraPolicies: policies,
            extraGateway: """
                  replica_id: \(replica)
                  control:
                    listen: 127.0.0.1:\(port)
                    admin_groups: [it-admins]
                    approver_groups: [dba]
                """,
            extraGroups: groups, store: store)
        return Gateway(fixture: fixture, controlPort: port)
    }

    @Test
    func aLiveSessionGetsTheGrantsRulesUntilItIsRevokedOrRunsOut() throws {
        let gateway = try Self.gateway()
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()
        let token = try gateway.fixture.issueToken(identity: Self.agent, groups: "it-agents")
        var session = try SteppedSession(gateway, token: token)
        defer { session.quit() }

        // Without a grant the agent reads but may not write.
        #expect(try session.run("SELECT count(*) FROM scratch") == "ok 1")
        #expect(try session.run("DELETE FROM scratch WHERE id = 1").hasPrefix("error 42501"))

        let first = try gateway.request(for: "1h")
        #expect(try gateway.grant(first)["state"] as? String == "pending")
        #expect(try session.run("DELETE FROM scratch WHERE id = 1").hasPrefix("error 42501"), "a pending grant gives nothing")
        // Its holder may not approve it, even from an approver group; an outsider may not either.
        let selfApproval = try gateway.decide("approve", first, as: Self.agent, groups: "it-agents,dba")
        #expect(selfApproval.status != 0 && selfApproval.error.contains("self-approval"), "\(selfApproval.error)")
        let outsider = try gateway.decide("approve", first, as: "mallory", groups: "it-agents")
        #expect(outsider.status != 0 && outsider.error.contains("403"), "\(outsider.error)")

        let approval = try gateway.decide("approve", first, as: "alice")
        #expect(approval.status == 0 && approval.output.contains("grant \(first): active"), "\(approval.output)\(approval.error)")
        // The same session, at its next statement.
        #expect(try session.run("DELETE FROM scratch WHERE id = 1") == "ok 1")
        #expect(try gateway.scratchIDs() == "2,3,4,5,6")
        // Writes only: the grant's rules, nothing more.
        #expect(try session.run("DELETE FROM scratch").hasPrefix("error 42501"))
        #expect(try gateway.scratchIDs() == "2,3,4,5,6")

        // The holder withdraws it: gone at the next statement.
        let revoke = try gateway.ringgate(["grants", "revoke", first], as: Self.agent, groups: "it-agents")
        #expect(revoke.status == 0 && revoke.output.contains("revoked"), "\(revoke.output)\(revoke.error)")
        #expect(try session.run("DELETE FROM scratch WHERE id = 2").hasPrefix("error 42501"))
        #expect(try gateway.scratchIDs() == "2,3,4,5,6")

        // A denied grant gives nothing.
        let denied = try gateway.request(for: "30m")
        #expect(try gateway.decide("deny", denied, as: "bob").output.contains("denied"))
        #expect(try session.run("DELETE FROM scratch WHERE id = 2").hasPrefix("error 42501"))

        // A grant for 15 seconds: in force once approved, then it runs out mid-session.
        let short = try gateway.request(for: "15s")
        #expect(try gateway.decide("approve", short, as: "bob").output.contains("active"))
        #expect(try session.run("DELETE FROM scratch WHERE id = 2") == "ok 1")
        #expect(try gateway.waitFor(short, state: "expired"))
        #expect(try session.run("DELETE FROM scratch WHERE id = 3").hasPrefix("error 42501"))
        #expect(try gateway.scratchIDs() == "3,4,5,6")

        // Asking for more than the grant allows, or without a reason, is refused.
        let tooLong = try gateway.ringgate(["request", "--resource", "pg-it", "--for", "2h", "--reason", "x"],
                                           as: Self.agent, groups: "it-agents")
        #expect(tooLong.status != 0 && tooLong.error.contains("at most 1h"), "\(tooLong.error)")
        let noReason = try gateway.ringgate(["request", "--resource", "pg-it", "--for", "5m", "--reason", " "],
                                            as: Self.agent, groups: "it-agents")
        #expect(noReason.status != 0 && noReason.error.contains("a reason is required"), "\(noReason.error)")
        let stranger = try gateway.ringgate(["request", "--resource", "pg-it", "--for", "5m", "--reason", "x"],
                                            as: "mallory", groups: "somewhere")
        #expect(stranger.status != 0 && stranger.error.contains("403"), "\(stranger.error)")

        // Listed: the agent sees its own grants, an approver every grant.
        let mine = try gateway.ringgate(["grants"], as: Self.agent, groups: "it-agents")
        #expect(mine.status == 0 && [first, denied, short].allSatisfy(mine.output.contains), "\(mine.output)\(mine.error)")
        #expect(mine.output.contains("\(first)\trevoked") && mine.output.contains("\(short)\texpired"), "\(mine.output)")

        // Audited, with the grant's id: asked for, decided, revoked or run out.
        let deadline = ContinuousClock.now + .seconds(20)
        while !gateway.audited(short).contains("grant_expired"), ContinuousClock.now < deadline { usleep(100_000) }
        #expect(gateway.audited(first) == ["grant_requested", "grant_approved", "grant_revoked"])
        #expect(gateway.audited(denied) == ["grant_requested", "grant_denied"])
        #expect(gateway.audited(short) == ["grant_requested", "grant_approved", "grant_expired"])
        let decisions = gateway.fixture.auditEvents.filter { $0["kind"] as? String == "statement" && $0["rule"] as? String == "prod-write-ops" }
        #expect(decisions.count == 2, "the two deletes the grant allowed name its rule")
    }

    @Test(arguments: [PostgresGatewayFixture.Store.embedded, .postgres])
    func aRestartKeepsPendingAndActiveGrantsAndRevocations(store: PostgresGatewayFixture.Store) throws {
        let gateway = try Self.gateway(store: store)
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()
        let pending = try gateway.request(for: "30m")
        let active = try gateway.request(for: "1h")
        #expect(try gateway.decide("approve", active, as: "alice").output.contains("active"))
        let revokedToken = try gateway.fixture.issueToken(identity: Self.agent, groups: "it-agents")
        let jti = try #require(PostgresGatewayFixture.tokenID(revokedToken))
        let admin = try ApprovalGatewayTests.controlToken(gateway.fixture, identity: "root", groups: "it-admins")
        let revocation = try ControlAPIGatewayTests.http(
            "POST", gateway.controlPort, "/v1/tokens/revoke", token: admin, body: "{\"jti\": \"\(jti)\"}", in: gateway.fixture.directory)
        #expect(revocation.status == 200, "\(revocation.body)")

        try gateway.killAndRestart()

        #expect(try gateway.grant(pending)["state"] as? String == "pending")
        #expect(try gateway.grant(active)["state"] as? String == "active")
        // The grant in force before the restart is in force after it.
        let token = try gateway.fixture.issueToken(identity: Self.agent, groups: "it-agents")
        var session = try SteppedSession(gateway, token: token)
        defer { session.quit() }
        #expect(try session.run("DELETE FROM scratch WHERE id = 1") == "ok 1")
        #expect(try gateway.scratchIDs() == "2,3,4,5,6")
        // The pending request can still be decided.
        #expect(try gateway.decide("approve", pending, as: "bob").output.contains("active"))
        // The revoked token stays refused.
        let refused = try gateway.fixture.psql("SELECT 1", token: revokedToken, user: Self.agent)
        #expect(refused.status != 0 && refused.error.contains("password authentication failed"), "\(refused.error)")
    }

    /// Grants are shared by replicas through a PostgreSQL store: asked for, approved and
    /// revoked through replica B's API, they reach a live session on replica A through A's
    /// change feed (LISTEN/NOTIFY).
    @Test
    func aGrantDecidedOnReplicaBReachesALiveSessionOnReplicaA() throws {
        let a = try Self.gateway(store: .postgres, replica: "replica-a")
        defer { a.fixture.finish() }
        let b = try Self.gateway(store: .shared(url: try #require(a.fixture.storeURL)), replica: "replica-b")
        defer { b.fixture.finish() }
        try a.fillScratch()
        var session = try SteppedSession(a, token: try a.fixture.issueToken(identity: Self.agent, groups: "it-agents"))
        defer { session.quit() }
        #expect(try session.run("UPDATE scratch SET note = 'a' WHERE id = 1").hasPrefix("error 42501"))

        let id = try b.request(for: "1h")
        #expect(try a.grant(id)["state"] as? String == "pending", "A's API sees B's grant")
        #expect(try b.decide("approve", id, as: "alice").output.contains("active"))
        #expect(try session.run("UPDATE scratch SET note = 'a' WHERE id = 1", until: "ok") == "ok 1")
        #expect(try a.fixture.superuser("SELECT note FROM scratch WHERE id = 1") == "a")

        let revoke = try b.ringgate(["grants", "revoke", id], as: "alice", groups: "dba")
        #expect(revoke.status == 0 && revoke.output.contains("revoked"), "\(revoke.output)\(revoke.error)")
        #expect(try session.run("UPDATE scratch SET note = 'b' WHERE id = 1", until: "error 42501").hasPrefix("error 42501"))
        // Both replicas audit the grant's life.
        let deadline = ContinuousClock.now + .seconds(10)
        let life = ["grant_requested", "grant_approved", "grant_revoked"]
        while [a, b].contains(where: { $0.audited(id) != life }), ContinuousClock.now < deadline { usleep(100_000) }
        #expect(a.audited(id) == life)
        #expect(b.audited(id) == life)
    }
}
