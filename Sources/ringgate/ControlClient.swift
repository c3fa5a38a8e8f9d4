import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the control API is and the bearer token to show it: shared by the commands that use it.
struct ControlOptions: ParsableArguments {
    @Option(name: .long, help: "The control API's base URL (or RINGGATE_CONTROL_URL).")
    var control: String?

    @Option(name: .customLong("token-file"), help: "A file holding the bearer token (or RINGGATE_TOKEN).")
    var tokenFile: String?

    func client() throws -> ControlClient {
        let environment = ProcessInfo.processInfo.environment
        guard let base = control ?? environment["RINGGATE_CONTROL_URL"], let url = URL(string: base) else {
            throw ControlClientError("the control API's URL is needed: --control http://127.0.0.1:PORT or RINGGATE_CONTROL_URL")
        }
        let token: String
        if let tokenFile {
            guard let contents = FileManager.default.contents(atPath: tokenFile) else {
                throw ControlClientError("cannot read token file \(tokenFile)")
            }
            token = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let fromEnvironment = environment["RINGGATE_TOKEN"] {
            token = fromEnvironment
        } else {
            throw ControlClientError("a bearer token is needed: --token-file FILE or RINGGATE_TOKEN")
        }
        return ControlClient(base: url, token: token)
    }
}

/// A small client of the control API for the CLI (off the data path: Foundation's URLSession).
struct ControlClient {
    let base: URL
    let token: String

    /// Sends `method path` with the bearer token; returns the body of a 2xx answer, or throws
    /// the API's message.
    func send(_ method: String, _ path: String, json body: [String: Any]? = nil) async throws -> Data {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 30
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw ControlClientError("no HTTP answer from \(base)") }
        guard (200..<300).contains(http.statusCode) else {
            throw ControlClientError("\(method) \(path): \(http.statusCode) \(Self.message(data))")
        }
        return data
    }

    /// The `error.message` of a Hummingbird error body, else the body as text.
    static func message(_ data: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String {
            return message
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct ControlClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
