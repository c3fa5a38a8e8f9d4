import Foundation

/// A throwaway PostgreSQL 15 server for integration tests: initdb into a temporary directory,
/// start on a free loopback port with its Unix socket in that directory, stop and remove
/// everything on ``stop()`` (or deinit).
///
/// PostgreSQL refuses to run as root: when the tests run as root, initdb and postgres run as
/// the `postgres` user through `runuser`, with the directory owned by that user.
///
/// With a ``PostgresServerTLS`` it also serves TLS on its TCP port (`ssl=on`, `hostssl`
/// pg_hba.conf lines; see that type), for example with a ``TestCertificates`` set.
///
/// ```swift
/// let server = try PostgresServer.start()
/// defer { server.stop() }
/// let result = try server.psql("SELECT 1")
/// ```
final class PostgresServer: @unchecked Sendable {
    /// Where Debian installs the PostgreSQL 15 server binaries.
    static let binDirectory = "/usr/lib/postgresql/15/bin"

    /// The loopback TCP port the server listens on.
    let port: Int
    /// The temporary directory (data directory, socket, log).
    let directory: String
    /// The Unix-socket directory (pass to clients as host).
    var socketDirectory: String { directory }
    /// The superuser name.
    let user = "postgres"

    private let lock = NSLock()
    private var running = true

