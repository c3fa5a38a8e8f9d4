import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Just-in-time approval through a real `ringgate serve` in front of a real PostgreSQL, with
/// the embedded SQLite store: statements policy sends to review wait in a live psql or psycopg
/// session, run unchanged once approved through the CLI, and otherwise never reach the
/// server; every effect is checked on the server itself.
@Suite(.serialized)
struct ApprovalGatewayTests {
    /// The requester: its statements on `scratch` need approval; it is also in `dba`, so it
    /// could approve others' requests, but never its own.
    static let requester = "ops-bot"
    static let requesterGroups = "it-reviewed,dba"
    static let approvers = ["alice", "bob"]

    static let groups = """
          - name: it-reviewed
            members: [\(requester)]
          - name: dba
            members: [alice, bob, \(requester)]
        """

    static let policies = """
          - id: reviewed-read
            resources: ["pg-it", "pg-it-md5"]
            groups: [it-reviewed]
            allow: [read, transaction, set, utility]
          - id: reviewed-writes
            resources: [pg-it]
            groups: [it-reviewed]
            review: [write, delete-without-where, update-without-where]
            approval:
              approver_groups: [dba]
              timeout: 2m
          - id: reviewed-truncate
            resources: [pg-it]
            groups: [it-reviewed]
            review: [truncate]
            approval:
              approver_groups: [dba]
              min_approvals: 2
          - id: reviewed-quickly
            resources: [pg-it-md5]
            groups: [it-reviewed]
            review: [write, delete-without-where, update-without-where]
            approval:
              approver_groups: [dba]
              timeout: 2s
          - id: reviewed-with-reason
            resources: [pg-it-wide]
            groups: [it-reviewed]
            review: [write, delete-without-where]
            approval:
              approver_groups: [dba]
              require_justification: true
          - id: granted-create
            resources: [pg-it]
            grant: it-create
            allow: [create]
        grants:
          - name: it-create
            resources: [pg-it]

        """

    struct Gateway {
        let fixture: PostgresGatewayFixture
        let controlPort: Int
        let requesterToken: String

        var controlURL: String { "http://127.0.0.1:\(controlPort)" }

        /// psql through the gateway as the requester, in the background (a held statement
        /// blocks it); its output, notices included, goes to its captured standard error.
        func startPsql(_ commands: [String], port: Int? = nil, applicationName: String? = nil) throws -> ChildProcess {
            var arguments = ["-X", "-v", "VERBOSITY=verbose", "-d", fixture.dsn(port: port, user: ApprovalGatewayTests.requester)]
            for command in commands { arguments += ["-c", command] }
            var environment = ["PGPASSWORD": requesterToken, "PATH": "/usr/bin:/bin", "PGCONNECT_TIMEOUT": "10"]
            if let applicationName { environment["PGAPPNAME"] = applicationName }
            return try ChildProcess("/usr/bin/psql", arguments, environment: environment, stdoutToStderr: true)
        }

        /// The id of the `n`th request a client's notices announced, waiting up to 30 s.
        func requestID(in client: ChildProcess, number: Int = 1) throws -> String {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let ids = Self.requestIDs(in: client.stderr)
                if ids.count >= number { return ids[number - 1] }
                if client.exitCodeIfExited() != nil { break }
                usleep(20_000)
            }
            throw PostgresServer.Failure.command("no held statement announced", .init(status: -1, output: "", error: client.stderr))
        }

        static func requestIDs(in text: String) -> [String] {
            var ids: [String] = []
            var rest = text[...]
            while let range = rest.range(of: "held for approval as request ") {
                let id = rest[range.upperBound...].prefix { $0 == "-" || $0.isLetter || $0.isNumber }
                ids.append(String(id))
                rest = rest[range.upperBound...]
            }
            return ids
        }

        /// `ringgate approve|deny ID` as `approver`.
        func decide(_ verb: String, _ id: String, as approver: String, comment: String? = nil,
                    groups: String = "dba") throws -> PostgresServer.CommandResult {
            let token = try ApprovalGatewayTests.controlToken(fixture, identity: approver, groups: groups)
            var arguments = [verb, "--control", controlURL, id]
            if let comment { arguments += ["--comment", comment] }
            return try PostgresServer.run(asServerUser: false, try PostgresGatewayFixture.ringgatePath(), arguments,
                                          environment: ["RINGGATE_TOKEN": token])
        }

