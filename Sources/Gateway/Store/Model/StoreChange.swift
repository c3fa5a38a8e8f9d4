import Foundation

/// What a ``StoreChange`` is about. An open set: a kind written by a newer gateway sharing
/// the store reads back with its raw value instead of breaking the feed for older replicas.
public struct StoreChangeKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let requestCreated = StoreChangeKind(rawValue: "request_created")
    /// A decision was recorded (the request may still be pending).
    public static let requestDecided = StoreChangeKind(rawValue: "request_decided")
    /// A request left `pending` (approved, denied, expired, cancelled, failed).
    public static let requestClosed = StoreChangeKind(rawValue: "request_closed")
    public static let grantCreated = StoreChangeKind(rawValue: "grant_created")
    /// A decision on a grant was recorded (the grant may still be pending).
    public static let grantDecided = StoreChangeKind(rawValue: "grant_decided")
    public static let grantApproved = StoreChangeKind(rawValue: "grant_approved")
    public static let grantDenied = StoreChangeKind(rawValue: "grant_denied")
    public static let grantRevoked = StoreChangeKind(rawValue: "grant_revoked")
    public static let tokenRevoked = StoreChangeKind(rawValue: "token_revoked")
    public static let sessionStarted = StoreChangeKind(rawValue: "session_started")
    public static let sessionEnded = StoreChangeKind(rawValue: "session_ended")
    public static let sessionKillRequested = StoreChangeKind(rawValue: "session_kill_requested")
    public static let policyVersion = StoreChangeKind(rawValue: "policy_version")

    /// The kinds this gateway writes.
    public static let known: [StoreChangeKind] = [
        .requestCreated, .requestDecided, .requestClosed, .grantCreated, .grantDecided, .grantApproved,
        .grantDenied, .grantRevoked, .tokenRevoked, .sessionStarted, .sessionEnded, .sessionKillRequested,
        .policyVersion,
    ]
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
