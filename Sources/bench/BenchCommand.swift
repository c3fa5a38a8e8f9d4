import ArgumentParser

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "End-to-end benchmarks: what the gateway adds over a direct connection.",
        subcommands: [StandardBenchCommand.self, TCPBenchCommand.self, PGBenchCommand.self, PolicyBenchCommand.self, GateCommand.self],
        defaultSubcommand: StandardBenchCommand.self
    )
}
