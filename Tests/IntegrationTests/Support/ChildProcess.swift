import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running child process (the `ringgate` executable) with its standard error captured
/// in a file, so a test can wait for a line, signal it, and collect its exit status.
final class ChildProcess {
    let pid: pid_t
    let stderrPath: String
    private var exitStatus: Int32?

    /// - Parameters:
    ///   - environment: the child's whole environment (nil: this process's).
    ///   - stdoutToStderr: the child's standard output goes to the captured standard error too.
    init(_ program: String, _ arguments: [String], environment: [String: String]? = nil, stdoutToStderr: Bool = false) throws {
        stderrPath = NSTemporaryDirectory() + "ringgate-child-\(UUID().uuidString).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if stdoutToStderr { posix_spawn_file_actions_adddup2(&actions, 2, 1) }
        // The test process may have signals blocked; the child starts with none blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var child: pid_t = 0
        let status = envp.map { envp in posix_spawn(&child, program, &actions, &attributes, argv, envp) }
            ?? posix_spawn(&child, program, &actions, &attributes, argv, environ)
        guard status == 0 else { throw PostgresServer.Failure.command("spawn \(program)", .init(status: status, output: "", error: "")) }
        pid = child
    }

    /// Everything the child wrote to standard error so far.
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` for `text` to appear on standard error.
    func waitFor(_ text: String, timeout: Duration = .seconds(30)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Waits for the child to exit and returns its exit code (128 + signal when killed).
    func waitForExit() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        exitStatus = code
        return code
    }

    /// The exit code if the child has exited (without waiting), nil while it runs.
    func exitCodeIfExited() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        exitStatus = code
        return code
    }

    /// Waits up to `timeout` for the child to exit; nil when it is still running then.
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let code = exitCodeIfExited() { return code }
            usleep(20_000)
        }
        return nil
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
        unlink(stderrPath)
    }
}
