import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The control API of a real `ringgate serve` in front of a real PostgreSQL: health, metrics
/// scraped and parsed by an independent Prometheus parser, live sessions listed and killed
/// (through the API and the CLI), policy reloaded, and every way a caller without the right
/// token is turned away.
@Suite(.serialized)
struct ControlAPIGatewayTests {
    static let admins = "it-admins"
    static let approvers = "it-approvers"

    /// A gateway whose control API listens on a loopback port, with admin and approver groups.
    static func fixture(backend: String) throws -> (PostgresGatewayFixture, Int) {
        let port = PostgresServer.freeLoopbackPort()
        let fixture = try PostgresGatewayFixture(backend: backend, extraGateway: """
              control:
                listen: 127.0.0.1:\(port)
                admin_groups: [\(admins)]
                approver_groups: [\(approvers)]
            """)
        return (fixture, port)
    }

    /// A control token (scoped to resource `control`) for `identity` in `groups`.
    static func controlToken(_ fixture: PostgresGatewayFixture, identity: String, groups: String, ttl: String = "10m") throws -> String {
        try fixture.issueToken(identity: identity, groups: groups, ttl: ttl, resources: "control")
    }

    struct HTTPAnswer {
        var status: Int
        var body: String
    }

    /// One request with curl; `token` goes in an Authorization header read from a file (never argv).
    static func http(_ method: String, _ port: Int, _ path: String, token: String? = nil, body: String? = nil,
                     in directory: String) throws -> HTTPAnswer {
        let bodyPath = directory + "/http-body-\(UUID().uuidString)"
        let headerPath = directory + "/http-header-\(UUID().uuidString)"
        defer { unlink(bodyPath); unlink(headerPath) }
        var arguments = ["-s", "-S", "--max-time", "30", "-X", method, "-o", bodyPath, "-w", "%{http_code}"]
        if let token {
            try "Authorization: Bearer \(token)\n".write(toFile: headerPath, atomically: true, encoding: .utf8)
            arguments += ["-H", "@\(headerPath)"]
        }
        let requestPath = directory + "/http-request-\(UUID().uuidString)"
        defer { unlink(requestPath) }
        if let body {
            try body.write(toFile: requestPath, atomically: true, encoding: .utf8)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@\(requestPath)"]
        }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let result = try PostgresServer.run(asServerUser: false, "/usr/bin/curl", arguments)
        let body = (try? String(contentsOfFile: bodyPath, encoding: .utf8)) ?? ""
        return HTTPAnswer(status: Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, body: body)
    }