    /// Whether the PostgreSQL 15 binaries are installed.
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: binDirectory + "/initdb")
            && FileManager.default.isExecutableFile(atPath: binDirectory + "/psql")
    }

    /// The result of running a client command.
    struct CommandResult: Sendable {
        var status: Int32
        var output: String
        var error: String
    }

    enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case command(String, CommandResult)

        var description: String {
            switch self {
            case .notInstalled: return "PostgreSQL 15 is not installed (\(PostgresServer.binDirectory))"
            case .command(let what, let result): return "\(what) failed (\(result.status)): \(result.error)\(result.output)"
            }
        }
    }

    private init(port: Int, directory: String) {
        self.port = port
        self.directory = directory
    }

    /// The superuser's password when the server asks for one (`authMethod` other than trust).
    static let password = "s3cret-pw"

    /// initdb and start a server; throws when that fails (after cleaning up).
    /// - Parameters:
    ///   - authMethod: `trust`, or `scram-sha-256` / `md5` with ``password``.
    ///   - tls: serve TLS too (its pg_hba.conf lines go into the data directory's file, so an
    ///     `hba_file` in `extraSettings` replaces them).
    static func start(extraSettings: [String] = [], authMethod: String = "trust",
                      tls: PostgresServerTLS? = nil) throws -> PostgresServer {
        guard isInstalled else { throw Failure.notInstalled }
        let isRoot = getuid() == 0
        var template = Array((NSTemporaryDirectory() + "ringgate-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure.command("mkdtemp", CommandResult(status: errno, output: "", error: "")) }
        let directory = String(cString: made)
        chmod(directory, 0o755)
        if isRoot, let account = getpwnam("postgres") {
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        let data = directory + "/data"
        var initdbArguments = ["-D", data, "-U", "postgres", "--auth=\(authMethod)", "-E", "UTF8", "--locale=C", "--no-sync"]
        if authMethod != "trust" {
            let passwordFile = directory + "/pw"
            guard FileManager.default.createFile(atPath: passwordFile, contents: Data(password.utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw Failure.command("write \(passwordFile)", CommandResult(status: errno, output: "", error: ""))
            }
            if isRoot, let account = getpwnam("postgres") {
                chown(passwordFile, account.pointee.pw_uid, account.pointee.pw_gid)
            }
            initdbArguments.append("--pwfile=\(passwordFile)")
        }
        let initdb = try run(asServerUser: isRoot, binDirectory + "/initdb", initdbArguments)
        guard initdb.status == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            throw Failure.command("initdb", initdb)
        }
        if let tls {
            do {
                try install(tls, dataDirectory: data, authMethod: authMethod, asServerUser: isRoot)
            } catch {
                try? FileManager.default.removeItem(atPath: directory)
                throw error
            }
        }
        let settings = (tls == nil ? [] : PostgresServerTLS.settings) + extraSettings
        var lastFailure = initdb
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            var options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off"
                + " -c full_page_writes=off -c synchronous_commit=off -c max_prepared_transactions=5"
            for setting in settings { options += " -c \(setting)" }
            let started = try run(asServerUser: isRoot, binDirectory + "/pg_ctl",
                                  ["-D", data, "-o", options, "-l", directory + "/server.log", "-w", "-t", "60", "start"])
            if started.status == 0 { return PostgresServer(port: port, directory: directory) }
            lastFailure = started
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw Failure.command("pg_ctl start", lastFailure)
    }

    /// Copies the certificate and key into the data directory (the key 0600, both owned by the
    /// server's user) and puts the TLS lines at the top of its pg_hba.conf.
    private static func install(_ tls: PostgresServerTLS, dataDirectory: String, authMethod: String,
                                asServerUser: Bool) throws {
        let files = [(tls.certificateFile, "server.crt", 0o644), (tls.keyFile, "server.key", 0o600)]
        for (source, name, mode) in files {
            let target = dataDirectory + "/" + name
            guard let contents = FileManager.default.contents(atPath: source),
                  FileManager.default.createFile(atPath: target, contents: contents, attributes: [.posixPermissions: mode])
            else { throw Failure.command("copy \(source) to \(target)", CommandResult(status: errno, output: "", error: "")) }
            if asServerUser, let account = getpwnam("postgres") {
                chown(target, account.pointee.pw_uid, account.pointee.pw_gid)
            }
        }
        let hba = dataDirectory + "/pg_hba.conf"
        let existing = try String(contentsOfFile: hba, encoding: .utf8)
        try (tls.hbaLines(authMethod: authMethod) + existing).write(toFile: hba, atomically: false, encoding: .utf8)
    }

    /// Stops the server and removes its directory (idempotent).
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        guard wasRunning else { return }
        _ = try? Self.run(asServerUser: getuid() == 0, Self.binDirectory + "/pg_ctl",
                          ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// Runs `sql` with psql (one Query message, as `psql -c` sends it) against `database`.
    /// `sessionOptions` go to PGOPTIONS (for example `-c standard_conforming_strings=off`).
    func psql(_ sql: String, database: String = "postgres", sessionOptions: String? = nil,
              stopOnError: Bool = true) throws -> CommandResult {
        var arguments = ["-X", "-q", "-A", "-t", "-h", socketDirectory, "-p", String(port), "-U", user,
                         "-d", database, "-c", sql]
        if stopOnError { arguments.insert(contentsOf: ["-v", "ON_ERROR_STOP=1"], at: 0) }
        var environment = ProcessInfo.processInfo.environment
        environment["PGOPTIONS"] = sessionOptions
        environment["PGCONNECT_TIMEOUT"] = "10"
        return try Self.run(asServerUser: false, Self.binDirectory + "/psql", arguments, environment: environment)
    }

    /// Runs `sql` with psql over a libpq connection string (`host=localhost sslmode=...`), for
    /// connections other than the superuser's trusted Unix socket.
    func psql(conninfo: String, _ sql: String) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["PGCONNECT_TIMEOUT"] = "10"
        let arguments = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql]
        return try Self.run(asServerUser: false, Self.binDirectory + "/psql", arguments, environment: environment)
    }

    /// Runs a program to completion, capturing its output in files (no pipe deadlocks).
    ///
    /// Uses posix_spawn and waitpid directly: Foundation's Process.waitUntilExit was seen to
    /// miss the exit of short-lived children on Linux and hang.
    static func run(asServerUser: Bool, _ program: String, _ arguments: [String],
                    environment: [String: String]? = nil) throws -> CommandResult {
        let executable = asServerUser ? "/usr/sbin/runuser" : program
        let argv = (asServerUser ? ["runuser", "-u", "postgres", "--", program] : [program]) + arguments
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let outputPath = NSTemporaryDirectory() + "ringgate-cmd-\(UUID().uuidString)"
        defer {
            unlink(outputPath + ".out")
            unlink(outputPath + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, outputPath + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
            strings.map { strdup($0) } + [nil]
        }
        let cArgv = cStrings(argv)
        let cEnv = cStrings(env)
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, cArgv, cEnv)
        guard spawned == 0 else {
            throw Failure.command(executable, CommandResult(status: spawned, output: "", error: String(cString: strerror(spawned))))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let out = (try? String(contentsOfFile: outputPath + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: outputPath + ".err", encoding: .utf8)) ?? ""
        return CommandResult(status: exitStatus, output: out, error: err)
    }

    /// A loopback port nobody listens on right now (the kernel's pick).
    static func freeLoopbackPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 54321 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { return 54321 }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
