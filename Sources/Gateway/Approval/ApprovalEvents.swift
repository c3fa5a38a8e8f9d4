import Foundation
import Synchronization

/// Something that happened to an approval request, as the event stream and webhooks tell it.
public struct ApprovalEvent: Sendable {
    public enum Kind: String, Sendable {
        /// A statement is held and waits for approvers.
        case requested = "approval_requested"
        /// The request ended (approved, denied, expired, cancelled, failed).
        case closed = "approval_closed"
    }

    public var kind: Kind
    public var request: ApprovalRequest

    /// The one-line text chat tools show (Slack's `text` field).
    public var text: String {
        let statement = request.statement.count > 300 ? String(request.statement.prefix(300)) + "…" : request.statement
        switch kind {
        case .requested:
            let reason = request.justification.map { " (reason: \($0))" } ?? ""
            return "\(request.identity) asks to run `\(statement)` on \(request.resource)/\(request.database)\(reason): "
                + "ringgate approve \(request.id) or ringgate deny \(request.id)"
        case .closed:
            return "approval request \(request.id) by \(request.identity) on \(request.resource): \(request.state.rawValue)"
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
