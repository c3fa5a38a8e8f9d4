import ArgumentParser
import Foundation

/// `ringgate sessions`: the live sessions of a gateway, through its control API.
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List the live sessions of a gateway (control API; approvers and admins).")

    @OptionGroup var options: ControlOptions

    @Flag(name: .long, help: "Print the API's JSON instead of a table.")
    var json = false

    func run() async throws {
        let data = try await options.client().send("GET", "v1/sessions")
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let sessions = (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
        print("id\treplica\tidentity\tresource\tdatabase\tclient\tstarted")
        for session in sessions {
            let started = (session["started_at"] as? Double).map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) } ?? "-"
            print([
                "\(session["id"] ?? "-")", "\(session["replica"] ?? "-")", "\(session["identity"] ?? "-")", "\(session["resource"] ?? "-")",
                "\(session["database"] ?? "-")", "\(session["client"] ?? "-")", started,
            ].joined(separator: "\t"))
        }
    }
}

/// `ringgate kill ID`: ends a live session (its client gets FATAL 57P01).
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill", abstract: "End a live session (control API; admins).")

    @OptionGroup var options: ControlOptions

    @Argument(help: "The session id (`ringgate sessions`; any replica's, with a shared store).")
    var id: String

    func run() async throws {
        _ = try await options.client().send("DELETE", "v1/sessions/\(id)")
        print("terminated session \(id)")
    }
}
