import Crypto
import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Posts approval events to a webhook (`gateway.control.webhook`): a JSON body with the
/// event, the request or grant and a Slack-compatible `text`, signed with HMAC-SHA256 over
/// `<timestamp>.<body>` (headers `X-RingGate-Timestamp`, `X-RingGate-Signature: sha256=<hex>`),
/// retried with exponential back-off on a network error or a non-2xx answer. Control plane
/// only; the statement waits whatever the webhook does.
final class WebhookNotifier: Sendable {
    let settings: WebhookSettings
    private let secret: SymmetricKey
    private let log: Logger
    private let session: URLSession

    init(settings: WebhookSettings, secret: [UInt8], log: Logger) {
        self.settings = settings
        self.secret = SymmetricKey(data: secret)
        self.log = log
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(settings.timeoutMilliseconds) / 1000
        session = URLSession(configuration: configuration)
    }

    /// Sends `event` in the background.
    func notify(_ event: ApprovalEvent) {
        Task { [self] in await deliver(event) }
    }

    func deliver(_ event: ApprovalEvent) async {
        guard let body = try? Self.body(event) else { return }
        var delay = Duration.milliseconds(settings.firstRetryDelayMilliseconds)
        for attempt in 1...(settings.retries + 1) {
            let timestamp = String(Int(Date().timeIntervalSince1970))
            var request = URLRequest(url: settings.url)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(timestamp, forHTTPHeaderField: "X-RingGate-Timestamp")
            request.setValue("sha256=" + signature(timestamp: timestamp, body: body), forHTTPHeaderField: "X-RingGate-Signature")
            request.setValue(event.kind.rawValue, forHTTPHeaderField: "X-RingGate-Event")
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return }
                log.warning("webhook answered \(status)", metadata: ["subject": "\(event.id)", "attempt": "\(attempt)"])
            } catch {
                log.warning("webhook not reached", metadata: ["subject": "\(event.id)", "attempt": "\(attempt)", "error": "\(error)"])
            }
            guard attempt <= settings.retries else { break }
            try? await Task.sleep(for: delay)
            delay = delay * 2
        }
        log.error("webhook gave up", metadata: ["subject": "\(event.id)", "event": "\(event.kind.rawValue)"])
    }

    /// Hex HMAC-SHA256 of `<timestamp>.<body>`.
    func signature(timestamp: String, body: Data) -> String {
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: secret)
        return code.map { String(format: "%02x", $0) }.joined()
    }

    static func body(_ event: ApprovalEvent) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var body = WebhookBody(event: event.kind.rawValue, text: event.text)
        switch event.subject {
        case .request(let request): body.request = RequestDescription(request, decisions: [])
        case .grant(let grant): body.grant = GrantDescription(grant, at: Date(), decisions: [])
        }
        return try encoder.encode(body)
    }

    /// `event`, `text`, and `request` or `grant`.
    struct WebhookBody: Encodable {
        var event: String
        var text: String
        var request: RequestDescription?
        var grant: GrantDescription?
    }
}