        /// A request as the API shows it.
        func request(_ id: String) throws -> [String: Any] {
            let token = try ApprovalGatewayTests.controlToken(fixture, identity: "alice", groups: "dba")
            let answer = try ControlAPIGatewayTests.http("GET", controlPort, "/v1/requests/\(id)", token: token, in: fixture.directory)
            #expect(answer.status == 200, "\(answer.body)")
            return (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]) ?? [:]
        }

        func scratchRows() throws -> Int { Int(try fixture.superuser("SELECT count(*) FROM scratch")) ?? -1 }

        func fillScratch(_ rows: Int = 5) throws {
            _ = try fixture.superuser("TRUNCATE scratch; INSERT INTO scratch (note) SELECT 'n' || g FROM generate_series(1, \(rows)) g")
        }
    }

    static func controlToken(_ fixture: PostgresGatewayFixture, identity: String, groups: String) throws -> String {
        try fixture.issueToken(identity: identity, groups: groups, ttl: "10m", resources: "control")
    }

    static func gateway(backend: String, store: PostgresGatewayFixture.Store = .embedded, replica: String = "replica-a",
                        webhook: String = "", environment: [String: String] = [:]) throws -> Gateway {
        let port = PostgresServer.freeLoopbackPort()
        let fixture = try PostgresGatewayFixture(
            backend: backend, extraPolicies: policies,
            extraGateway: """
                  replica_id: \(replica)
                  control:
                    listen: 127.0.0.1:\(port)
                    admin_groups: [it-admins]
                    approver_groups: [dba]
                \(webhook)
                """,
            extraGroups: groups, store: store, environment: environment)
        let token = try fixture.issueToken(identity: requester, groups: requesterGroups)
        return Gateway(fixture: fixture, controlPort: port, requesterToken: token)
    }

    @Test(arguments: ["io_uring", "epoll"])
    func aHeldDeleteRunsOnlyOnceApproved(backend: String) throws {
        let gateway = try Self.gateway(backend: backend)
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()

        let client = try gateway.startPsql(["DELETE FROM scratch", "SELECT 'after ' || count(*) FROM scratch"])
        let id = try gateway.requestID(in: client)
        let pending = try gateway.request(id)
        #expect(pending["state"] as? String == "pending")
        #expect(pending["identity"] as? String == Self.requester)
        #expect(pending["statement"] as? String == "DELETE FROM scratch")
        #expect(pending["rule"] as? String == "reviewed-writes")
        #expect((pending["classes"] as? [String])?.contains("delete-without-where") == true)
        #expect(pending["relations"] as? [String] == ["scratch"])
        #expect(pending["database"] as? String == PostgresGatewayFixture.database)
        // Held: nothing reached the server, and the client is still waiting.
        #expect(try gateway.scratchRows() == 5)
        #expect(client.exitCodeIfExited() == nil)

        // The requester may not approve its own request, even from an approver group; a
        // caller outside the approver groups may not either.
        let selfApproval = try gateway.decide("approve", id, as: Self.requester, groups: Self.requesterGroups)
        #expect(selfApproval.status != 0 && selfApproval.error.contains("self-approval"), "\(selfApproval.error)")
        let outsider = try gateway.decide("approve", id, as: "mallory", groups: PostgresGatewayFixture.group)
        #expect(outsider.status != 0 && outsider.error.contains("403"), "\(outsider.error)")
        #expect(try gateway.scratchRows() == 5)

        let approval = try gateway.decide("approve", id, as: "alice")
        #expect(approval.status == 0 && approval.output.contains("approved"), "\(approval.output)\(approval.error)")
        #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.stderr)")
        #expect(client.stderr.contains("DELETE 5") && client.stderr.contains("after 0"), "\(client.stderr)")
        #expect(try gateway.scratchRows() == 0)
        #expect(try gateway.request(id)["state"] as? String == "approved")
        // Decided requests take no more decisions.
        let late = try gateway.decide("deny", id, as: "bob")
        #expect(late.status != 0 && late.error.contains("409"), "\(late.error)")
    }

    @Test
    func denialAndTimeoutAnswerWithAnErrorAndTheSessionGoesOn() throws {
        let gateway = try Self.gateway(backend: "io_uring")
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()

        let denied = try gateway.startPsql(["DELETE FROM scratch", "SELECT 'still here ' || count(*) FROM scratch"])
        let id = try gateway.requestID(in: denied)
        let deny = try gateway.decide("deny", id, as: "bob", comment: "not during business hours")
        #expect(deny.status == 0 && deny.output.contains("denied"), "\(deny.output)\(deny.error)")
        #expect(denied.waitForExit(timeout: .seconds(30)) != nil)
        #expect(denied.stderr.contains("42501") && denied.stderr.contains("denied by bob: not during business hours"), "\(denied.stderr)")
        #expect(denied.stderr.contains("still here 5"), "\(denied.stderr)")
        #expect(try gateway.request(id)["state"] as? String == "denied")

        // pg-it-md5's rule gives two seconds; the store expires the request, the client hears so.
        let expiring = try gateway.startPsql(["UPDATE scratch SET note = 'x'", "SELECT 'notes ' || count(*) FROM scratch WHERE note = 'x'"],
                                             port: gateway.fixture.md5Port)
        let expiringID = try gateway.requestID(in: expiring)
        #expect(expiring.waitForExit(timeout: .seconds(30)) != nil)
        #expect(expiring.stderr.contains("\(expiringID) expired"), "\(expiring.stderr)")
        #expect(expiring.stderr.contains("notes 0"), "\(expiring.stderr)")
        #expect(try gateway.request(expiringID)["state"] as? String == "expired")
        // An approval after the deadline changes nothing.
        #expect(try gateway.decide("approve", expiringID, as: "alice").status != 0)
        #expect(try gateway.fixture.superuser("SELECT count(*) FROM scratch WHERE note = 'x'") == "0")
    }

    @Test
    func twoApproversAreNeededWhereTheRuleSaysSo() throws {
        let gateway = try Self.gateway(backend: "io_uring")
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()
        let client = try gateway.startPsql(["TRUNCATE scratch"])
        let id = try gateway.requestID(in: client)
        #expect(try gateway.decide("approve", id, as: "alice").output.contains("pending"))
        // The same approver twice is one approver.
        let again = try gateway.decide("approve", id, as: "alice")
        #expect(again.status != 0 && again.error.contains("409"), "\(again.error)")
        #expect(try gateway.scratchRows() == 5)
        #expect(client.exitCodeIfExited() == nil)
        #expect(try gateway.decide("approve", id, as: "bob").output.contains("approved"))
        #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.stderr)")
        #expect(try gateway.scratchRows() == 0)
        let decisions = try gateway.request(id)["decisions"] as? [[String: Any]] ?? []
        #expect(decisions.compactMap { $0["approver"] as? String }.sorted() == ["alice", "bob"])
        // The wait is in the metrics.
        let scrape = try ControlAPIGatewayTests.http("GET", gateway.controlPort, "/metrics", in: gateway.fixture.directory)
        let samples = try ControlAPIGatewayTests.parseMetrics(scrape.body, fixture: gateway.fixture)
        #expect(ControlAPIGatewayTests.value(samples, "ringgate_approval_wait_seconds_count", ["resource": "pg-it"]) == 1)
        #expect(ControlAPIGatewayTests.value(samples, "ringgate_statements_total", ["resource": "pg-it", "decision": "review"]) == 1)
    }

    @Test
    func aPsycopgExtendedProtocolStatementIsHeldAndReleased() throws {
        let gateway = try Self.gateway(backend: "io_uring")
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()
        let script = gateway.fixture.directory + "/held.py"
        try """
            import sys, psycopg
            conn = psycopg.connect(sys.argv[1], autocommit=True)
            conn.add_notice_handler(lambda notice: print("NOTICE", notice.message_primary, file=sys.stderr, flush=True))
            cur = conn.cursor()
            cur.execute("DELETE FROM scratch WHERE id = %s", (2,))
            print("deleted", cur.rowcount, file=sys.stderr, flush=True)
            try:
                cur.execute("DELETE FROM scratch WHERE id = %s", (3,))
            except psycopg.Error as error:
                print("refused", error.sqlstate, error.diag.message_primary, file=sys.stderr, flush=True)
            cur.execute("SELECT count(*) FROM scratch")
            print("rows", cur.fetchone()[0], file=sys.stderr, flush=True)
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let client = try ChildProcess(
            "/usr/bin/python3",
            [script, gateway.fixture.dsn(user: Self.requester, password: gateway.requesterToken)],
            environment: ["PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"])
        let first = try gateway.requestID(in: client)
        #expect(try gateway.request(first)["statement"] as? String == "DELETE FROM scratch WHERE id = $1")
        #expect(try gateway.scratchRows() == 5)
        #expect(try gateway.decide("approve", first, as: "alice").status == 0)
        let second = try gateway.requestID(in: client, number: 2)
        #expect(client.stderr.contains("deleted 1"), "\(client.stderr)")
        #expect(try gateway.decide("deny", second, as: "alice").status == 0)
        #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.stderr)")
        #expect(client.stderr.contains("refused 42501"), "\(client.stderr)")
        #expect(client.stderr.contains("rows 4"), "\(client.stderr)")
        #expect(try gateway.fixture.superuser("SELECT string_agg(id::text, ',' ORDER BY id) FROM scratch") == "1,3,4,5")
    }

    @Test
    func aHeldStatementNeverRunsAfterItsClientOrItsGatewayIsGone() throws {
        let gateway = try Self.gateway(backend: "io_uring")
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()

        // The client goes away: the request is cancelled, an approval finds nothing to run.
        let client = try gateway.startPsql(["DELETE FROM scratch"])
        let id = try gateway.requestID(in: client)
        client.signal(SIGKILL)
        _ = client.waitForExit(timeout: .seconds(10))
        var state = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while state != "cancelled", ContinuousClock.now < deadline {
            state = try gateway.request(id)["state"] as? String ?? ""
            if state != "cancelled" { usleep(50_000) }
        }
        #expect(state == "cancelled")
        #expect(try gateway.decide("approve", id, as: "alice").status != 0)
        #expect(try gateway.scratchRows() == 5)

        // The gateway is killed with a statement held: after the restart the request has
        // failed, and approving it runs nothing.
        let orphan = try gateway.startPsql(["DELETE FROM scratch"])
        let orphanID = try gateway.requestID(in: orphan)
        try gateway.fixture.killAndRestartGateway()
        _ = orphan.waitForExit(timeout: .seconds(20))
        #expect(try gateway.request(orphanID)["state"] as? String == "failed")
        let late = try gateway.decide("approve", orphanID, as: "alice")
        #expect(late.status != 0 && late.error.contains("409"), "\(late.error)")
        #expect(try gateway.scratchRows() == 5)
        // The restarted gateway holds and releases as before.
        let again = try gateway.startPsql(["DELETE FROM scratch"])
        #expect(try gateway.decide("approve", try gateway.requestID(in: again), as: "bob").status == 0)
        #expect(again.waitForExit(timeout: .seconds(30)) == 0, "\(again.stderr)")
        #expect(try gateway.scratchRows() == 0)
    }

    @Test
    func aJustificationIsRequiredWhereConfiguredAndKeptWithTheRequest() throws {
        let gateway = try Self.gateway(backend: "io_uring")
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()
        // Without a reason (psql's default application_name is not one): refused at once.
        let bare = try gateway.startPsql(["DELETE FROM scratch"], port: gateway.fixture.widePort)
        #expect(bare.waitForExit(timeout: .seconds(30)) != nil)
        #expect(bare.stderr.contains("approval requires a justification"), "\(bare.stderr)")
        #expect(Gateway.requestIDs(in: bare.stderr).isEmpty)
        // With one in a comment: held, and the approver sees it.
        let reasoned = try gateway.startPsql(["/* reason: INC-4711 purge test rows */ DELETE FROM scratch"],
                                             port: gateway.fixture.widePort)
        let id = try gateway.requestID(in: reasoned)
        #expect(try gateway.request(id)["justification"] as? String == "INC-4711 purge test rows")
        #expect(try gateway.decide("deny", id, as: "alice").status == 0)
        _ = reasoned.waitForExit(timeout: .seconds(30))
        // With one as application_name.
        let named = try gateway.startPsql(["DELETE FROM scratch"], port: gateway.fixture.widePort, applicationName: "INC-4712 cleanup")
        let namedID = try gateway.requestID(in: named)
        #expect(try gateway.request(namedID)["justification"] as? String == "INC-4712 cleanup")
        #expect(try gateway.decide("deny", namedID, as: "alice").status == 0)
        _ = named.waitForExit(timeout: .seconds(30))
        #expect(try gateway.scratchRows() == 5)
    }

    @Test
    func anApprovalOnReplicaBReleasesAStatementHeldOnReplicaA() throws {
        // Two `ringgate serve` processes share one PostgreSQL store (in replica A's server).
        let a = try Self.gateway(backend: "io_uring", store: .postgres, replica: "replica-a")
        defer { a.fixture.finish() }
        let b = try Self.gateway(backend: "epoll", store: .shared(url: try #require(a.fixture.storeURL)), replica: "replica-b")
        defer { b.fixture.finish() }
        try a.fillScratch()

        let client = try a.startPsql(["DELETE FROM scratch"])
        let id = try a.requestID(in: client)
        // B's API sees A's request, and B's approver releases it.
        let seen = try b.request(id)
        #expect(seen["state"] as? String == "pending")
        #expect(seen["replica"] as? String == "replica-a")
        #expect(try a.scratchRows() == 5)
        let approval = try b.decide("approve", id, as: "alice")
        #expect(approval.status == 0 && approval.output.contains("approved"), "\(approval.output)\(approval.error)")
        #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.stderr)")
        #expect(client.stderr.contains("DELETE 5"), "\(client.stderr)")
        #expect(try a.scratchRows() == 0)

        // Denied through B: A's client gets the error.
        try a.fillScratch()
        let second = try a.startPsql(["DELETE FROM scratch"])
        let secondID = try a.requestID(in: second)
        #expect(try b.decide("deny", secondID, as: "bob", comment: "from replica b").status == 0)
        #expect(second.waitForExit(timeout: .seconds(30)) != nil)
        #expect(second.stderr.contains("denied by bob: from replica b"), "\(second.stderr)")
        #expect(try a.scratchRows() == 5)

        // A's live session is listed by B's API and killed from it.
        let admin = try b.fixture.issueToken(identity: "ops-admin", groups: "it-admins", ttl: "10m", resources: "control")
        let sleeper = try a.startPsql(["SELECT pg_sleep(60)"])
        var remote: [String: Any]?
        let listDeadline = ContinuousClock.now + .seconds(20)
        while remote == nil, ContinuousClock.now < listDeadline {
            let answer = try ControlAPIGatewayTests.http("GET", b.controlPort, "/v1/sessions", token: admin, in: b.fixture.directory)
            remote = ((try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [[String: Any]] ?? [])
                .first { $0["replica"] as? String == "replica-a" && $0["identity"] as? String == Self.requester }
            if remote == nil { usleep(50_000) }
        }
        let remoteID = try #require(remote?["id"] as? String)
        let kill = try ControlAPIGatewayTests.http("DELETE", b.controlPort, "/v1/sessions/\(remoteID)", token: admin, in: b.fixture.directory)
        #expect(kill.status == 200, "\(kill.body)")
        #expect(sleeper.waitForExit(timeout: .seconds(30)) != nil)
        #expect(sleeper.stderr.contains("57P01"), "\(sleeper.stderr)")

        // A token revoked through B is refused by A: a live session at its next statement,
        // a new login at once.
        let victimToken = try a.fixture.issueToken(identity: Self.requester, groups: Self.requesterGroups)
        let live = try RawPostgresClient(port: a.fixture.port)
        defer { a.fixture.record(live.received) }
        _ = try live.login(user: Self.requester, token: victimToken)
        try live.send(PostgresWire.query("SELECT 1"))
        #expect(String(try live.untilReady().map(\.kind)) == "TDCZ")
        let jti = try #require(PostgresGatewayFixture.tokenID(victimToken))
        let revoke = try ControlAPIGatewayTests.http("POST", b.controlPort, "/v1/tokens/revoke", token: admin,
                                                     body: "{\"jti\": \"\(jti)\"}", in: b.fixture.directory)
        #expect(revoke.status == 200, "\(revoke.body)")
        var refused: [BackendMessage] = []
        for _ in 0..<100 where refused.isEmpty {
            try live.send(PostgresWire.query("SELECT 1"))
            let answer = try live.untilClosedOrReady()
            if answer.contains(where: { $0.kind == "E" }) { refused = answer } else { usleep(50_000) }
        }
        #expect(refused.first { $0.kind == "E" }?.sqlstate == "28000", "\(refused)")
        let fresh = try a.fixture.psql("SELECT 1", token: victimToken, user: Self.requester)
        #expect(fresh.status != 0 && fresh.error.contains("password authentication failed"), "\(fresh.error)")
        // The audit trail says why (written off the loop: wait for it).
        var audited = false
        let auditDeadline = ContinuousClock.now + .seconds(10)
        while !audited, ContinuousClock.now < auditDeadline {
            audited = ((try? String(contentsOfFile: a.fixture.auditPath, encoding: .utf8)) ?? "").contains("\"reason\":\"revoked\"")
            if !audited { usleep(50_000) }
        }
        #expect(audited)

        // B restarting fails only B's requests: A's held statement stays pending and runs.
        let third = try a.startPsql(["DELETE FROM scratch"])
        let thirdID = try a.requestID(in: third)
        try b.fixture.killAndRestartGateway()
        #expect(try b.request(thirdID)["state"] as? String == "pending")
        #expect(try b.decide("approve", thirdID, as: "alice").status == 0)
        #expect(third.waitForExit(timeout: .seconds(30)) == 0, "\(third.stderr)")
        #expect(try a.scratchRows() == 0)
    }

    @Test
    func newRequestsReachTheEventStreamAndASignedRetriedWebhook() throws {
        let hookPort = PostgresServer.freeLoopbackPort()
        let secret = "webhook-secret-for-tests"
        let gateway = try Self.gateway(
            backend: "io_uring",
            webhook: """
                    webhook:
                      url: http://127.0.0.1:\(hookPort)/hook
                      secret_env: RG_IT_WEBHOOK_SECRET
                      retries: 3
                """,
            environment: ["RG_IT_WEBHOOK_SECRET": secret])
        defer { gateway.fixture.finish() }
        try gateway.fillScratch()
        // A receiver that refuses the first delivery and checks every signature itself.
        let received = gateway.fixture.directory + "/webhook.jsonl"
        let receiverScript = gateway.fixture.directory + "/receiver.py"
        try """
            import hashlib, hmac, json, sys
            from http.server import BaseHTTPRequestHandler, HTTPServer
            secret, out = sys.argv[2].encode(), sys.argv[3]
            seen = [0]
            class Hook(BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    stamp = self.headers["X-RingGate-Timestamp"]
                    expected = "sha256=" + hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                    valid = hmac.compare_digest(expected, self.headers["X-RingGate-Signature"])
                    seen[0] += 1
                    with open(out, "a") as f:
                        f.write(json.dumps({"valid": valid, "body": json.loads(body), "attempt": seen[0]}) + "\\n")
                    self.send_response(500 if seen[0] == 1 else 200)
                    self.end_headers()
                def log_message(self, *args):
                    pass
            HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
            """.write(toFile: receiverScript, atomically: true, encoding: .utf8)
        let receiver = try ChildProcess("/usr/bin/python3", [receiverScript, String(hookPort), secret, received],
                                        environment: ["PATH": "/usr/bin:/bin"])
        defer { receiver.signal(SIGKILL) }
        var listening = false
        let upDeadline = ContinuousClock.now + .seconds(20)
        while !listening, ContinuousClock.now < upDeadline {
            // The receiver has no GET: 501 means it is up.
            let probe = try PostgresServer.run(asServerUser: false, "/usr/bin/curl",
                                               ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(hookPort)/"])
            listening = probe.output == "501"
            if !listening { usleep(50_000) }
        }
        #expect(listening)
        let approverToken = try Self.controlToken(gateway.fixture, identity: "alice", groups: "dba")
        let tokenHeader = gateway.fixture.directory + "/sse-header"
        try "Authorization: Bearer \(approverToken)\n".write(toFile: tokenHeader, atomically: true, encoding: .utf8)
        let stream = try ChildProcess("/usr/bin/curl", ["-s", "-N", "--max-time", "60", "-H", "@\(tokenHeader)",
                                                        "\(gateway.controlURL)/v1/events"], stdoutToStderr: true)
        defer { stream.signal(SIGKILL) }
        #expect(stream.waitFor("ringgate approval events"), "\(stream.stderr)")

        let client = try gateway.startPsql(["/* reason: webhook test */ DELETE FROM scratch"])
        let id = try gateway.requestID(in: client)
        #expect(stream.waitFor("event: approval_requested"), "\(stream.stderr)")
        #expect(stream.stderr.contains("\"id\":\"\(id)\""), "\(stream.stderr)")
        #expect(try gateway.decide("deny", id, as: "alice").status == 0)
        #expect(stream.waitFor("event: approval_closed"), "\(stream.stderr)")
        _ = client.waitForExit(timeout: .seconds(30))
        // A grant asked for and approved: both on the stream and the webhook.
        let asked = try PostgresServer.run(
            asServerUser: false, try PostgresGatewayFixture.ringgatePath(),
            ["request", "--control", gateway.controlURL, "--resource", "pg-it", "--for", "10m", "--reason", "hook test"],
            environment: ["RINGGATE_TOKEN": try Self.controlToken(gateway.fixture, identity: Self.requester, groups: Self.requesterGroups)])
        let grantID = asked.output.split(separator: " ").dropFirst().first.map { String($0.dropLast()) } ?? ""
        #expect(asked.status == 0 && grantID.hasPrefix("g-"), "\(asked.output)\(asked.error)")
        #expect(stream.waitFor("event: grant_requested"), "\(stream.stderr)")
        #expect(try gateway.decide("approve", grantID, as: "alice").output.contains("active"))
        #expect(stream.waitFor("event: grant_decided"), "\(stream.stderr)")
        #expect(stream.stderr.contains("\"id\":\"\(grantID)\""), "\(stream.stderr)")

        // Two attempts for the request (the first refused), then the closing event.
        var deliveries: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: received, encoding: .utf8)) ?? ""
            deliveries = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            if deliveries.count >= 5 { break }
            usleep(50_000)
        }
        #expect(deliveries.count == 5, "\(deliveries)")
        #expect(deliveries.allSatisfy { $0["valid"] as? Bool == true })
        let bodies = deliveries.compactMap { $0["body"] as? [String: Any] }
        // The first delivery announces the request; its retry may come after the closing event.
        #expect(bodies.first?["event"] as? String == "approval_requested")
        #expect(bodies.compactMap { $0["event"] as? String }.sorted()
            == ["approval_closed", "approval_requested", "approval_requested", "grant_decided", "grant_requested"])
        let grantEvents = bodies.filter { ($0["event"] as? String)?.hasPrefix("grant_") == true }
        #expect(grantEvents.allSatisfy { ($0["grant"] as? [String: Any])?["id"] as? String == grantID }, "\(grantEvents)")
        #expect(grantEvents.contains { ($0["text"] as? String)?.contains("ringgate approve \(grantID)") == true }, "\(grantEvents)")
        let text = bodies.first?["text"] as? String ?? ""
        #expect(text.contains("ringgate approve \(id)") && text.contains("reason: webhook test"), "\(text)")
        #expect((bodies.first?["request"] as? [String: Any])?["id"] as? String == id)
    }
}
