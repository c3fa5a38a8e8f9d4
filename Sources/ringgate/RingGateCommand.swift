import ArgumentParser
import Gateway

@main
struct RingGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringgate",
        abstract: "RingGate: a Layer-7 access gateway on io_uring.",
        version: RingGateVersion.string,
        subcommands: [
            ServeCommand.self, ForwardCommand.self, CheckConfigCommand.self, ExplainCommand.self,
            TokenCommand.self, ReplayCommand.self, SessionsCommand.self, KillCommand.self,
            RequestsCommand.self, ApproveCommand.self, DenyCommand.self, RequestCommand.self, GrantsCommand.self,
        ]
    )

    /// Blocks the shutdown signals before anything else runs (see ``ShutdownSignals``), then
    /// parses and runs the command; long-running commands first raise the descriptor limit
    /// (see ``DescriptorLimit``).
    static func main() async {
        ShutdownSignals.block()
        do {
            var command = try parseAsRoot()
            if command is any OwnsShutdownSignals {
                DescriptorLimit.raiseSoftLimit()
            } else {
                ShutdownSignals.unblock()
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
