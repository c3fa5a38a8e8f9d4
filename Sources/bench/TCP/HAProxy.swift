#if canImport(Glibc)
import Glibc
#endif

/// haproxy in TCP mode as a peer to compare against: a temporary config with one frontend on a
/// free loopback port and one backend server (the echo server), run in the foreground (`-db`)
/// with as many threads as RingGate gets loops. With a certificate it terminates TLS 1.3 on the
/// frontend and relays plaintext to the backend.
enum HAProxy {
    /// The haproxy binary on PATH, or nil when it is not installed.
    static func locate() -> String? { ProxyProcess.which("haproxy") }

    /// The configuration text for a TCP relay `listenPort` → `upstreamPort`; TLS on the listen
    /// side when `certificateFile` (certificate and key in one PEM) is given.
    static func configuration(listenPort: UInt16, upstreamPort: UInt16, threads: Int, certificateFile: String? = nil) -> String {
        let tls = certificateFile.map { " ssl crt \($0) ssl-min-ver TLSv1.3" } ?? ""
        return """
        global
            nbthread \(threads)
            maxconn 4096

        defaults
            mode tcp
            timeout connect 5s
            timeout client 1m
            timeout server 1m

        frontend bench_in
            bind 127.0.0.1:\(listenPort)\(tls)
            default_backend bench_out

        backend bench_out
            server echo 127.0.0.1:\(upstreamPort)

        """
    }

    /// Writes the config under `workDirectory` and starts haproxy; returns once it accepts connections.
    static func start(
        executable: String, upstreamPort: UInt16, threads: Int, workDirectory: String, certificateFile: String? = nil
    ) throws -> ProxyProcess {
        let listenPort = try LoopbackSocket.freePort()
        let configPath = "\(workDirectory)/haproxy.cfg"
        try writeFile(configPath, configuration(
            listenPort: listenPort, upstreamPort: upstreamPort, threads: threads, certificateFile: certificateFile))
        let process = try ProxyProcess(
            name: "haproxy",
            executable: executable,
            arguments: ["-db", "-f", configPath],
            listenPort: listenPort,
            logPath: "\(workDirectory)/haproxy.log"
        )
        do {
            try process.waitUntilListening()
        } catch {
            process.stop()
            throw error
        }
        return process
    }
}

/// Writes `text` to `path`, replacing the file.
func writeFile(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SystemError("open \(path)") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return write(fd, base + offset, buffer.count - offset)
        }
        if written < 0, errno == EINTR { continue }
        guard written > 0 else { throw SystemError("write \(path)") }
        offset += written
    }
}
