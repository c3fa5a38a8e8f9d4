import Foundation

/// What a ``StoreChange`` is about.
public enum StoreChangeKind: String, Sendable, Hashable, CaseIterable {
    case requestCreated = "request_created"
    /// A decision was recorded (the request may still be pending).
    case requestDecided = "request_decided"
    /// A request left `pending` (approved, denied, expired, cancelled, failed).
    case requestClosed = "request_closed"
    case grantCreated = "grant_created"
    case grantApproved = "grant_approved"
    case grantRevoked = "grant_revoked"
    case tokenRevoked = "token_revoked"
    case sessionStarted = "session_started"
    case sessionEnded = "session_ended"
    case sessionKillRequested = "session_kill_requested"
    case policyVersion = "policy_version"
}

/// One entry of the store's change feed. Sequences grow strictly in commit order, so a
/// reader that remembers the last sequence it saw misses nothing.
public struct StoreChange: Sendable, Hashable {
    public var sequence: UInt64
    public var kind: StoreChangeKind
    /// The id the change is about (request, grant, jti, session, replica).
    public var subject: String
    public var changedAt: Date

    public init(sequence: UInt64, kind: StoreChangeKind, subject: String, changedAt: Date) {
        self.sequence = sequence
        self.kind = kind
        self.subject = subject
        self.changedAt = changedAt
    }
}