    /// The samples of a Prometheus text exposition, parsed by `prometheus_client` (Debian's
    /// python3-prometheus-client): name, labels, value.
    static func parseMetrics(_ text: String, fixture: PostgresGatewayFixture) throws -> [(name: String, labels: [String: String], value: Double)] {
        let path = fixture.directory + "/metrics-\(UUID().uuidString).txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let parsed = try fixture.python("""
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            samples = []
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for sample in family.samples:
                    samples.append([sample.name, sample.labels, sample.value])
            print(json.dumps(samples))
            """, [path])
        #expect(parsed.status == 0, "\(parsed.error)")
        let rows = (try JSONSerialization.jsonObject(with: Data(parsed.output.utf8)) as? [[Any]]) ?? []
        return rows.compactMap { row in
            guard row.count == 3, let name = row[0] as? String, let labels = row[1] as? [String: String],
                  let value = (row[2] as? NSNumber)?.doubleValue else { return nil }
            return (name, labels, value)
        }
    }

    static func value(_ samples: [(name: String, labels: [String: String], value: Double)], _ name: String,
                      _ labels: [String: String]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    @Test(arguments: ["io_uring", "epoll"])
    func metricsSessionsKillAndReload(backend: String) throws {
        let (fixture, port) = try Self.fixture(backend: backend)
        let admin = try Self.controlToken(fixture, identity: "ops-admin", groups: Self.admins)
        let approver = try Self.controlToken(fixture, identity: "ops-approver", groups: Self.approvers)

        #expect(try Self.http("GET", port, "/healthz", in: fixture.directory).status == 200)
        #expect(try Self.http("GET", port, "/readyz", in: fixture.directory).status == 200)

        // Two allowed statements and one denied, then the counters say so.
        #expect(try fixture.psql("SELECT count(*) FROM items").output.trimmingCharacters(in: .whitespacesAndNewlines) == "100")
        #expect(try fixture.psql("SELECT 1").status == 0)
        let denied = try fixture.psql("DROP TABLE items")
        #expect(denied.status != 0 && denied.error.contains("42501"), "\(denied.error)")
        let scrape = try Self.http("GET", port, "/metrics", in: fixture.directory)
        #expect(scrape.status == 200)
        let samples = try Self.parseMetrics(scrape.body, fixture: fixture)
        let resource = ["resource": PostgresGatewayFixture.resource]
        #expect(Self.value(samples, "ringgate_statements_total", resource.merging(["decision": "allow"]) { $1 }) == 2)
        #expect(Self.value(samples, "ringgate_statements_total", resource.merging(["decision": "deny"]) { $1 }) == 1)
        #expect(Self.value(samples, "ringgate_sessions_total", resource) == 3)
        #expect(Self.value(samples, "ringgate_sessions_active", resource) == 0)
        #expect((Self.value(samples, "ringgate_client_bytes_sent_total", resource) ?? 0) > 0)
        #expect(Self.value(samples, "ringgate_added_latency_seconds_count", resource) == 2)
        #expect(Self.value(samples, "ringgate_added_latency_seconds_bucket", resource.merging(["le": "+Inf"]) { $1 }) == 2)
        #expect(samples.contains { $0.name == "ringgate_loop_buffers_in_use" && $0.labels["loop"] == "1" })
        #expect((Self.value(samples, "ringgate_loop_accepted_total", [:]) ?? -1) >= 0)

        // A live session is listed (approvers may read) and killed (admins only).
        let sleeper = try ChildProcess(
            "/usr/bin/psql",
            ["-X", "-v", "VERBOSITY=verbose", "-d", fixture.dsn(), "-c", "SELECT pg_sleep(60)"],
            environment: ["PGPASSWORD": fixture.token, "PATH": "/usr/bin:/bin"], stdoutToStderr: true)
        var listed: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while listed.isEmpty, ContinuousClock.now < deadline {
            let answer = try Self.http("GET", port, "/v1/sessions", token: approver, in: fixture.directory)
            #expect(answer.status == 200, "\(answer.body)")
            listed = ((try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [[String: Any]] ?? [])
                .filter { $0["identity"] as? String == PostgresGatewayFixture.identity }
            if listed.isEmpty { usleep(50_000) }
        }
        #expect(listed.count == 1)
        #expect(listed.first?["resource"] as? String == PostgresGatewayFixture.resource)
        #expect(listed.first?["database"] as? String == PostgresGatewayFixture.database)
        let id = try #require(listed.first?["id"] as? String)
        #expect(listed.first?["replica"] as? String != nil)
        #expect(try Self.http("DELETE", port, "/v1/sessions/\(id)", token: approver, in: fixture.directory).status == 403)
        #expect(sleeper.exitCodeIfExited() == nil)
        let kill = try PostgresServer.run(
            asServerUser: false, try PostgresGatewayFixture.ringgatePath(),
            ["kill", "--control", "http://127.0.0.1:\(port)", id],
            environment: ["RINGGATE_TOKEN": admin])
        #expect(kill.status == 0 && kill.output.contains("terminated session \(id)"), "\(kill.output)\(kill.error)")
        let exit = sleeper.waitForExit(timeout: .seconds(20))
        #expect(exit != nil && exit != 0)
        #expect(sleeper.stderr.contains("57P01") && sleeper.stderr.contains("administrator command"), "\(sleeper.stderr)")
        #expect(try fixture.waitForNoUpstreamBackends() == 0)
        #expect(try Self.http("DELETE", port, "/v1/sessions/\(id)", token: admin, in: fixture.directory).status == 404)
        let sessions = try PostgresServer.run(
            asServerUser: false, try PostgresGatewayFixture.ringgatePath(),
            ["sessions", "--control", "http://127.0.0.1:\(port)"], environment: ["RINGGATE_TOKEN": approver])
        #expect(sessions.status == 0 && sessions.output.hasPrefix("id\treplica\tidentity"), "\(sessions.output)\(sessions.error)")

        // Reload: unchanged, then a new rule takes effect for the next session.
        let unchanged = try Self.http("POST", port, "/v1/reload", token: admin, in: fixture.directory)
        #expect(unchanged.status == 200 && unchanged.body.contains("\"unchanged\""), "\(unchanged.body)")
        #expect(try Self.http("POST", port, "/v1/reload", token: approver, in: fixture.directory).status == 403)
        let config = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "allow: [read, write, transaction, set, utility]", with: "allow: [write, transaction, set, utility]")
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let applied = try Self.http("POST", port, "/v1/reload", token: admin, in: fixture.directory)
        #expect(applied.status == 200 && applied.body.contains("\"applied\""), "\(applied.body)")
        let read = try fixture.psql("SELECT count(*) FROM items")
        #expect(read.status != 0 && read.error.contains("42501"), "\(read.output)\(read.error)")
        fixture.finish()
    }

    @Test
    func refusesMissingExpiredAndUnderprivilegedTokens() throws {
        let (fixture, port) = try Self.fixture(backend: "io_uring")
        let directory = fixture.directory
        // No token, a malformed header, garbage: 401.
        #expect(try Self.http("GET", port, "/v1/sessions", in: directory).status == 401)
        #expect(try Self.http("GET", port, "/v1/sessions", token: "not-a-token", in: directory).status == 401)
        // A valid data-plane token (scoped to the PostgreSQL resources, not `control`): 401.
        let dataToken = try fixture.issueToken(identity: "ops-admin", groups: Self.admins)
        #expect(try Self.http("GET", port, "/v1/sessions", token: dataToken, in: directory).status == 401)
        // Expired: a one-second token, read after it ran out (clock_skew is 0s here).
        let shortLived = try Self.controlToken(fixture, identity: "ops-admin", groups: Self.admins, ttl: "1s")
        sleep(2)
        let expired = try Self.http("GET", port, "/v1/sessions", token: shortLived, in: directory)
        #expect(expired.status == 401, "\(expired.body)")
        // Revoked: listed in the revocation file, then reloaded.
        let revoked = try Self.controlToken(fixture, identity: "ops-admin", groups: Self.admins)
        #expect(try Self.http("GET", port, "/v1/sessions", token: revoked, in: directory).status == 200)
        let tokenID = try #require(PostgresGatewayFixture.tokenID(revoked))
        let revoke = try PostgresGatewayFixture.runRinggate(["token", "revoke", "--file", directory + "/revoked-tokens", "--jti=\(tokenID)"])
        try PostgresGatewayFixture.check(revoke, "ringgate token revoke")
        let admin = try Self.controlToken(fixture, identity: "ops-admin", groups: Self.admins)
        #expect(try Self.http("POST", port, "/v1/reload", token: admin, in: directory).status == 200)
        #expect(try Self.http("GET", port, "/v1/sessions", token: revoked, in: directory).status == 401)
        // Valid, but in no admin or approver group: 403 on every /v1 route.
        let user = try Self.controlToken(fixture, identity: PostgresGatewayFixture.identity, groups: PostgresGatewayFixture.group)
        #expect(try Self.http("GET", port, "/v1/sessions", token: user, in: directory).status == 403)
        #expect(try Self.http("DELETE", port, "/v1/sessions/1", token: user, in: directory).status == 403)
        #expect(try Self.http("POST", port, "/v1/reload", token: user, in: directory).status == 403)
        // Health and metrics need no token.
        #expect(try Self.http("GET", port, "/metrics", in: directory).status == 200)
        fixture.finish()
    }
}
