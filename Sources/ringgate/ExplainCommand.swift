import ArgumentParser
import Gateway

/// `ringgate explain`: the decision for one statement, the rule that made it, and the policy
/// version.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show how the policy decides one statement for one caller on one resource.")

    @Option(help: "The configuration file.")
    var config: String

    @Option(help: "Caller identity.")
    var identity: String

    @Option(help: "Comma-separated groups the caller's token carries.")
    var groups: String?

    @Option(help: "The identity provider that issued the token (its name in identity_providers); absent: a gateway token.")
    var provider: String?

    @Option(help: "A grant the caller holds on the resource (grants[].name; repeatable): decide as if it were approved.")
    var grant: [String] = []

    @Option(help: "Resource name.")
    var resource: String

    @Option(help: "SQL text to classify (needs the SQL classifier).")
    var sql: String?

    @Option(name: .customLong("class"), help: "Comma-separated statement classes (read,write,drop,...).")
    var classes: String?

    @Option(name: .customLong("relation"), help: "A relation the statement names (repeatable): public.users, \"Audit\".\"Log\".")
    var relations: [String] = []

    @Option(help: "Statement length in bytes (for max_statement_length).")
    var length: Int?

    func validate() throws {
        if sql == nil, classes == nil { throw ValidationError("give --sql, or --class (and optionally --relation)") }
        if sql != nil, classes != nil || !relations.isEmpty { throw ValidationError("--sql excludes --class and --relation") }
    }

    func run() throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            throw ExitCode(1)
        }
        var statement: StatementInput
        do {
            if let sql {
                statement = StatementInput.classify(sql: sql)
            } else {
                statement = try StatementInput(classNames: splitList(classes), relationNames: relations)
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        if let length { statement.length = length } else if let sql { statement.length = sql.utf8.count }
        let snapshot = PolicySnapshot(compiling: configuration)
        let result = PolicyExplanation.explain(
            snapshot: snapshot, identity: identity, groups: splitList(groups), provider: provider, grants: grant,
            resource: resource, statement: statement)
        print(result.report)
    }
}
