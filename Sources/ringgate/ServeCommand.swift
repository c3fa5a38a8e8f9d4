import ArgumentParser
import Gateway
import Glibc
import IOCore
import Logging

/// `ringgate serve --config FILE`: runs every configured resource until SIGTERM/SIGINT.
struct ServeCommand: ParsableCommand, OwnsShutdownSignals {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway with a configuration file.",
        discussion: """
            Binds one listener per resource on every event loop and serves until SIGTERM or \
            SIGINT, which stop accepting, let live sessions finish for gateway.drain_timeout, \
            then exit. SIGHUP, or a change of the file, reloads the policy without dropping \
            sessions; a configuration that fails validation is rejected and the old policy stays.
            """
    )

    @Option(name: .long, help: "The configuration file (see docs/CONFIG.md).")
    var config: String

    @Option(name: .long, help: "Override gateway.io_backend: auto, io_uring or epoll.")
    var ioBackend: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Reload when the configuration file changes.")
    var watch = true

    func validate() throws {
        if let ioBackend, IOBackendSelection(rawValue: ioBackend) == nil {
            throw ValidationError("--io-backend must be auto, io_uring or epoll (got '\(ioBackend)')")
        }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "ringgate")
        logger.logLevel = .info


        let runtime: GatewayRuntime
        do {
            runtime = try GatewayRuntime(
                configPath: config, backend: ioBackend.flatMap(IOBackendSelection.init(rawValue:)),
                watchFile: watch, logger: logger)
        } catch {
            printError("ringgate: \(error)")
            throw ExitCode.failure
        }
        for (resource, address) in zip(runtime.configuration.resources, runtime.boundAddresses) {
            printError("ringgate: \(resource.name) (\(resource.protocol.rawValue)) listening on \(address) -> \(resource.upstream)")
        }

        let received = ShutdownSignals.wait()
        let drain = runtime.configuration.gateway.drainTimeoutMilliseconds
        printError("ringgate: \(received == SIGINT ? "SIGINT" : "SIGTERM") received, draining for up to \(drain) ms (signal again to close now)")
        runtime.shutdown(deadline: .milliseconds(Int64(drain)))
        // A second signal cuts the drain short.
        ShutdownSignals.onNextSignal {
            printError("ringgate: second signal, closing live sessions now")
            runtime.shutdown(deadline: .zero)
        }
        runtime.waitUntilStopped()
    }
}
