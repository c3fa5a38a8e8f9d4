import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL 15 server on a free loopback port, for tests that must talk to
/// the real thing. PostgreSQL refuses to run as root, so initdb and postgres run as the
/// `postgres` user through runuser; the data directory is removed afterwards.
final class RealPostgresServer {
    static let binaries = "/usr/lib/postgresql/15/bin"
    let port: UInt16
    let directory: String
    let process: Process
    static let password = "s3cret-pw"

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(authMethod: String = "scram-sha-256") throws {
        directory = NSTemporaryDirectory() + "ringgate-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            try Self.initialize(directory: directory, authMethod: authMethod)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "postgres", "--", Self.binaries + "/postgres", "-D", directory + "/data", "-p", "\(port)",
                             "-k", directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (bounded) until it accepts logins: a connection made while the server is
        // still starting up is answered with an ErrorResponse (57P03), not a login request.
        for _ in 0..<200 {
            if Self.answersLogin(port: port) { return }
            usleep(50_000)
        }
        stop()
        throw Failure(description: "postgres did not start on port \(port)")
    }

    func stop() {
        if process.isRunning {
            // Fast shutdown (SIGINT ends open sessions) sent to the postmaster itself:
            // runuser does not forward SIGINT. Its PID is the first line of postmaster.pid.
            if let pidFile = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
               let line = pidFile.split(separator: "\n").first, let pid = Int32(line) {
                kill(pid, SIGINT)
            } else {
                process.terminate()
            }
            for _ in 0..<200 where process.isRunning { usleep(50_000) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// Creates the cluster (initdb as the postgres user) with password `password`.
    static func initialize(directory: String, authMethod: String) throws {
            let passwordFile = directory + "/pw"
            try Self.password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
            try Self.run("/bin/chown", ["-R", "postgres:postgres", directory])
            let data = directory + "/data"
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", Self.binaries + "/initdb", "-D", data, "-U", "postgres",
                                               "--auth=\(authMethod)", "--pwfile=\(passwordFile)", "--no-sync", "-E", "UTF8", "--locale=C"])
    }

    /// Sends a StartupMessage and reports whether the server asks for authentication.
    static func answersLogin(port: UInt16) -> Bool {
        guard let fd = try? connect(port: port) else { return false }
        defer { close(fd) }
        var body: [UInt8] = [0, 3, 0, 0] + Array("user".utf8) + [0] + Array("postgres".utf8) + [0, 0]
        let length = UInt32(body.count + 4)
        body = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + body
        let sent = body.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == body.count else { return false }
        var first: UInt8 = 0
        let received = recv(fd, &first, 1, 0)
        return received == 1 && first == UInt8(ascii: "R")
    }

    static func run(_ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(path) exited with \(process.terminationStatus)")
        }
    }

    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw Failure(description: "no free port") }
        return UInt16(bigEndian: address.sin_port)
    }

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect failed")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }
}

/// A blocking test client that speaks the wire protocol with the codec under test,
/// reading through a deliberately small receive buffer so messages cross buffer edges.
final class WireTestConnection {
    let fd: Int32
    var decoder = PostgresFrameDecoderBox()
    var pending: [(kind: UInt8, message: [UInt8])] = []
    let receiveSize: Int

    init(port: UInt16, receiveSize: Int = 61) throws {
        fd = try RealPostgresServer.connect(port: port)
        self.receiveSize = receiveSize
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw RealPostgresServer.Failure(description: "send failed") }
            sent += n
        }
    }

    /// The next whole backend message (type byte and the full message bytes).
    func receive() throws -> (kind: UInt8, message: [UInt8]) {
        while pending.isEmpty {
            var buffer = [UInt8](repeating: 0, count: receiveSize)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw RealPostgresServer.Failure(description: "connection closed") }
            pending += try decoder.feed(Array(buffer[..<n]))
        }
        return pending.removeFirst()
    }
}
