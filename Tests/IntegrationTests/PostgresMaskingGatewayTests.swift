import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Masking and result limits on `ringgate serve`'s PostgreSQL path, against a real
/// PostgreSQL 15, read by real clients (psql, psycopg 3 in text, binary, prepared, named
/// cursor, pipeline and COPY modes, psycopg2), on both event-loop backends.
///
/// The policy masks `customers.ssn` by column (whatever the query calls it), `customers.name`
/// keeping its last four characters, and every card number, e-mail and SSN the detectors
/// find in any column, expression or error; results are limited to 1,000,000 rows.
@Suite(.serialized) struct PostgresMaskingGatewayTests {
    static let backends = ["io_uring", "epoll"]

    static let policies = """
          - id: it-masks
            resources: ["pg-it"]
            groups: [\(PostgresGatewayFixture.group)]
            allow: [copy-to]
            mask:
              - columns: [customers.ssn]
              - columns: ["customers.name"]
                style: partial
              - detector: credit_card
              - detector: email
                style: partial
              - detector: ssn
            limits:
              max_rows: 1000000

        """

    /// Values that must never reach a client unmasked, in any spelling the server prints.
    /// (Names are masked by column only: an expression over them is not a detector's to find.)
    static let secrets = [
        "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "4012888888881881", "5555555555554444",
        "ada@example.com", "ADA@EXAMPLE.COM", "grace.hopper@navy.example", "536-22-8491", "412-67-3390",
    ]

    static func createCustomers(_ gateway: PostgresGatewayFixture) throws {
        _ = try gateway.superuser("""
            CREATE TABLE customers (
                id int PRIMARY KEY, name text, email varchar(100), card char(19), ssn text,
                profile json, prefs jsonb, tags text[], card_number bigint, note text,
                created timestamptz NOT NULL DEFAULT '2026-01-02 03:04:05+00');
            INSERT INTO customers (id, name, email, card, ssn, profile, prefs, tags, card_number, note) VALUES
              (1, 'Ada Lovelace', 'ada@example.com', '4111 1111 1111 1111', '536-22-8491',
               '{"email": "ada@example.com", "card": "4111-1111-1111-1111"}', '{"ssn": "536-22-8491", "n": 1}',
               ARRAY['vip', '4012888888881881'], 4111111111111111, 'call ada@example.com'),
              (2, 'Grace Hopper', 'grace.hopper@navy.example', '5555555555554444', '412-67-3390',
               '{"plain": true}', '{"card": "5555555555554444"}', ARRAY['navy'], 5555555555554444, 'no secrets here'),
              (3, 'Plain Row', NULL, NULL, NULL, '{"ok": 1}', '[1, 2]', ARRAY['a', 'b'], 42, 'nothing to mask: 12 apples');
            ALTER TABLE customers OWNER TO it_app;
            """)
    }

    static func leaked(_ text: String) -> [String] {
        secrets.filter { text.contains($0) }
    }

