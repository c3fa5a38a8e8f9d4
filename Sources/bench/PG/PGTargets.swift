import Foundation

/// The proxies `bench pg` measures against direct PostgreSQL: one `ringgate serve` with a `tcp`
/// relay and a `postgres` resource (token login, every statement classified and decided, masks
/// on, audit to a file), pgbouncer in session mode, and haproxy in TCP mode where installed.
struct PGTarget {
    var name: String
    var port: UInt16
    /// What the client gives as its password.
    var password: String
    /// The process whose CPU time is the proxy's cost (nil: direct).
    var process: ProxyProcess?
}

enum PGTargets {
    static let user = "bench"
    static let password = "bench-pw"

    /// The gateway configuration: blocking rules and masks (by column and by detectors) apply
    /// to the `postgres` resource.
    ///
    /// `controlPort`: also run the control API and its store (SQLite in `work`), as a gateway with
    /// approvals and grants enabled does; no rule sends a statement to review.
    static func ringgateConfiguration(work: String, relayPort: UInt16, gatewayPort: UInt16, upstreamPort: UInt16,
                                      controlPort: UInt16? = nil) -> String {
        """
        gateway:
          loops: 1
          audit_log: \(work)/audit.jsonl
          access_log: \(work)/access.log
        \(controlPort.map { "  data_dir: \(work)/data\n  control:\n    listen: 127.0.0.1:\($0)\n    approver_groups: [bench]" } ?? "")
        resources:
          - name: relay
            protocol: tcp
            listen: 127.0.0.1:\(relayPort)
            upstream: 127.0.0.1:\(upstreamPort)
          - name: pg
            protocol: postgres
            listen: 127.0.0.1:\(gatewayPort)
            upstream: 127.0.0.1:\(upstreamPort)
            default: deny
            credentials:
              username: \(user)
              password_file: \(work)/upstream.pw
        gateway_tokens:
          issuer: ringgate
          signing_key_file: \(work)/token.key
          max_ttl: 2h
        groups:
          - name: bench
            members: [\(user)]
        policies:
          - id: no-destruction
            resources: [pg]
            groups: [bench]
            deny: [drop, truncate, delete-without-where, update-without-where, alter]
          - id: read-write
            resources: [pg]
            groups: [bench]
            allow: [read, write, transaction, set]
          - id: masks
            resources: [pg]
            groups: [bench]
            mask:
              - columns: ["*.ssn", "*.email"]
              - detector: credit_card
              - detector: email
                style: partial

        """
    }

    /// Starts `ringgate serve`; returns the relay and postgres targets (one process).
    ///
    /// `variant`: a second gateway measured beside the first in the same rounds, as one
    /// `postgres` target: `baseline-postgres` (another executable, an earlier build, same
    /// configuration) or `control-postgres` (the same executable with the control API and store on).
    static func startRingGate(executable: String, work: String, upstreamPort: UInt16, variant: String? = nil) throws -> [PGTarget] {
        let work = variant.map { work + "/" + $0 } ?? work
        if variant != nil { try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true) }
        let relayPort = try LoopbackSocket.freePort()
        let gatewayPort = try LoopbackSocket.freePort()
        try writeSecret(work + "/upstream.pw", password)
        try Command.run([executable, "token", "keygen", "--out", work + "/token.key"])
        let config = work + "/ringgate.yaml"
        try ringgateConfiguration(work: work, relayPort: relayPort, gatewayPort: gatewayPort, upstreamPort: upstreamPort,
                                  controlPort: variant == "control" ? try LoopbackSocket.freePort() : nil)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let token = try Command.run([executable, "token", "issue", "--config", config, "--identity", user, "--groups", "bench",
                                     "--ttl", "2h", "--resources", "pg"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let process = try ProxyProcess(name: variant ?? "ringgate", executable: executable,
                                       arguments: ["serve", "--config", config, "--no-watch"],
                                       listenPort: gatewayPort, logPath: work + "/ringgate.log")
        try process.waitUntilListening()
        if let variant { return [PGTarget(name: variant + "-postgres", port: gatewayPort, password: token, process: process)] }
        return [PGTarget(name: "ringgate-tcp", port: relayPort, password: password, process: process),
                PGTarget(name: "ringgate-postgres", port: gatewayPort, password: token, process: process)]
    }

    /// pgbouncer in session mode (one server connection per client, like the gateway).
    static func startPgBouncer(work: String, upstreamPort: UInt16) throws -> PGTarget? {
        guard let executable = ProxyProcess.which("pgbouncer") else { return nil }
        let directory = work + "/pgbouncer"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try LoopbackSocket.freePort()
        try """
            [databases]
            bench = host=127.0.0.1 port=\(upstreamPort) dbname=bench
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            auth_type = plain
            auth_file = \(directory)/users.txt
            pool_mode = session
            max_client_conn = 200
            default_pool_size = 40
            logfile = \(directory)/pgbouncer.log

            """.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        try "\"\(user)\" \"\(password)\"\n".write(toFile: directory + "/users.txt", atomically: true, encoding: .utf8)
        var arguments = [directory + "/pgbouncer.ini"]
        if getuid() == 0 {
            try Command.run(["chown", "-R", "postgres", directory])
            arguments = ["-u", "postgres"] + arguments
        }
        let process = try ProxyProcess(name: "pgbouncer", executable: executable, arguments: arguments, listenPort: port,
                                       logPath: directory + "/stderr.log")
        try process.waitUntilListening()
        return PGTarget(name: "pgbouncer", port: port, password: password, process: process)
    }

    static func startHAProxy(work: String, upstreamPort: UInt16) throws -> PGTarget? {
        guard let executable = HAProxy.locate() else { return nil }
        let directory = work + "/haproxy"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = try HAProxy.start(executable: executable, upstreamPort: upstreamPort, threads: 1, workDirectory: directory)
        return PGTarget(name: "haproxy", port: process.listenPort, password: password, process: process)
    }

    static func writeSecret(_ path: String, _ text: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BenchError("cannot write \(path)")
        }
    }
}
