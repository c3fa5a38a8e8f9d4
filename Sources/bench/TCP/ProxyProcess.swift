#if canImport(Glibc)
import Glibc
#endif

/// A proxy under test running as a child process: spawned with `posix_spawn`, stdout discarded,
/// stderr captured to a log file, watched until it accepts connections, measured through `/proc`,
/// and stopped with SIGTERM (then SIGKILL).
final class ProxyProcess {
    /// The target's name in tables and JSON.
    let name: String
    let pid: pid_t
    /// The loopback port the proxy listens on.
    let listenPort: UInt16
    /// Where the child's stderr goes.
    let logPath: String
    private var exited = false

    /// Spawns `executable` with `arguments` (no shell involved).
    init(name: String, executable: String, arguments: [String], listenPort: UInt16, logPath: String) throws {
        self.name = name
        self.listenPort = listenPort
        self.logPath = logPath
        self.pid = try Self.spawn(executable: executable, arguments: arguments, stdoutPath: "/dev/null", stderrPath: logPath)
    }

    deinit { stop() }

    /// Polls a connect to the listen port every 20 ms until it succeeds; fails early, with the
    /// log's tail, when the child exits first.
    func waitUntilListening(timeoutSeconds: Double = 15) throws {
        let deadline = MonotonicClock.nanoseconds() &+ MonotonicClock.nanoseconds(seconds: timeoutSeconds)
        while MonotonicClock.nanoseconds() < deadline {
            if let status = reap() {
                throw BenchError("\(name) exited (\(status)) before listening on 127.0.0.1:\(listenPort)\(logTailForError())")
            }
            if let fd = try? LoopbackSocket.connect(port: listenPort) {
                LoopbackSocket.close(fd)
                return
            }
            usleep(20_000)
        }
        throw BenchError("\(name) did not accept connections on 127.0.0.1:\(listenPort) within \(timeoutSeconds) s\(logTailForError())")
    }

    /// CPU time the proxy has used so far (all threads).
    func cpuTime() throws -> CPUTime {
        if let status = reap() { throw BenchError("\(name) exited (\(status))\(logTailForError())") }
        return try CPUTime.read(pid: pid)
    }

    /// SIGTERM, up to 2 s to exit, then SIGKILL; always reaps the child.
    func stop() {
        guard !exited else { return }
        kill(pid, SIGTERM)
        let deadline = MonotonicClock.nanoseconds() &+ 2_000_000_000
        while MonotonicClock.nanoseconds() < deadline {
            if reap() != nil { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exited = true
    }

    /// The last lines of the child's stderr (empty when there is none).
    func logTail(maxBytes: Int = 2000) -> String {
        Self.tail(of: logPath, maxBytes: maxBytes)
    }

    private func logTailForError() -> String {
        let tail = logTail()
        return tail.isEmpty ? "" : "; its stderr ends with:\n\(tail)"
    }

    /// A description of how the child ended, or nil while it runs.
    private func reap() -> String? {
        guard !exited else { return "already reaped" }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        exited = true
        let signal = status & 0x7F
        return signal == 0 ? "exit status \((status >> 8) & 0xFF)" : "killed by signal \(signal)"
    }

    /// Runs `executable arguments` to completion and returns its exit status (or -1 when it
    /// could not be started). Output is discarded unless `inheritOutput` (then it goes to the
    /// bench's stderr) or stdout is captured in `stdoutPath`. For probes such as
    /// `ringgate forward --help`, and for builds.
    static func runToCompletion(
        executable: String,
        arguments: [String],
        timeoutSeconds: Double = 30,
        inheritOutput: Bool = false,
        stdoutPath: String? = nil
    ) -> Int32 {
        let output: String? = inheritOutput ? nil : "/dev/null"
        guard let pid = try? spawn(executable: executable, arguments: arguments, stdoutPath: stdoutPath ?? output, stderrPath: output) else {
            return -1
        }
        let deadline = MonotonicClock.nanoseconds() &+ MonotonicClock.nanoseconds(seconds: timeoutSeconds)
        var status: Int32 = 0
        while MonotonicClock.nanoseconds() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
            }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return -1
    }

    /// Spawns a child with stdin from /dev/null and stdout/stderr into the given files; a nil
    /// path sends that stream to the bench's own stderr.
    static func spawn(executable: String, arguments: [String], stdoutPath: String?, stderrPath: String?) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let stdoutPath {
            posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 2, 1)
        }
        if let stderrPath {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let result = argv.withUnsafeBufferPointer { argvBuffer -> Int32 in
            guard let base = argvBuffer.baseAddress else { return EINVAL }
            return posix_spawn(&pid, executable, &actions, nil, base, environ)
        }
        guard result == 0 else { throw SystemError("posix_spawn \(executable)", errno: result) }
        return pid
    }

    /// The last `maxBytes` of a text file, or "" when it cannot be read.
    static func tail(of path: String, maxBytes: Int) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return "" }
        let start = max(0, Int(size) - maxBytes)
        lseek(fd, off_t(start), SEEK_SET)
        var bytes = [UInt8](repeating: 0, count: Int(size) - start)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        return String(decoding: bytes[0..<count], as: UTF8.self)
    }

    /// The absolute path of `command` on `PATH`, or nil.
    static func which(_ command: String) -> String? {
        guard let path = getenv("PATH").map({ String(cString: $0) }) else { return nil }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
