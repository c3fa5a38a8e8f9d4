import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `ringgate serve` with `protocol: postgres` resources in front of a real PostgreSQL 15,
/// driven by real clients (psql, psycopg 3, psycopg2, pgbench) and a raw socket, on both
/// event-loop backends. See ``PostgresGatewayFixture`` for the server, roles and policy.
///
/// Contract under test: clients log in with a gateway token as the password (cleartext,
/// loopback only; the startup user must be the token's identity); the gateway logs in
/// upstream with the resource's credentials, which no client ever sees; every statement is
/// decided by policy (denied: ErrorResponse 42501 naming rule and class, then ReadyForQuery,
/// and the session goes on; in extended protocol everything up to Sync is dropped; review:
/// "approval required"; opaque denied unless a rule names it); CancelRequest reaches the real
/// backend; audit gets session_start, statement and session_end events.
///
/// Needs Debian's postgresql-15, postgresql-client-15, python3-psycopg, python3-psycopg2.
@Suite(.serialized) struct PostgresGatewayTests {
    static let backends = ["io_uring", "epoll"]

    /// The destructive statements the policy denies, with the class the denial must name.
    static let destructive: [(sql: String, className: String)] = [
        ("DROP TABLE items", "drop"),
        ("TRUNCATE items", "truncate"),
        ("DELETE FROM items", "delete-without-where"),
        ("UPDATE items SET qty = 0", "update-without-where"),
        ("ALTER TABLE items ADD COLUMN extra int", "alter"),
        ("DO $$ BEGIN EXECUTE 'DROP TABLE items'; END $$", "opaque"),
    ]

    static func json(_ text: String) -> [String: Any] {
        let line = text.split(separator: "\n").last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }

