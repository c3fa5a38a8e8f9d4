import ArgumentParser
import Gateway

@main
struct RingGateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringgate",
        abstract: "RingGate: a Layer-7 access gateway on io_uring.",
        version: RingGateVersion.string,
        subcommands: [ForwardCommand.self]
    )
}
