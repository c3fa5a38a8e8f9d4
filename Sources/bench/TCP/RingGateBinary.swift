#if canImport(Glibc)
import Glibc
#endif

/// Finding (and, for a bench run from the package, building) the `ringgate` executable whose
/// `forward` command is measured.
enum RingGateBinary {
    /// The directory holding the running bench executable (`/proc/self/exe`).
    static func benchDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    /// The package root above the bench executable (the first ancestor holding Package.swift).
    static func packageRoot(from directory: String) -> String? {
        var current = directory
        while !current.isEmpty, current != "/" {
            if access("\(current)/Package.swift", R_OK) == 0 { return current }
            guard let slash = current.lastIndex(of: "/") else { return nil }
            current = String(current[..<slash])
        }
        return nil
    }

    /// `swift build -c <configuration> --product ringgate` in the package, so the binary next to
    /// the bench executable is current. Returns a message when the build did not succeed.
    static func build(packageRoot: String, configuration: String) -> String? {
        guard let swift = ProxyProcess.which("swift") else { return "`swift` is not on PATH" }
        let status = ProxyProcess.runToCompletion(
            executable: swift,
            arguments: ["build", "-c", configuration, "--product", "ringgate", "--package-path", packageRoot],
            timeoutSeconds: 1800,
            inheritOutput: true
        )
        return status == 0 ? nil : "`swift build -c \(configuration) --product ringgate` failed (status \(status))"
    }

    /// The options `bench tcp` passes to `ringgate forward`.
    static let forwardOptions = ["--listen", "--upstream", "--io-backend", "--loops"]

    /// The options `bench tcp --tls` adds: the server certificate chain and its key (PEM).
    static let forwardTLSOptions = ["--tls-cert-file", "--tls-key-file"]

    /// The `ringgate forward` arguments (after `forward`) for one target.
    static func forwardArguments(
        listenPort: UInt16, upstreamPort: UInt16, backend: String, loops: Int, tls: TLSBenchCertificates?
    ) -> [String] {
        var arguments = [
            "--listen", "127.0.0.1:\(listenPort)",
            "--upstream", "127.0.0.1:\(upstreamPort)",
            "--io-backend", backend,
            "--loops", "\(loops)",
        ]
        if let tls {
            arguments += ["--tls-cert-file", tls.serverCertificateFile, "--tls-key-file", tls.serverKeyFile]
        }
        return arguments
    }

    /// Nil when `path` runs and its `forward --help` documents every option the bench passes;
    /// otherwise why it cannot be measured. (Exit status alone is not enough: a command without
    /// subcommands may answer `forward --help` with its own help and status 0.)
    static func problem(with path: String, workDirectory: String, tls: Bool = false) -> String? {
        guard access(path, X_OK) == 0 else { return "no executable at \(path)" }
        let helpPath = "\(workDirectory)/ringgate-forward-help.txt"
        let status = ProxyProcess.runToCompletion(
            executable: path, arguments: ["forward", "--help"], timeoutSeconds: 30, stdoutPath: helpPath
        )
        let help = ProxyProcess.tail(of: helpPath, maxBytes: 64 * 1024)
        let missing = (forwardOptions + (tls ? forwardTLSOptions : [])).filter { !help.contains($0) }
        guard status == 0, help.contains("forward"), missing.isEmpty else {
            return "\(path) has no usable `forward` command (`ringgate forward --help` exited with status \(status)"
                + (missing.isEmpty ? "" : " and does not mention \(missing.joined(separator: ", "))")
                + "); the ringgate rows need `ringgate forward --listen HOST:PORT --upstream HOST:PORT --io-backend io_uring|epoll --loops N"
                + (tls ? " --tls-cert-file PEM --tls-key-file PEM`" : "`")
        }
        return nil
    }

    /// Starts `ringgate forward` relaying a free loopback port to `upstreamPort` (terminating TLS
    /// with `tls`'s server certificate when given); returns once it accepts.
    static func start(
        executable: String,
        backend: String,
        upstreamPort: UInt16,
        loops: Int,
        logPath: String,
        tls: TLSBenchCertificates? = nil
    ) throws -> ProxyProcess {
        let listenPort = try LoopbackSocket.freePort()
        let process = try ProxyProcess(
            name: "ringgate-\(backend)",
            executable: executable,
            arguments: ["forward"] + forwardArguments(
                listenPort: listenPort, upstreamPort: upstreamPort, backend: backend, loops: loops, tls: tls),
            listenPort: listenPort,
            logPath: logPath
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
