import Foundation

/// Runs a program to completion (the bench's control side, not a measured path): stdout and
/// stderr through files (a daemon the program leaves behind, like pg_ctl's server, never
/// holds a pipe of ours open), an environment overlay, an optional user.
struct Command {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `arguments` (the first is the program, found on PATH); as `user` via `runuser`
    /// when the bench runs as root and a user is given. With `stdoutPath`, stdout stays in
    /// that file and `output` is empty.
    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String] = [:], asUser user: String? = nil,
        stdoutPath: String? = nil, check: Bool = true
    ) throws -> Result {
        var argv = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + arguments
        if let user, getuid() == 0 { argv = ["runuser", "-u", user, "--", "/usr/bin/env"] + argv }
        else { argv = ["/usr/bin/env"] + argv }
        let scratch = NSTemporaryDirectory() + "ringgate-bench-\(UUID().uuidString)"
        let outputPath = stdoutPath ?? scratch + ".out"
        let errorPath = scratch + ".err"
        defer {
            unlink(errorPath)
            if stdoutPath == nil { unlink(outputPath) }
        }
        let executable = argv[0] == "runuser" ? (ProxyProcess.which("runuser") ?? "/usr/sbin/runuser") : argv[0]
        let pid = try ProxyProcess.spawn(executable: executable, arguments: Array(argv.dropFirst()),
                                         stdoutPath: outputPath, stderrPath: errorPath)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
        let result = Result(
            status: exit,
            output: stdoutPath == nil ? (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" : "",
            error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
        if check && result.status != 0 {
            throw BenchError("\(arguments.joined(separator: " ")) exited with \(result.status): \(result.error.suffix(2000))")
        }
        return result
    }
}
