import ArgumentParser
import Glibc
import IOCore

/// `ringgate forward`: one transparent TCP listener, no configuration file.
struct ForwardCommand: ParsableCommand, OwnsShutdownSignals {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward one TCP listener to one upstream, byte for byte (optionally terminating TLS).",
        discussion: """
            Runs the data plane without a configuration file: accepts on --listen, connects \
            each client to --upstream, forwards both directions until either side closes. \
            With --tls-cert-file and --tls-key-file, clients speak TLS and the plaintext is \
            relayed. \
            SIGTERM or SIGINT stops accepting, lets live connections finish for up to \
            --drain-timeout seconds, then exits.
            """
    )

    @Option(name: .long, help: "Address to listen on, HOST:PORT.")
    var listen: String

    @Option(name: .long, help: "Upstream to forward to, HOST:PORT.")
    var upstream: String

    @Option(name: .long, help: "I/O backend: auto, io_uring or epoll.")
    var ioBackend: String = "auto"

    @Option(name: .long, help: "Number of event-loop threads (default: one per core).")
    var loops: Int?

    @Option(name: .long, help: "Upstream connect timeout in seconds.")
    var connectTimeout: Double = 10

    @Option(name: .long, help: "Close connections idle for this many seconds (0: never).")
    var idleTimeout: Double = 0

    @Option(name: .long, help: "On SIGTERM/SIGINT, wait this many seconds for live connections.")
    var drainTimeout: Double = 10

    @Flag(name: .long, inversion: .prefixedNo, help: "Print one access-log line per connection to stderr.")
    var accessLog = true

    @Option(name: .long, help: "Terminate TLS from clients with this PEM certificate chain (needs --tls-key-file).")
    var tlsCertFile: String?

    @Option(name: .long, help: "The private key of --tls-cert-file (PEM).")
    var tlsKeyFile: String?

    @Option(name: .long, help: "Oldest TLS version accepted from clients: 1.2 or 1.3.")
    var tlsMinVersion: String = "1.2"

    func validate() throws {
        guard IOBackendSelection(rawValue: ioBackend) != nil else {
            throw ValidationError("--io-backend must be auto, io_uring or epoll (got '\(ioBackend)')")
        }
        if (tlsCertFile == nil) != (tlsKeyFile == nil) {
            throw ValidationError("--tls-cert-file and --tls-key-file go together")
        }
        guard TLSVersion(rawValue: tlsMinVersion) != nil else {
            throw ValidationError("--tls-min-version must be 1.2 or 1.3 (got '\(tlsMinVersion)')")
        }
        if let loops, loops < 1 || loops > 1024 { throw ValidationError("--loops must be between 1 and 1024") }
        for (name, value) in [("connect-timeout", connectTimeout), ("idle-timeout", idleTimeout), ("drain-timeout", drainTimeout)] {
            guard value.isFinite, value >= 0, value <= 86_400 else {
                throw ValidationError("--\(name) must be between 0 and 86400 seconds")
            }
        }
    }

    func run() throws {
        let listenAddress: SocketAddress
        let upstreamAddress: SocketAddress
        do {
            listenAddress = try SocketAddress(parsing: listen)
            upstreamAddress = try SocketAddress(parsing: upstream)
        } catch {
            throw ValidationError("\(error)")
        }

        var configuration = ProxyConfiguration()
        configuration.backend = IOBackendSelection(rawValue: ioBackend) ?? .auto
        if let loops { configuration.loopCount = loops }
        configuration.connectTimeout = connectTimeout > 0 ? .milliseconds(Int64(connectTimeout * 1000)) : nil
        configuration.idleTimeout = idleTimeout > 0 ? .milliseconds(Int64(idleTimeout * 1000)) : nil


        let listeners = [ListenerSpec(name: "forward", address: listenAddress, upstream: upstreamAddress)]
        let log = StderrAccessLog(printsRecords: accessLog)
        let server: any ForwardingServer
        if let tlsCertFile, let tlsKeyFile {
            let minimum = TLSVersion(rawValue: tlsMinVersion) ?? .v1_2
            let source: TLSContextSource
            do {
                source = TLSContextSource(try TLSContext.server(
                    certificateFile: tlsCertFile, keyFile: tlsKeyFile, minimumVersion: minimum))
            } catch {
                printError("ringgate: \(error)")
                throw ExitCode.failure
            }
            server = ProxyServer<TLSRelaySession>(
                configuration: configuration, listeners: listeners, accessLog: log,
                shared: TLSRelayConfiguration(listeners: [TLSRelayListener(clientTLS: source)]))
        } else {
            server = ProxyServer<PassthroughSession>(configuration: configuration, listeners: listeners, accessLog: log)
        }
        do {
            try server.start()
        } catch {
            printError("ringgate: \(error)")
            throw ExitCode.failure
        }
        let bound = server.boundAddresses.first.map { "\($0)" } ?? listen
        let loopCount = configuration.loopCount
        let tls = tlsCertFile == nil ? "" : " terminating TLS"
        printError("ringgate: forwarding \(bound) -> \(upstreamAddress)\(tls) on \(server.backend) with \(loopCount) loop\(loopCount == 1 ? "" : "s")")

        let received = ShutdownSignals.wait()
        printError("ringgate: \(received == SIGINT ? "SIGINT" : "SIGTERM") received, draining for up to \(drainTimeout) s (signal again to close now)")
        server.shutdown(deadline: .milliseconds(Int64(drainTimeout * 1000)))
        // A second signal cuts the drain short; the thread ends with the process.
        ShutdownSignals.onNextSignal {
            printError("ringgate: second signal, closing live connections now")
            server.shutdown(deadline: .zero)
        }
        server.waitUntilStopped()
    }
}

/// What `forward` needs of a server, whatever its session type.
protocol ForwardingServer: Sendable {
    func start() throws(ProxyServerError)
    var boundAddresses: [SocketAddress] { get }
    var backend: IOBackendKind { get }
    func shutdown(deadline: Duration)
    func waitUntilStopped()
}

extension ProxyServer: ForwardingServer {}

/// Writes one line per record/notice to stderr.
struct StderrAccessLog: AccessLog {
    var printsRecords: Bool

    func record(_ record: AccessLogRecord) {
        if printsRecords { printError("ringgate: access \(record)") }
    }

    func notice(_ message: String) {
        printError("ringgate: \(message)")
    }
}

