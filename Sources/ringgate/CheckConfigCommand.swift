import ArgumentParser
import Gateway

#if canImport(Glibc)
import Glibc
#endif

/// `ringgate check-config FILE`: validates a configuration, printing every problem as
/// `FILE:LINE:COL: path: message`; with `--effective`, prints one caller's effective policy.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and report every error with its location.")

    @Argument(help: "The configuration file.")
    var file: String

    @Flag(help: "Print the effective policy for --identity on --resource.")
    var effective = false

    @Option(help: "Caller identity (with --effective).")
    var identity: String?

    @Option(help: "Comma-separated groups the caller's token carries (with --effective).")
    var groups: String?

    @Option(help: "The identity provider that issued the token (with --effective); absent: a gateway token.")
    var provider: String?

    @Option(help: "Resource name (with --effective).")
    var resource: String?

    func validate() throws {
        if effective, identity == nil || resource == nil {
            throw ValidationError("--effective needs --identity and --resource")
        }
    }

    func run() throws {
        let config: GatewayConfiguration
        do {
            config = try ConfigLoader.load(path: file)
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            printError("\(error.diagnostics.count) error(s)")
            throw ExitCode(1)
        }
        let snapshot = PolicySnapshot(compiling: config)
        if effective, let identity, let resource {
            print(
                PolicyExplanation.effectivePolicy(
                    snapshot: snapshot, identity: identity, groups: splitList(groups), provider: provider, resource: resource))
        } else {
            print(
                "\(file): OK (\(config.resources.count) resources, \(config.groups.count) groups, \(config.policies.count) rules; policy version \(snapshot.version))"
            )
        }
    }
}

/// Comma-separated command-line lists (`--groups a,b`), also given as repeated options.
func splitList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",") }.map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
}

func splitList(_ text: String?) -> [String] {
    splitList(text.map { [$0] } ?? [])
}


extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
