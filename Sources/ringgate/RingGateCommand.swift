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
            TokenCommand.self,
        ]
    )
}
