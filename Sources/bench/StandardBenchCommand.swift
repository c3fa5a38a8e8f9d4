import ArgumentParser
import Foundation

/// `bench` with no subcommand: the quick standard set, `bench tcp --quick` and
/// `bench pg --quick`, printed together; `--json` writes both reports in one file.
struct StandardBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "standard",
        abstract: "The quick standard set: bench tcp --quick and bench pg --quick, in one report."
    )

    @Option(help: "Where to write both reports as one JSON object {\"tcp\": ..., \"pg\": ...}.")
    var json: String?

    struct Combined: Encodable {
        var tcp: TCPBenchReport
        var pg: PGBenchReport
    }

    func run() throws {
        let tcpConfiguration = try TCPBenchCommand.parse(["--quick"]).benchConfiguration()
        let tcp = try TCPBench.run(tcpConfiguration)
        TCPBench.cleanUp(tcpConfiguration.workDirectory, after: tcp, keep: false)
        let pg = try PGBench.run(try PGBenchCommand.parse(["--quick", "--no-build-ringgate"]).configuration())
        print("== bench tcp --quick\n" + ResultTable.render(tcp))
        print("\n== bench pg --quick\n" + pg.render())
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(Combined(tcp: tcp, pg: pg)).write(to: URL(fileURLWithPath: json))
            print("\nJSON: \(json)")
        }
    }
}