    @Test(arguments: backends)
    func noUnmaskedValueReachesAnyClient(backend: String) throws {
        let recordings = NSTemporaryDirectory() + "ringgate-it-masked-recordings-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: recordings) }
        let gateway = try PostgresGatewayFixture(
            backend: backend, extraPolicies: Self.policies,
            extraGateway: "  recording:\n    directory: \(recordings)\n    on_failure: close")
        defer { gateway.finish() }
        try Self.createCustomers(gateway)
        let log = { gateway.gatewayLogTail }

        // psql: SELECT, aliases, expressions, aggregates, COPY text and CSV, a failed cast.
        let queries = [
            "SELECT * FROM customers ORDER BY id",
            "SELECT ssn AS x, name AS y FROM customers ORDER BY id",
            "SELECT string_agg(email, ',') FROM customers",
            "SELECT upper(card), card || '', row_to_json(c) FROM customers c ORDER BY id",
            "COPY customers TO STDOUT",
            "COPY customers TO STDOUT WITH (FORMAT csv)",
            "COPY customers (name, ssn, email) TO STDOUT CSV HEADER",
        ]
        for query in queries {
            let result = try gateway.psql(query)
            #expect(result.status == 0, "\(query): \(result.error)\n\(log())")
            #expect(Self.leaked(result.output + result.error).isEmpty, "\(query) leaked: \(result.output)")
            #expect(!result.output.isEmpty, "\(query) returned nothing")
        }
        let cast = try gateway.psql("SELECT ssn::int FROM customers WHERE id = 1")
        #expect(cast.status != 0 && cast.error.contains("22P02"), "\(cast.error)")
        #expect(Self.leaked(cast.error).isEmpty, "the cast error leaked: \(cast.error)")

        // Masked shapes: same lengths, last four kept where the style says so; a bigint
        // holding a card becomes NULL; JSON stays JSON.
        let shapes = try gateway.psql("SELECT name, ssn, email, card_number, profile FROM customers WHERE id = 1")
        let fields = shapes.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|", omittingEmptySubsequences: false)
        #expect(fields.count == 5, "\(shapes.output)")
        if fields.count == 5 {
            #expect(fields[0] == "********lace", "name: \(fields[0])")
            #expect(fields[1] == "***********", "ssn: \(fields[1])")
            #expect(fields[2].count == "ada@example.com".count && fields[2].hasSuffix("com"), "email: \(fields[2])")
            #expect(fields[3] == "", "card_number (NULL): \(fields[3])")
            #expect(fields[4].hasPrefix("\"*") && fields[4].hasSuffix("*\""), "json: \(fields[4])")
        }

        // Column masks follow the column, not its name: aliases, views, subqueries (names
        // are no detector's to find, so only the catalog can mask these).
        _ = try gateway.superuser("CREATE VIEW people AS SELECT id, name AS who FROM customers; ALTER VIEW people OWNER TO it_app")
        for query in ["SELECT name AS y FROM customers WHERE id = 2", "SELECT who FROM people WHERE id = 2",
                      "SELECT y FROM (SELECT name AS y FROM customers) s WHERE y LIKE 'Grace%'",
                      "SELECT \"NAME\" FROM (SELECT name AS \"NAME\" FROM public.customers WHERE id = 2) s"] {
            let result = try gateway.psql(query)
            #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "********pper", "\(query): \(result.output) \(result.error)")
        }

        // Values no mask matches come back byte-identical to the server's.
        let plain = "SELECT id, note, tags, card_number, prefs, created FROM customers WHERE id = 3"
        let through = try gateway.psql(plain)
        let direct = try gateway.directPsql(["-c", plain])
        #expect(through.status == 0 && through.output == direct.output, "\(through.output) vs \(direct.output)")
        let items = "SELECT * FROM items ORDER BY id"
        #expect(try gateway.psql(items).output == (try gateway.directPsql(["-c", items])).output)

        // psycopg 3 and psycopg2 in every mode.
        let run = try gateway.python(PostgresMaskingScripts.readAll, [gateway.dsn(password: gateway.token)])
        #expect(run.status == 0, "\(run.error)\n\(log())")
        #expect(Self.leaked(run.output + run.error).isEmpty, "leaked through psycopg: \(Self.leaked(run.output + run.error))")
        #expect(run.output.contains("p3-binary-0") && run.output.contains("p2-named") && run.output.contains("copy-csv"),
                "\(run.output.suffix(2000))")
        let summary = PostgresGatewayTests.json(run.output)
        #expect("\(summary["plain"] ?? "")".contains("nothing to mask: 12 apples"), "\(summary)")
        #expect("\(summary["masked-types"] ?? "")".contains("15") && "\(summary["masked-types"] ?? "")".contains("11"),
                "lengths as the server computes them, unmasked: \(summary)")
        #expect((summary["created"] as? [String])?.count == 3, "\(summary)")
        let tags = summary["binary-tags"] as? [[String]] ?? []
        #expect(tags == [["vip", "****************"], ["navy"], ["a", "b"]], "text[] in binary, element by element: \(summary)")

        // What was recorded is what the clients saw: masked. The audit log holds no value
        // either, and its statement events count the rows and bytes sent.
        func countedStatement() -> Bool {
            gateway.auditEvents.contains {
                $0["kind"] as? String == "statement" && ($0["rows"] as? Int ?? 0) == 3 && ($0["bytes"] as? Int ?? 0) > 100
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !countedStatement(), ContinuousClock.now < deadline { usleep(50_000) }
        #expect(countedStatement(), "no statement event with the 3 rows of customers: \(gateway.auditText.suffix(2000))")
        #expect(Self.leaked(gateway.auditText).isEmpty)
        gateway.finish()
        var transcripts = ""
        for file in try FileManager.default.contentsOfDirectory(atPath: recordings) {
            let bytes = String(decoding: try Data(contentsOf: URL(fileURLWithPath: recordings + "/" + file)), as: UTF8.self)
            #expect(Self.leaked(bytes).isEmpty, "\(file) holds \(Self.leaked(bytes))")
            let replay = try PostgresGatewayFixture.runRinggate(["replay", recordings + "/" + file])
            #expect(replay.status == 0, "\(replay.error)")
            transcripts += replay.output
        }
        #expect(Self.leaked(transcripts).isEmpty)
        #expect(transcripts.contains("********pper") && transcripts.contains("nothing to mask: 12 apples"),
                "the replayed results are the masked rows the clients saw: \(transcripts.prefix(3000))")
    }

    @Test(arguments: backends)
    func aResultOverMaxRowsEndsWithAnErrorAndTheSessionGoesOn(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend, extraPolicies: Self.policies)
        defer { gateway.finish() }
        let script = """
            SELECT count(*) FROM generate_series(1, 1000001);
            SELECT g FROM generate_series(1, 1000001) g;
            SELECT 'after', count(*) FROM items;
            SELECT g FROM generate_series(1, 1000000) g OFFSET 999999;
            """
        let result = try gateway.psql(["-c", script], stopOnError: false)
        // psql -c with several statements sends one Query: the second statement's result
        // passes the limit, the error ends that Query, and the next psql call works.
        #expect(result.error.contains("54000") && result.error.contains("max_rows"), "\(result.error)")
        let next = try gateway.psql(["-c", "SELECT g FROM generate_series(1, 1000001) g",
                                     "-c", "SELECT 'after', count(*) FROM items",
                                     "-c", "SELECT count(*) FROM (SELECT g FROM generate_series(1, 1000000) g) s"],
                                    stopOnError: false)
        #expect(next.error.contains("54000"), "\(next.error)")
        #expect(next.output.contains("after|100"), "the session did not go on: \(next.output) \(next.error)")
        #expect(next.output.contains("1000000"), "\(next.output)")
        // Exactly at the limit is allowed, over it is not; the rows past it are not sent.
        let exact = try gateway.psql("SELECT g FROM generate_series(1, 1000000) g")
        #expect(exact.status == 0 && exact.output.split(separator: "\n").count == 1_000_000, "\(exact.error)")
    }

    @Test(arguments: backends)
    func masksFollowAReloadAtTheNextStatement(backend: String) throws {
        let gateway = try PostgresGatewayFixture(backend: backend)
        defer { gateway.finish() }
        let ready = gateway.directory + "/reload-ready"
        let go = gateway.directory + "/reload-go"
        let out = gateway.directory + "/reload-out.json"
        let script = gateway.directory + "/reload.py"
        try PostgresMaskingScripts.acrossReload.write(toFile: script, atomically: true, encoding: .utf8)
        let client = try ChildProcess("/usr/bin/python3", [script, gateway.dsn(password: gateway.token), ready, go, out])
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: ready), ContinuousClock.now < deadline, client.exitCodeIfExited() == nil {
            usleep(50_000)
        }
        #expect(FileManager.default.fileExists(atPath: ready), "the client never read: \(gateway.gatewayLogTail)")

        let config = try String(contentsOfFile: gateway.configPath, encoding: .utf8)
        try (config + """
              - id: it-mask-items
                resources: ["pg-it"]
                groups: [\(PostgresGatewayFixture.group)]
                mask:
                  - columns: [items.name]

            """).write(toFile: gateway.configPath, atomically: true, encoding: .utf8)
        gateway.gateway.signal(SIGHUP)
        #expect(PostgresGatewayFixture.waitForAudit(gateway, kind: "policy_reloaded"), "\(gateway.gatewayLogTail)")
        FileManager.default.createFile(atPath: go, contents: Data())
        #expect(client.waitForExit(timeout: .seconds(60)) == 0, "\(gateway.gatewayLogTail)")
        let result = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out)))) as? [String: String] ?? [:]
        #expect(result["before"] == "item-7", "\(result)")
        #expect(result["after"] == "******", "\(result)")
        #expect(result["aliased"] == "******", "an alias after the reload: \(result)")
        #expect(result["prepared"] == "******", "\(result)")
    }
}
