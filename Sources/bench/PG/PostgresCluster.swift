import Foundation

/// A throwaway PostgreSQL 15 cluster for `bench pg`: initdb into the work directory (owned by
/// `postgres` when the bench runs as root), password authentication on 127.0.0.1, fsync off.
final class PostgresCluster {
    static let binaries = "/usr/lib/postgresql/15/bin"
    static let superPassword = "bench-super"
    let directory: String
    let port: UInt16
    private var running = false

    init(workDirectory: String) throws {
        directory = workDirectory + "/pg"
        port = try LoopbackSocket.freePort()
        guard FileManager.default.isExecutableFile(atPath: Self.binaries + "/initdb") else {
            throw BenchError("PostgreSQL 15 is not installed (\(Self.binaries)/initdb); scripts/install-deps.sh installs it")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The server runs as `postgres`: it must reach its directory.
        chmod(workDirectory, 0o755)
        let passwordFile = workDirectory + "/pg.pw"
        try Self.superPassword.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if getuid() == 0 {
            try Command.run(["chown", "-R", "postgres:postgres", directory, passwordFile])
        }
        try Command.run([Self.binaries + "/initdb", "-D", directory + "/data", "-U", "postgres", "--auth=scram-sha-256",
                         "--pwfile=" + passwordFile, "-E", "UTF8", "--locale=C.UTF-8"], asUser: "postgres")
        try Command.run([Self.binaries + "/pg_ctl", "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-o",
                         "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off -c max_connections=200",
                         "start"], asUser: "postgres", stdoutPath: directory + "/pg_ctl.out")
        running = true
    }

    deinit { stop() }

    func stop() {
        guard running else { return }
        running = false
        _ = try? Command.run([Self.binaries + "/pg_ctl", "-D", directory + "/data", "-m", "immediate", "-w", "stop"],
                             asUser: "postgres", stdoutPath: directory + "/pg_ctl.out", check: false)
    }

    /// psql as the superuser over TCP.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Command.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                         "-U", "postgres", "-d", database, "-c", sql],
                        environment: ["PGPASSWORD": Self.superPassword]).output
    }
}
