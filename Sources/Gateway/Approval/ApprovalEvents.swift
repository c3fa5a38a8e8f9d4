import Foundation
import Synchronization

/// Something that happened to an approval request or a grant, as the event stream and
/// webhooks tell it.
public struct ApprovalEvent: Sendable {
    public enum Kind: String, Sendable {
        /// A statement is held and waits for approvers.
        case requested = "approval_requested"
        /// The request ended (approved, denied, expired, cancelled, failed).
        case closed = "approval_closed"
        /// A caller asked for a time-boxed grant.
        case grantRequested = "grant_requested"
        /// A grant was approved, denied or revoked.
        case grantDecided = "grant_decided"
    }

    /// What the event is about.
    public enum Subject: Sendable {
        case request(ApprovalRequest)
        case grant(AccessGrant)
    }

    public var kind: Kind
    public var subject: Subject

    public init(kind: Kind, request: ApprovalRequest) {
        self.kind = kind
        subject = .request(request)
    }

    public init(kind: Kind, grant: AccessGrant) {
        self.kind = kind
        subject = .grant(grant)
    }

    /// The request's or grant's id.
    public var id: String {
        switch subject {
        case .request(let request): request.id
        case .grant(let grant): grant.id
        }
    }

    /// The one-line text chat tools show (Slack's `text` field).
    public var text: String {
        switch subject {
        case .request(let request):
            let statement = request.statement.count > 300 ? String(request.statement.prefix(300)) + "…" : request.statement
            if kind == .requested {
                let reason = request.justification.map { " (reason: \($0))" } ?? ""
                return "\(request.identity) asks to run `\(statement)` on \(request.resource)/\(request.database)\(reason): "
                    + "ringgate approve \(request.id) or ringgate deny \(request.id)"
            }
            return "approval request \(request.id) by \(request.identity) on \(request.resource): \(request.state.rawValue)"
        case .grant(let grant):
            if kind == .grantRequested {
                return "\(grant.identity) asks for grant \(grant.ruleSet) on \(grant.resource) for "
                    + "\(DurationParser.text(grant.duration)) (reason: \(grant.reason)): "
                    + "ringgate approve \(grant.id) or ringgate deny \(grant.id)"
            }
            return "grant \(grant.id) (\(grant.ruleSet)) for \(grant.identity) on \(grant.resource): \(grant.state(at: Date()).rawValue)"
        }
    }

    /// The JSON the event stream and webhooks carry for the subject.
    func subjectJSON(_ encoder: JSONEncoder) throws -> Data {
        switch subject {
        case .request(let request): try encoder.encode(RequestDescription(request, decisions: []))
        case .grant(let grant): try encoder.encode(GrantDescription(grant, at: Date(), decisions: []))
        }
    }
}

/// Fans approval events out to the API's event-stream subscribers.
final class ApprovalEventHub: Sendable {
    private let subscribers = Mutex<[UInt64: AsyncStream<ApprovalEvent>.Continuation]>([:])
    private let next = Atomic<UInt64>(0)

    /// A stream of the events from now on; it ends when the subscriber stops reading it.
    func subscribe() -> AsyncStream<ApprovalEvent> {
        let id = next.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<ApprovalEvent>.makeStream(bufferingPolicy: .bufferingNewest(256))
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    func publish(_ event: ApprovalEvent) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }

    func finishAll() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }
}
