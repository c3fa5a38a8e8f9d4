import ArgumentParser
import Foundation

/// `ringgate request`: asks for a time-boxed grant on a resource.
struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Ask for time-boxed access to a resource (control API); an approver decides with `ringgate approve g-...`.")

    @OptionGroup var options: ControlOptions

    @Option(name: .long, help: "The resource (resources[].name).")
    var resource: String

    @Option(name: .long, help: "The grant to ask for (grants[].name); optional when one grant covers the resource.")
    var grant: String?

    @Option(name: .customLong("for"), help: "How long, once approved: 90s, 30m, 2h, 1h30m.")
    var duration: String

    @Option(name: .long, help: "Why (kept with the grant and shown to approvers).")
    var reason: String

    @Flag(name: .long, help: "Print the API's JSON instead of a line.")
    var json = false

    func run() async throws {
        var body: [String: Any] = ["resource": resource, "duration": duration, "reason": reason]
        if let grant { body["grant"] = grant }
        let data = try await options.client().send("POST", "v1/grants", json: body)
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let answer = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        print("grant \(answer["id"] ?? "?"): \(answer["state"] ?? "?") (\(answer["grant"] ?? "?") on \(resource) for \(duration))")
    }
}

/// `ringgate grants`: lists grants; `ringgate grants revoke ID` ends one.
struct GrantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants", abstract: "List time-boxed grants, or revoke one (control API).",
        subcommands: [GrantsListCommand.self, GrantsRevokeCommand.self], defaultSubcommand: GrantsListCommand.self)
}

/// `ringgate grants list`: every grant the caller may see (approvers and admins: all).
struct GrantsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List grants (newest first).")

    @OptionGroup var options: ControlOptions

    @Flag(name: .long, help: "Print the API's JSON instead of a table.")
    var json = false

    func run() async throws {
        let data = try await options.client().send("GET", "v1/grants")
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let grants = (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
        print("id\tstate\tidentity\tresource\tgrant\texpires\treason")
        for grant in grants {
            let expires = (grant["expires_at"] as? Double).map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "-"
            print([
                "\(grant["id"] ?? "-")", "\(grant["state"] ?? "-")", "\(grant["identity"] ?? "-")", "\(grant["resource"] ?? "-")",
                "\(grant["grant"] ?? "-")", expires, String(((grant["reason"] as? String) ?? "").prefix(80)),
            ].joined(separator: "\t"))
        }
    }
}

/// `ringgate grants revoke ID`: ends a grant now (its holder, an approver or an admin).
struct GrantsRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a grant: live sessions lose it at their next statement.")

    @OptionGroup var options: ControlOptions

    @Argument(help: "The grant id (g-...).")
    var id: String

    func run() async throws {
        let data = try await options.client().send("POST", "v1/grants/\(id)/revoke", json: [:])
        let answer = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        print("grant \(id): \(answer["state"] ?? "?")")
    }
}