    static func trimmed(_ result: PostgresServer.CommandResult) -> String {
        result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: psql

    @Test(arguments: backends)
    func psqlResultsMatchTheServerAndScriptsRun(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let log = { gateway.gatewayLogTail }

        // psql -c: the same bytes as the same query run directly.
        let query = "SELECT id, name, qty FROM items ORDER BY id"
        let through = try gateway.psql(query)
        let direct = try gateway.directPsql(["-c", query])
        #expect(through.status == 0, "\(through.error)\n\(log())")
        #expect(direct.status == 0, "\(direct.error)")
        #expect(through.output == direct.output)
        #expect(through.output.split(separator: "\n").count == PostgresGatewayFixture.itemRows)

        // The upstream role is the resource's, not the client's.
        #expect(Self.trimmed(try gateway.psql("SELECT current_user, current_database()")) == "it_app|itdb")

        // psql's catalog queries (\d) read the same.
        let describeThrough = try gateway.psql(["-c", "\\d items"])
        let describeDirect = try gateway.directPsql(["-c", "\\d items"])
        #expect(describeThrough.status == 0, "\(describeThrough.error)\n\(log())")
        #expect(describeThrough.output == describeDirect.output)

        // psql -f: several statements, one Query each, in a transaction.
        let script = gateway.directory + "/allowed.sql"
        try """
            BEGIN;
            INSERT INTO scratch (note) VALUES ('from-script-1');
            INSERT INTO scratch (note) VALUES ('from-script-2');
            UPDATE scratch SET note = note || '!' WHERE note LIKE 'from-script-%';
            COMMIT;
            SELECT note FROM scratch WHERE note LIKE 'from-script-%' ORDER BY note;
            SELECT count(*) FROM items;

            """.write(toFile: script, atomically: true, encoding: .utf8)
        let scripted = try gateway.psql(["-f", script])
        #expect(scripted.status == 0, "\(scripted.error)\n\(log())")
        #expect(Self.trimmed(scripted) == "from-script-1!\nfrom-script-2!\n100")

        // ON_ERROR_STOP=0: denied statements print their 42501 error, later allowed ones run.
        let mixed = gateway.directory + "/mixed.sql"
        try """
            SELECT 'before';
            DROP TABLE items;
            SELECT 'between';
            DELETE FROM items;
            INSERT INTO scratch (note) VALUES ('after-denied');
            TRUNCATE items;
            SELECT count(*) FROM items;

            """.write(toFile: mixed, atomically: true, encoding: .utf8)
        let mixedRun = try gateway.psql(["-f", mixed], stopOnError: false)
        #expect(mixedRun.status == 0, "\(mixedRun.error)\n\(log())")
        #expect(Self.trimmed(mixedRun) == "before\nbetween\n100", "\(mixedRun.error)")
        let errors = mixedRun.error.split(separator: "\n").filter { $0.contains("ERROR:") }
        #expect(errors.count == 3, "\(mixedRun.error)")
        #expect(errors.allSatisfy { $0.contains("42501") }, "\(mixedRun.error)")
        for className in ["drop", "delete-without-where", "truncate"] {
            #expect(mixedRun.error.contains(className), "no '\(className)' in: \(mixedRun.error)")
        }
        #expect(mixedRun.error.contains(PostgresGatewayFixture.denyRule), "\(mixedRun.error)")
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'after-denied'") == "1")

        // psql's default sslmode=prefer: the gateway answers SSLRequest with 'N' and the login goes on.
        let prefer = try gateway.psql("SELECT 'prefer-ok'", sslmode: "prefer")
        #expect(prefer.status == 0, "\(prefer.error)\n\(log())")
        #expect(Self.trimmed(prefer) == "prefer-ok")

        // Startup options (PGOPTIONS) are decided like SET and every one of them reaches the server.
        let options = try gateway.client(
            "/usr/bin/psql", ["-X", "-q", "-A", "-t", "-w", "-d", gateway.dsn(), "-c", "SHOW statement_timeout", "-c", "SHOW lock_timeout"],
            environment: ["PGPASSWORD": gateway.token, "PGOPTIONS": "-c statement_timeout=4321 -c lock_timeout=1234"])
        #expect(options.status == 0, "\(options.error)\n\(log())")
        #expect(Self.trimmed(options) == "4321ms\n1234ms", "PGOPTIONS with two settings: \(options.output)")

        // The MD5 resource (password from the environment) logs in as it_md5.
        let md5 = try gateway.psql("SELECT current_user, count(*) FROM items", port: gateway.md5Port)
        #expect(md5.status == 0, "\(md5.error)\n\(log())")
        #expect(Self.trimmed(md5) == "it_md5|100")

        #expect(gateway.itemsFingerprint().hasPrefix("100|15150|"))
    }

    // MARK: Blocking, checked on the server

    @Test(arguments: backends)
    func destructiveStatementsAreBlockedInEveryFormAndTheServerIsIntact(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let before = gateway.itemsFingerprint()
        #expect(before.hasPrefix("100|15150|"), "\(before)")
        let log = { gateway.gatewayLogTail }

        // Simple protocol, psql -c, one statement each: 42501 naming rule and class.
        for (sql, className) in Self.destructive {
            let result = try gateway.psql(sql)
            #expect(result.status != 0, "\(sql) was not refused")
            #expect(result.error.contains("42501"), "\(sql): \(result.error)\n\(log())")
            #expect(result.error.contains(PostgresGatewayFixture.denyRule), "\(sql): \(result.error)")
            #expect(result.error.contains(className), "\(sql): \(result.error)")
            #expect(gateway.itemsFingerprint() == before, "after \(sql)")
        }

        // Multi-statement simple queries: the whole Query is refused, nothing of it runs
        // (PostgreSQL runs one Query as one implicit transaction).
        for sql in ["SELECT 1; DROP TABLE items", "DROP TABLE items; SELECT 1",
                    "INSERT INTO scratch (note) VALUES ('multi-insert'); DELETE FROM items",
                    "/* comment */ drop table PUBLIC.Items", "SELECT 1; DO $$ BEGIN PERFORM 1; END $$",
                    "PREPARE rg_delete AS DELETE FROM items", "EXPLAIN ANALYZE DELETE FROM items",
                    "WITH gone AS (DELETE FROM items RETURNING id) SELECT count(*) FROM gone"] {
            let result = try gateway.psql(sql)
            #expect(result.status != 0, "\(sql) was not refused")
            #expect(result.error.contains("42501"), "\(sql): \(result.error)\n\(log())")
            #expect(gateway.itemsFingerprint() == before, "after \(sql)")
        }
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'multi-insert'") == "0")

        // review: held for approval, answered with an error; nothing granted.
        let grant = try gateway.psql("GRANT SELECT ON items TO PUBLIC")
        #expect(grant.status != 0)
        #expect(grant.error.lowercased().contains("approval required"), "\(grant.error)\n\(log())")
        #expect(gateway.itemsFingerprint() == before, "after GRANT")

        // psycopg 3 (simple, prepared, binary, parameters, pipeline, in a transaction) and psycopg2.
        let run = try gateway.python(PostgresGatewayScripts.blocked, [gateway.dsn(password: gateway.token)])
        #expect(run.status == 0, "\(run.error)\n\(log())")
        let outcomes = Self.json(run.output)
        #expect(!outcomes.isEmpty, "\(run.output)\n\(run.error)")
        for (key, value) in outcomes.sorted(by: { $0.key < $1.key }) {
            if let outcome = value as? [String: Any] {
                let state = outcome["state"] as? String
                #expect(state == "42501", "\(key): \(outcome)")
                if let after = outcome["after"] {
                    #expect(after as? Int == 100, "\(key): allowed statement afterwards gave \(after)")
                }
                let label = String(key.split(separator: "/").first ?? "")
                if state == "42501", label != "multi", label != "pipeline", label != "transaction",
                   let message = outcome["message"] as? String {
                    #expect(message.contains(PostgresGatewayFixture.denyRule) && message.contains(label),
                            "\(key): message \(message)")
                }
            }
        }
        #expect(outcomes["pipeline/before"] as? Int == 100)
        #expect(outcomes["pipeline/after"] as? Int == 100)
        #expect(outcomes["transaction/after"] as? Int == 100)
        // Dropped up to Sync: the INSERT queued after the denied statement never ran; the one after the Sync did.
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'pipeline-after-denied'") == "0")
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'pipeline-after-sync'") == "1")

        // Straight from the server: same rows, same columns, no grants, the table is there.
        #expect(gateway.itemsFingerprint() == before)
        #expect(try gateway.superuser("SELECT count(*) FROM items") == "100")
        #expect(try gateway.superuser("SELECT to_regclass('public.items_renamed_1') IS NULL") == "t")

        // The audit log: session_start, statement (allowed and denied, naming rule and class), session_end.
        #expect(PostgresGatewayFixture.waitForAudit(gateway, kind: "session_end"), "\(gateway.auditText)")
        let events = gateway.auditEvents
        let starts = events.filter { $0["kind"] as? String == "session_start" }
        #expect(!starts.isEmpty, "no session_start in \(gateway.auditText)")
        if let start = starts.first {
            #expect(start["identity"] as? String == PostgresGatewayFixture.identity)
            #expect(start["resource"] as? String == PostgresGatewayFixture.resource)
            #expect(start["upstream_user"] as? String == "it_app")
            #expect(start["database"] as? String == "itdb")
            #expect(start["session_id"] != nil)
        }
        let statements = events.filter { $0["kind"] as? String == "statement" }
        let denied = statements.filter { $0["action"] as? String == "deny" }
        #expect(statements.contains { $0["action"] as? String == "allow" }, "no allowed statement event")
        #expect(denied.contains {
            $0["rule"] as? String == PostgresGatewayFixture.denyRule && ($0["classes"] as? [String] ?? []).contains("drop")
        }, "no denied drop statement event: \(denied.prefix(3))")
        #expect(statements.contains { $0["action"] as? String == "review" }, "no review statement event")
        let ends = events.filter { $0["kind"] as? String == "session_end" }
        #expect(ends.contains { $0["close_reason"] != nil }, "\(ends.prefix(2))")
        // Each psql session above received rows and errors: its session_end must count them.
        #expect(ends.contains { ($0["bytes_out"] as? Int ?? 0) > 0 && ($0["bytes_in"] as? Int ?? 0) > 0 },
                "session_end bytes are zero: \(ends.prefix(2))")
        #expect(!gateway.auditText.contains("DROP TABLE items"), "statement text in the audit log")
    }

    @Test(arguments: backends)
    func rawProtocolDenialsAnswerErrorThenReadyForQuery(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let before = gateway.itemsFingerprint()
        let client = try RawPostgresClient(port: gateway.port)
        defer { gateway.record(client.received) }
        let login = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
        #expect(login.processID != 0 || login.secretKey != 0, "no BackendKeyData: \(login.messages)")
        #expect(login.parameters["server_version"]?.hasPrefix("15") == true, "\(login.parameters)")
        #expect(login.messages.last?.body == [UInt8(ascii: "I")])

        func kinds(_ messages: [BackendMessage]) -> String { String(messages.map(\.kind)) }

        // Simple Query denied: exactly ErrorResponse then ReadyForQuery(I).
        try client.send(PostgresWire.query("DROP TABLE items"))
        let simple = try client.untilReady()
        #expect(kinds(simple) == "EZ", "\(simple)")
        #expect(simple.first?.sqlstate == "42501")
        #expect(simple.first?.fields["S"] == "ERROR")
        let message = simple.first?.fields["M"] ?? ""
        #expect(message.contains(PostgresGatewayFixture.denyRule) && message.contains("drop"), "\(message)")
        #expect(simple.last?.body == [UInt8(ascii: "I")])

        // Extended: a denied Parse answers ErrorResponse, drops Bind/Execute, then ReadyForQuery at Sync.
        try client.send(PostgresWire.parse("", "TRUNCATE items") + PostgresWire.bind() + PostgresWire.execute()
                        + PostgresWire.sync)
        let extended = try client.untilReady()
        #expect(kinds(extended) == "EZ", "\(extended)")
        #expect(extended.first?.sqlstate == "42501")

        // Allowed before, denied in the middle, allowed after, one Sync: the first runs,
        // the rest up to Sync is dropped.
        try client.send(PostgresWire.parse("", "SELECT 41") + PostgresWire.bind() + PostgresWire.execute()
                        + PostgresWire.parse("", "DELETE FROM items") + PostgresWire.bind() + PostgresWire.execute()
                        + PostgresWire.parse("", "INSERT INTO scratch (note) VALUES ('raw-after-denied')")
                        + PostgresWire.bind() + PostgresWire.execute() + PostgresWire.sync)
        let mixed = try client.untilReady()
        #expect(kinds(mixed) == "12DCEZ", "\(mixed)")
        #expect(mixed.first { $0.kind == "D" }?.firstColumn == "41")
        #expect(mixed.first { $0.kind == "E" }?.sqlstate == "42501")
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'raw-after-denied'") == "0")

        // A named statement that was denied does not exist afterwards; allowed named ones work.
        try client.send(PostgresWire.parse("s_ok", "SELECT count(*) FROM items") + PostgresWire.sync)
        #expect(kinds(try client.untilReady()) == "1Z")
        try client.send(PostgresWire.bind(statement: "s_ok") + PostgresWire.execute() + PostgresWire.sync)
        let named = try client.untilReady()
        #expect(kinds(named) == "2DCZ", "\(named)")
        #expect(named.first { $0.kind == "D" }?.firstColumn == "100")

        // Review in extended protocol: an error that says approval is required.
        try client.send(PostgresWire.parse("", "GRANT SELECT ON items TO PUBLIC") + PostgresWire.bind()
                        + PostgresWire.execute() + PostgresWire.sync)
        let review = try client.untilReady()
        #expect(kinds(review) == "EZ", "\(review)")
        let reviewMessage = (review.first?.fields["M"] ?? "").lowercased()
        #expect(reviewMessage.contains("approval required"), "\(review)")

        // Inside a transaction block: the denial leaves the session usable; ROLLBACK ends it.
        try client.send(PostgresWire.query("BEGIN"))
        #expect(try client.untilReady().last?.body == [UInt8(ascii: "T")])
        try client.send(PostgresWire.query("ALTER TABLE items DROP COLUMN qty"))
        let inTransaction = try client.untilReady()
        #expect(inTransaction.first?.sqlstate == "42501", "\(inTransaction)")
        let status = inTransaction.last?.body.first.map { Character(Unicode.Scalar($0)) }
        #expect(status == "T" || status == "E", "ReadyForQuery status \(String(describing: status))")
        try client.send(PostgresWire.query("ROLLBACK"))
        #expect(try client.untilReady().last?.body == [UInt8(ascii: "I")])

        // And plain queries still flow.
        try client.send(PostgresWire.query("SELECT count(*) FROM items"))
        let after = try client.untilReady()
        #expect(after.first { $0.kind == "D" }?.firstColumn == "100", "\(after)")
        try client.send(PostgresWire.terminate)
        #expect(try client.untilClosed().isEmpty)
        #expect(gateway.itemsFingerprint() == before)
    }

    // MARK: Transaction semantics of a refusal

    /// PostgreSQL semantics a client relies on: an error aborts the implicit transaction of
    /// its Sync batch (what ran before it in the batch is rolled back) and an explicit
    /// transaction block (ReadyForQuery 'E'; COMMIT then rolls back). A refusal the server never
    /// saw must not commit what the server would have rolled back.
    @Test(arguments: backends)
    func aRefusalAbortsTheTransactionLikeAServerError(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let client = try RawPostgresClient(port: gateway.port)
        defer { gateway.record(client.received) }
        _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)

        // Extended protocol: INSERT, then a denied statement, one Sync.
        try client.send(PostgresWire.parse("", "INSERT INTO scratch (note) VALUES ('batch-before-denied')")
                        + PostgresWire.bind() + PostgresWire.execute()
                        + PostgresWire.parse("", "DROP TABLE items") + PostgresWire.bind() + PostgresWire.execute()
                        + PostgresWire.sync)
        let batch = try client.untilReady()
        #expect(batch.contains { $0.sqlstate == "42501" }, "\(batch)")
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'batch-before-denied'") == "0",
                "the INSERT before a refused statement in the same Sync batch was committed")

        // Explicit transaction: BEGIN; INSERT; denied; COMMIT.
        for sql in ["BEGIN", "INSERT INTO scratch (note) VALUES ('block-before-denied')"] {
            try client.send(PostgresWire.query(sql))
            _ = try client.untilReady()
        }
        try client.send(PostgresWire.query("TRUNCATE items"))
        let refused = try client.untilReady()
        #expect(refused.first?.sqlstate == "42501", "\(refused)")
        #expect(refused.last?.body == [UInt8(ascii: "E")], "ReadyForQuery after a refusal in a transaction block: \(refused)")
        try client.send(PostgresWire.query("COMMIT"))
        let commit = try client.untilReady()
        #expect(commit.last?.body == [UInt8(ascii: "I")], "\(commit)")
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'block-before-denied'") == "0",
                "COMMIT after a refused statement committed the transaction")
        try client.send(PostgresWire.terminate)
    }

    /// A refusal answered at Sync goes right before the server's ReadyForQuery, wherever the
    /// read boundaries fall. PostgreSQL flushes its output every 8 KiB, so a result of
    /// 8 KiB minus a few bytes puts that ReadyForQuery across two reads of the gateway.
    /// Every batch must still show the refusal, and the session must go on answering.
    @Test(arguments: backends)
    func refusalsAtSyncSurviveAReadyForQuerySplitAcrossReads(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let client = try RawPostgresClient(port: gateway.port)
        defer { gateway.record(client.received) }
        _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
        var wrong: [String] = []
        for flushes in [1, 2, 3] {
            for split in [1, 2, 3, 4, 5, 1, 3, 5] {
                // 1 + 2 + D (11 + n) + C "SELECT 1" (14) = 35 + n bytes before the ReadyForQuery.
                let n = 8192 * flushes - split - 35
                try client.send(PostgresWire.parse("", "SELECT repeat('x', \(n))") + PostgresWire.bind()
                                + PostgresWire.execute() + PostgresWire.parse("", "DROP TABLE items") + PostgresWire.sync)
                let kinds = String(try client.untilReady().map(\.kind))
                if kinds != "12DCEZ" { wrong.append("repeat('x', \(n)): \(kinds)") }
            }
        }
        #expect(wrong.isEmpty, "refusal missing or misplaced: \(wrong)")
        // The session still answers a refused Query.
        try client.send(PostgresWire.query("TRUNCATE items"))
        let after = try client.untilReady()
        #expect(String(after.map(\.kind)) == "EZ", "\(after)")
        #expect(after.first?.sqlstate == "42501")
        try client.send(PostgresWire.terminate)
    }

    /// PostgreSQL discards every message after an error up to Sync, a Query included; the
    /// gateway must not run what the server would have discarded.
    @Test(arguments: backends)
    func messagesAfterADeniedParseAreDiscardedUntilSync(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let client = try RawPostgresClient(port: gateway.port)
        defer { gateway.record(client.received) }
        _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
        try client.send(PostgresWire.parse("", "DROP TABLE items") + PostgresWire.bind() + PostgresWire.execute()
                        + PostgresWire.query("INSERT INTO scratch (note) VALUES ('query-while-skipping')")
                        + PostgresWire.sync)
        let answer = try client.untilReady()
        #expect(String(answer.map(\.kind)) == "EZ", "\(answer)")
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note = 'query-while-skipping'") == "0",
                "a Query sent after a denied Parse and before Sync ran")
        try client.send(PostgresWire.terminate)
    }

    // MARK: Reload

    /// CONFIG.md: "A new policy takes effect for every open session at its next statement".
    /// That includes executing a statement prepared (and allowed) under the old policy.
    @Test(arguments: backends)
    func aReloadedPolicyAppliesToOpenSessionsAndPreparedStatements(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let client = try RawPostgresClient(port: gateway.port)
        defer { gateway.record(client.received) }
        _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
        try client.send(PostgresWire.parse("s_count", "SELECT count(*) FROM items") + PostgresWire.sync)
        #expect(String(try client.untilReady().map(\.kind)) == "1Z")

        // Reading becomes denied.
        let config = try String(contentsOfFile: gateway.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "deny: [drop,", with: "deny: [read, drop,")
            .write(toFile: gateway.configPath, atomically: true, encoding: .utf8)
        gateway.gateway.signal(SIGHUP)
        #expect(PostgresGatewayFixture.waitForAudit(gateway, kind: "policy_reloaded"), "\(gateway.gatewayLogTail)")

        try client.send(PostgresWire.query("SELECT count(*) FROM items"))
        let query = try client.untilReady()
        #expect(query.first?.sqlstate == "42501", "a new Query under the new policy: \(query)")
        try client.send(PostgresWire.bind(statement: "s_count") + PostgresWire.execute() + PostgresWire.sync)
        let prepared = try client.untilReady()
        #expect(!prepared.contains { $0.kind == "D" }, "a statement prepared under the old policy still returns rows: \(prepared)")
        // New sessions get the new policy too.
        let fresh = try gateway.psql("SELECT count(*) FROM items")
        #expect(fresh.status != 0 && fresh.error.contains("42501"), "\(fresh.output)\(fresh.error)")
        try client.send(PostgresWire.terminate)
    }

    @Test(arguments: backends)
    func aRevokedTokensSessionIsClosedAtItsNextStatement(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let client = try RawPostgresClient(port: gateway.port)
        defer { gateway.record(client.received) }
        _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
        try client.send(PostgresWire.query("SELECT 1"))
        #expect(String(try client.untilReady().map(\.kind)) == "TDCZ")

        let tokenID = try #require(PostgresGatewayFixture.tokenID(gateway.token))
        let revoke = try PostgresGatewayFixture.runRinggate(
            ["token", "revoke", "--file", gateway.directory + "/revoked-tokens", "--jti=\(tokenID)"])
        try PostgresGatewayFixture.check(revoke, "ringgate token revoke")
        gateway.gateway.signal(SIGHUP)

        // Until the reload is through, statements still run; then the next one ends the session.
        var refused: [BackendMessage] = []
        for _ in 0..<100 where refused.isEmpty {
            try client.send(PostgresWire.query("SELECT 1"))
            let answer = try client.untilClosedOrReady()
            if answer.contains(where: { $0.kind == "E" }) { refused = answer } else { usleep(100_000) }
        }
        #expect(refused.first { $0.kind == "E" }?.sqlstate == "28000", "\(refused)\n\(gateway.gatewayLogTail)")
        let fresh = try gateway.psql("SELECT 1")
        #expect(fresh.status != 0, "a new login with the revoked token is refused too")
    }

    // MARK: Client libraries

    @Test(arguments: backends)
    func psycopgAndPsycopg2ReadAndWriteLikeDirect(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let through = try gateway.python(PostgresGatewayScripts.reads, [gateway.dsn(password: gateway.token)])
        let direct = try gateway.python(PostgresGatewayScripts.reads, [gateway.directDSN])
        #expect(direct.status == 0, "\(direct.error)")
        #expect(through.status == 0, "\(through.error)\n\(gateway.gatewayLogTail)")
        #expect(!through.output.isEmpty)
        #expect(through.output == direct.output)
        let reads = Self.json(through.output)
        #expect((reads["text_rows"] as? [Any])?.count == 100)
        #expect((reads["named_cursor"] as? [Any])?.count == 40)
        #expect((reads["named_cursor_binary"] as? [Any])?.count == 10)

        let writes = try gateway.python(PostgresGatewayScripts.writes, [gateway.dsn(password: gateway.token)])
        #expect(writes.status == 0, "\(writes.error)\n\(gateway.gatewayLogTail)")
        let written = Self.json(writes.output)
        #expect(written["psycopg3"] as? [String] == ["psycopg3-many-1!", "psycopg3-many-2!", "psycopg3-param!"])
        #expect(written["psycopg2"] as? [String] == ["psycopg2-param"])
        #expect(written["psycopg2_returning"] as? Bool == true)
        #expect(try gateway.superuser("SELECT count(*) FROM scratch WHERE note LIKE 'psycopg%'") == "4")
    }

    @Test(arguments: backends)
    func pgbenchRunsInEveryQueryMode(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        // pgbench -i directly against the server, as the upstream role.
        let initialize = try PostgresServer.run(
            asServerUser: false, "/usr/bin/pgbench",
            ["-i", "-s", "1", "-q", "-h", gateway.server.socketDirectory, "-p", String(gateway.server.port),
             "-U", "it_app", PostgresGatewayFixture.database])
        #expect(initialize.status == 0, "\(initialize.error)")
        let historyBefore = try gateway.superuser("SELECT count(*) FROM pgbench_history")

        var expectedHistory = Int(historyBefore) ?? 0
        for mode in ["simple", "extended", "prepared"] {
            for builtin in [["-S"], ["-b", "tpcb-like"]] {
                let arguments = ["-n", "-M", mode, "-c", "2", "-j", "1", "-t", "25", "-h", "127.0.0.1",
                                 "-p", String(gateway.port), "-U", PostgresGatewayFixture.identity]
                    + builtin + [PostgresGatewayFixture.database]
                let result = try gateway.client("/usr/bin/pgbench", arguments, environment: ["PGPASSWORD": gateway.token])
                let what = "pgbench -M \(mode) \(builtin.joined(separator: " "))"
                #expect(result.status == 0, "\(what): \(result.error)\n\(gateway.gatewayLogTail)")
                #expect(result.output.contains("number of transactions actually processed: 50/50"), "\(what): \(result.output)")
                #expect(result.output.contains("number of failed transactions: 0 "), "\(what): \(result.output)")
                if builtin.contains("tpcb-like") { expectedHistory += 50 }
            }
        }
        // Every tpcb-like transaction really committed on the server.
        #expect(try gateway.superuser("SELECT count(*) FROM pgbench_history") == String(expectedHistory))
    }

    // MARK: Tokens

    @Test(arguments: backends)
    func wrongExpiredAndForeignTokensAreRefused(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let log = { gateway.gatewayLogTail }

        func refusedByPsql(_ token: String, user: String = PostgresGatewayFixture.identity, _ what: String) throws {
            let result = try gateway.psql("SELECT 'should-not-run'", token: token, user: user)
            #expect(result.status != 0, "\(what): accepted")
            #expect(!result.output.contains("should-not-run"), "\(what)")
            // libpq prints no SQLSTATE for a failed connection; the wire checks below read it.
            #expect(result.error.contains("FATAL:") && (result.error.contains("password authentication failed")
                    || result.error.contains("does not match the identity of the token")), "\(what): \(result.error)\n\(log())")
        }

        func refusedOnTheWire(_ token: String, user: String = PostgresGatewayFixture.identity, _ what: String) throws {
            let client = try RawPostgresClient(port: gateway.port)
            let messages = try client.failedLogin(user: user, token: token)
            gateway.record(client.received)
            let error = messages.first { $0.kind == "E" }
            #expect(error != nil, "\(what): no ErrorResponse, got \(messages)")
            #expect(error?.fields["S"] == "FATAL", "\(what): \(messages)")
            #expect(["28P01", "28000"].contains(error?.sqlstate ?? ""), "\(what): \(messages)")
            #expect(!messages.contains { $0.kind == "Z" || $0.kind == "K" }, "\(what): got a session: \(messages)")
        }

        func accepted() throws {
            let result = try gateway.psql("SELECT 'ok'")
            #expect(Self.trimmed(result) == "ok", "\(result.error)\n\(log())")
        }

        // The failure limiter blocks an address after 5 failures; a success clears it, so
        // the failures below are interleaved with successful logins.
        try refusedByPsql("not-a-token", "garbage password")
        try refusedOnTheWire("not-a-token", "garbage password")
        try accepted()

        // Signed by another key.
        let otherKey = gateway.directory + "/other.key"
        try PostgresGatewayFixture.check(try PostgresGatewayFixture.runRinggate(["token", "keygen", "--out", otherKey]), "keygen")
        let foreign = try PostgresGatewayFixture.check(
            PostgresGatewayFixture.runRinggate(["token", "issue", "--key", otherKey, "--identity", PostgresGatewayFixture.identity,
                                                "--groups", PostgresGatewayFixture.group, "--ttl", "15m", "--resources", "pg-it"]))
        try refusedByPsql(foreign, "token signed by another key")
        try refusedOnTheWire(foreign, "token signed by another key")
        try accepted()

        // Another identity than the startup user; the upstream role's name as the user.
        let someoneElse = try gateway.issueToken(identity: "someone-else")
        try refusedByPsql(someoneElse, "token for someone-else, user it-agent")
        try refusedOnTheWire(someoneElse, "token for someone-else, user it-agent")
        try accepted()
        try refusedOnTheWire(gateway.token, user: "it_app", "it-agent's token, user it_app")
        try accepted()
        // The same token is fine for its own identity (same group, so the same policy).
        let own = try gateway.psql("SELECT current_user", token: someoneElse, user: "someone-else")
        #expect(Self.trimmed(own) == "it_app", "\(own.error)\n\(log())")

        // A token for another resource only.
        let otherResource = try gateway.issueToken(resources: "pg-it-md5")
        try refusedByPsql(otherResource, "token for pg-it-md5 only")
        try accepted()

        // Expired (ttl 1s, clock_skew 0s).
        let shortLived = try gateway.issueToken(ttl: "1s")
        sleep(3)
        try refusedByPsql(shortLived, "expired token")
        try refusedOnTheWire(shortLived, "expired token")
        try accepted()

        // Refusals are audited, without the token.
        #expect(PostgresGatewayFixture.waitForAudit(gateway, kind: "authentication_rejected"), "\(gateway.auditText)")
        for token in [foreign, someoneElse, otherResource, shortLived] {
            #expect(!gateway.auditText.contains(token) && !gateway.gatewayStderr.contains(token), "a refused token was logged")
        }
    }

    @Test(arguments: backends)
    func plaintextLoginsOnlyFromLoopback(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        // pg-it-wide listens on 0.0.0.0: from loopback the login works ...
        let local = try gateway.psql("SELECT 'wide-ok'", port: gateway.widePort)
        #expect(Self.trimmed(local) == "wide-ok", "\(local.error)\n\(gateway.gatewayLogTail)")
        // ... from this machine's other address the gateway must not ask for a cleartext password.
        let address = try #require(PostgresGatewayFixture.nonLoopbackIPv4(), "no non-loopback IPv4 address here")
        let client = try RawPostgresClient(host: address, port: gateway.widePort)
        try client.send(PostgresWire.startup(user: PostgresGatewayFixture.identity, database: "itdb"))
        let first = try client.message()
        gateway.record(client.received)
        #expect(first?.kind != "R", "asked for a password from \(address): \(String(describing: first))")
        if first?.kind == "R" {
            // Do not hand the token over a non-loopback connection; just leave.
            return
        }
        #expect(first?.kind == "E" && first?.fields["S"] == "FATAL", "\(String(describing: first))")
        #expect(try client.untilClosed().isEmpty)
    }

    @Test(arguments: backends)
    func repeatedFailuresBlockTheClientAddress(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        for attempt in 1...5 {
            let client = try RawPostgresClient(port: gateway.port)
            let messages = try client.failedLogin(user: PostgresGatewayFixture.identity, token: "bad-\(attempt)")
            #expect(messages.first { $0.kind == "E" } != nil, "attempt \(attempt): \(messages)")
        }
        // Blocked now: even the valid token is refused (until the window passes).
        let blocked = try gateway.psql("SELECT 'should-not-run'")
        #expect(blocked.status != 0, "a blocked address logged in")
        #expect(!blocked.output.contains("should-not-run"))
    }

    // MARK: Cancel

    @Test(arguments: backends)
    func cancelRequestReachesTheRealBackend(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let run = try gateway.python(PostgresGatewayScripts.cancel, [gateway.dsn(password: gateway.token)])
        #expect(run.status == 0, "\(run.error)\n\(gateway.gatewayLogTail)")
        let outcome = Self.json(run.output)
        #expect(outcome["psycopg3"] as? String == "canceled:57014", "\(run.output)\n\(gateway.gatewayLogTail)")
        #expect((outcome["psycopg3_seconds"] as? Double ?? 99) < 10)
        #expect(outcome["psycopg3_after"] as? Int == 7)
        #expect(outcome["psycopg2"] as? String == "canceled:57014", "\(run.output)")
        #expect((outcome["psycopg2_seconds"] as? Double ?? 99) < 10)
        #expect(outcome["psycopg2_after"] as? Int == 8)

        // On the wire: a wrong key cancels nothing; the right key cancels the running query.
        let client = try RawPostgresClient(port: gateway.port, receiveTimeoutSeconds: 20)
        defer { gateway.record(client.received) }
        let login = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
        try client.send(PostgresWire.query("SELECT pg_sleep(1.5)"))
        #expect(try gateway.waitFor("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(1.5)' AND state = 'active'",
                                    toReturn: "1"))
        let wrong = try RawPostgresClient(port: gateway.port)
        try wrong.send(PostgresWire.cancel(processID: login.processID, secretKey: login.secretKey ^ 0x5A5A))
        _ = try? wrong.untilClosed()
        let uncancelled = try client.untilReady()
        #expect(!uncancelled.contains { $0.kind == "E" }, "a wrong cancel key cancelled: \(uncancelled)")

        try client.send(PostgresWire.query("SELECT pg_sleep(30)"))
        #expect(try gateway.waitFor("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'",
                                    toReturn: "1"))
        let started = ContinuousClock.now
        let right = try RawPostgresClient(port: gateway.port)
        try right.send(PostgresWire.cancel(processID: login.processID, secretKey: login.secretKey))
        #expect(try right.untilClosed().isEmpty, "the cancel connection got an answer")
        let cancelled = try client.untilReady()
        #expect(cancelled.first { $0.kind == "E" }?.sqlstate == "57014", "\(cancelled)")
        #expect(ContinuousClock.now - started < .seconds(10))
        try client.send(PostgresWire.query("SELECT 'still-here'"))
        #expect(try client.untilReady().first { $0.kind == "D" }?.firstColumn == "still-here")
    }

    // MARK: Bad input

    @Test(arguments: backends)
    func malformedAndAbandonedClientsDoNotHurtTheGateway(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }

        func stillServes(_ after: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(gateway.gatewayIsRunning, "gateway died after \(after): \(gateway.gatewayLogTail)", sourceLocation: sourceLocation)
            let result = try gateway.psql("SELECT 'alive'")
            #expect(Self.trimmed(result) == "alive", "after \(after): \(result.error)\n\(gateway.gatewayLogTail)",
                    sourceLocation: sourceLocation)
        }

        func closedByGateway(_ bytes: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let client = try RawPostgresClient(port: gateway.port)
            try client.send(bytes)
            let messages: [BackendMessage]
            do {
                messages = try client.untilClosed()
            } catch {
                Issue.record("\(what): not closed: \(error)", sourceLocation: sourceLocation)
                return
            }
            gateway.record(client.received)
            #expect(messages.allSatisfy { $0.kind == "E" }, "\(what): \(messages)", sourceLocation: sourceLocation)
            try stillServes(what, sourceLocation: sourceLocation)
        }

        try closedByGateway([UInt8](repeating: 0xFF, count: 64), "64 bytes of 0xFF")
        try closedByGateway(Array("GET / HTTP/1.1\r\nHost: ringgate\r\n\r\n".utf8), "an HTTP request")
        try closedByGateway(PostgresWire.int32(8) + PostgresWire.int32(0x0004_0000), "protocol 4.0")
        try closedByGateway(PostgresWire.int32(8) + PostgresWire.int32(1234), "an unknown request code")
        try closedByGateway(PostgresWire.int32(12) + PostgresWire.int32(80_877_102) + PostgresWire.int32(1), "a short CancelRequest")

        // SSLRequest and GSSENCRequest: 'N', then a normal login on the same connection.
        for (request, name) in [(PostgresWire.sslRequest, "SSLRequest"), (PostgresWire.gssEncRequest, "GSSENCRequest")] {
            let client = try RawPostgresClient(port: gateway.port)
            try client.send(request)
            #expect(try client.byte() == UInt8(ascii: "N"), "\(name)")
            let login = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
            #expect(login.messages.last?.kind == "Z")
            gateway.record(client.received)
        }

        // A truncated startup, then close.
        do {
            let client = try RawPostgresClient(port: gateway.port)
            try client.send(Array(PostgresWire.startup(user: PostgresGatewayFixture.identity, database: "itdb").prefix(11)))
        }
        try stillServes("a truncated startup")
        // A startup, the password request, then close without answering.
        do {
            let client = try RawPostgresClient(port: gateway.port)
            try client.send(PostgresWire.startup(user: PostgresGatewayFixture.identity, database: "itdb"))
            #expect(try client.message()?.kind == "R")
        }
        try stillServes("a login abandoned at the password")

        // After login: a frame with an impossible length, and one that claims 2 GiB.
        for (bytes, what) in [([UInt8(ascii: "Q")] + PostgresWire.int32(2), "a Query of length 2"),
                              ([UInt8(ascii: "Q")] + PostgresWire.int32(0x7FFF_FFF0) + Array("SELECT".utf8), "a 2 GiB Query"),
                              ([0x00] + PostgresWire.int32(8) + PostgresWire.int32(0), "message type 0")] {
            let client = try RawPostgresClient(port: gateway.port)
            _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
            try client.send(bytes)
            do {
                let messages = try client.untilClosed()
                #expect(messages.allSatisfy { $0.kind == "E" || $0.kind == "N" }, "\(what): \(messages)")
            } catch {
                Issue.record("\(what): not closed: \(error)")
            }
            gateway.record(client.received)
            try stillServes(what)
        }

        // A client that disconnects in the middle of a large result.
        do {
            let client = try RawPostgresClient(port: gateway.port)
            _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
            try client.send(PostgresWire.query("SELECT g, repeat('x', 200) FROM generate_series(1, 5000000) g"))
            let read = try client.drain(atLeast: 2 << 20)
            #expect(read >= 2 << 20)
            var hardClose = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &hardClose, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        try stillServes("a client gone mid-result")
        // Its upstream session goes too (the backend is not left streaming into the gateway).
        #expect(try gateway.waitFor("""
            SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT g, repeat%' AND backend_type = 'client backend'
            """, toReturn: "0"), "the upstream backend of a gone client is still running")

        // Many short sessions in a row still work and leave no upstream sessions behind.
        for index in 0..<20 {
            let client = try RawPostgresClient(port: gateway.port)
            _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
            if index.isMultiple(of: 2) { try client.send(PostgresWire.terminate) }
        }
        try stillServes("20 short sessions")
    }
}

extension PostgresGatewayTests {
    /// PostgreSQL reads a startup packet's length first and closes at once on one below 8
    /// ("invalid length of startup packet"); it does not wait for more bytes.
    @Test(arguments: backends)
    func aStartupLengthBelowEightIsRefusedAtOnce(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let client = try RawPostgresClient(port: gateway.port, receiveTimeoutSeconds: 10)
        try client.send(PostgresWire.int32(4))
        let started = ContinuousClock.now
        var closed = (try? client.untilClosed()) != nil
        #expect(closed, "a 4-byte startup packet is not refused within 10 s")
        if !closed {
            // At least the authentication deadline (30 s) must end it.
            closed = (try? client.untilClosed()) != nil || (try? client.untilClosed()) != nil
                || (try? client.untilClosed()) != nil
            #expect(closed, "not closed after \(ContinuousClock.now - started)")
        }
        let result = try gateway.psql("SELECT 'alive'")
        #expect(Self.trimmed(result) == "alive", "\(result.error)\n\(gateway.gatewayLogTail)")
    }
}

extension PostgresGatewayFixture {
    /// Waits (bounded) until the audit log has an event of `kind`.
    static func waitForAudit(_ gateway: PostgresGatewayFixture, kind: String, timeout: Duration = .seconds(15)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if gateway.auditEvents.contains(where: { $0["kind"] as? String == kind }) { return true }
            usleep(50_000)
        }
        return false
    }

    /// `check` that returns the trimmed standard output.
    static func check(_ result: PostgresServer.CommandResult) throws -> String {
        try check(result, "command")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension PostgresGatewayTests {
    /// The rest of the bad-input list: a message larger than the gateway inspects, a server
    /// that dies in the middle of a result, and a client that trickles one byte per segment
    /// towards an upstream that is not reading. Each ends (or slows) that session only.
    @Test(arguments: backends)
    func oversizedMessagesDyingServersAndTricklingClientsHurtOnlyTheirSession(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        func stillServes(_ after: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(gateway.gatewayIsRunning, "gateway died after \(after)", sourceLocation: sourceLocation)
            let result = try gateway.psql("SELECT 'alive'")
            #expect(Self.trimmed(result) == "alive", "after \(after): \(result.error)\n\(gateway.gatewayLogTail)",
                    sourceLocation: sourceLocation)
        }

        // A 2 MiB Query: more than the gateway inspects (1 MiB), so it is refused, not passed on.
        do {
            let client = try RawPostgresClient(port: gateway.port)
            _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
            _ = try client.send([UInt8(ascii: "Q")] + PostgresWire.int32(Int32(2 << 20) + 4) + Array("SELECT 1 -- ".utf8))
            let messages = try client.untilClosed()
            #expect(messages.first?.kind == "E" && messages.first?.sqlstate == "08P01", "\(messages)")
            gateway.record(client.received)
        }
        try stillServes("an oversized Query")

        // The server's backend is terminated in the middle of a large result.
        do {
            let client = try RawPostgresClient(port: gateway.port)
            _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
            _ = try client.send(PostgresWire.query("SELECT g, repeat('y', 200) FROM generate_series(1, 5000000) g"))
            #expect(try client.drain(atLeast: 1 << 20) >= 1 << 20)
            _ = try gateway.superuser("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT g, repeat(''y''%'
                """)
            // The client gets the rest of what was sent, the server's FATAL, then the end.
            var sawEnd = false
            for _ in 0..<1_000_000 {
                guard (try? client.message()) ?? nil != nil else {
                    sawEnd = true
                    break
                }
            }
            #expect(sawEnd, "the session ends when its server does")
        }
        try stillServes("a server that died mid-result")

        // One byte per segment into a large Bind while the upstream sleeps and reads nothing.
        do {
            let client = try RawPostgresClient(port: gateway.port)
            _ = try client.login(user: PostgresGatewayFixture.identity, token: gateway.token)
            var noDelay: Int32 = 1
            setsockopt(client.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            _ = try client.send(PostgresWire.query("SELECT pg_sleep(3)"))
            let body = [UInt8](repeating: 0x41, count: 30_000)
            let bind = [UInt8(ascii: "B")] + PostgresWire.int32(Int32(body.count + 4)) + body
            for byte in bind {
                guard try client.send([byte]) else { break }
            }
            // Meanwhile other clients are served.
            try stillServes("a trickling client")
        }
        try stillServes("the trickling client's end")
    }
}
