import ArgumentParser
import Foundation

/// `ringgate requests`: the approval requests waiting for a decision.
struct RequestsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests", abstract: "List the approval requests waiting for a decision (control API).")

    @OptionGroup var options: ControlOptions

    @Flag(name: .long, help: "Print the API's JSON instead of a table.")
    var json = false

    func run() async throws {
        let data = try await options.client().send("GET", "v1/requests")
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let requests = (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
        print("id\tidentity\tresource\tapprovals\tjustification\tstatement")
        for request in requests {
            let approvals = ((request["decisions"] as? [[String: Any]]) ?? []).filter { $0["verdict"] as? String == "approve" }.count
            let statement = ((request["statement"] as? String) ?? "").replacingOccurrences(of: "\n", with: " ")
            print([
                "\(request["id"] ?? "-")", "\(request["identity"] ?? "-")", "\(request["resource"] ?? "-")",
                "\(approvals)/\(request["required_approvals"] ?? "-")", "\(request["justification"] as? String ?? "-")",
                String(statement.prefix(120)),
            ].joined(separator: "\t"))
        }
    }
}

/// `ringgate approve ID`: one approver's approval of a held statement.
struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a held statement (r-...) or a grant (g-...) (control API; its approver groups, never the requester).")

    @OptionGroup var options: ControlOptions

    @Argument(help: "The request id (from the client's notice, or `ringgate requests`), or a grant id (`ringgate grants`).")
    var id: String

    @Option(name: .long, help: "A comment kept with the decision.")
    var comment: String?

    func run() async throws {
        try await decide(options, id: id, verdict: "approve", comment: comment)
    }
}

/// `ringgate deny ID`: ends a request; the client gets an error and its session goes on.
struct DenyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny", abstract: "Deny a held statement (r-...) or a grant (g-...) (control API; its approver groups).")

    @OptionGroup var options: ControlOptions

    @Argument(help: "The request or grant id.")
    var id: String

    @Option(name: .long, help: "A comment the client sees with the denial.")
    var comment: String?

    func run() async throws {
        try await decide(options, id: id, verdict: "deny", comment: comment)
    }
}

private func decide(_ options: ControlOptions, id: String, verdict: String, comment: String?) async throws {
    var body: [String: Any] = [:]
    if let comment { body["comment"] = comment }
    // Grant ids start with `g-`, statement requests with `r-`.
    let kind = id.hasPrefix("g-") ? "grant" : "request"
    let data = try await options.client().send("POST", "v1/\(kind)s/\(id)/\(verdict)", json: body)
    let answer = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    print("\(kind) \(id): \(answer["state"] ?? "?")")
}
