import Codecs
import Foundation

/// One audit record. Every decision record carries the policy version that made it.
///
/// Built off the data path (the loop hands the decision to the audit writer); fields never
/// hold secrets: statement text is not included, only its classes.
public struct AuditEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A statement was allowed, denied or held for review.
        case decision
        /// A new policy was published.
        case policyReloaded = "policy_reloaded"
        /// A changed configuration failed validation; the old policy stays.
        case policyRejected = "policy_rejected"
        /// A caller failed authentication (the reason, never the credential).
        case authenticationRejected = "authentication_rejected"
        /// A client session was authenticated and logged in upstream.
        case sessionStart = "session_start"
        /// A client session ended (bytes, duration, close reason).
        case sessionEnd = "session_end"
        /// A statement's decision within a session (classes and relation names, never its text).
        case statement
        /// A session recording could not be written completely (how many records and bytes were lost).
        case recordingFailed = "recording_failed"
        /// A caller asked for a time-boxed grant (`rule`: the grant's name; `grant`: its id).
        case grantRequested = "grant_requested"
        /// A grant got its last approval and is in force (`message`: until when).
        case grantApproved = "grant_approved"
        case grantDenied = "grant_denied"
        /// A grant was revoked or withdrawn before it ended.
        case grantRevoked = "grant_revoked"
        /// A grant's time ran out.
        case grantExpired = "grant_expired"
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var timeMilliseconds: Int64
    public var kind: Kind
    /// Policy version (content hash) in force for this event.
    public var policyVersion: String
    public var identity: String?
    public var resource: String?
    public var action: String?
    public var reason: String?
    public var rule: String?
    public var classes: [String]?
    public var message: String?

    // Session fields (see SessionAuditEvents.swift); nil, and left out of the JSON line, otherwise.
    /// Correlates a session's start, statements and end.
    public var sessionID: UInt64?
    public var groups: [String]?
    public var clientAddress: String?
    public var database: String?
    public var upstreamUser: String?
    /// Bytes received from the client.
    public var bytesIn: UInt64?
    /// Bytes sent to the client.
    public var bytesOut: UInt64?
    /// Session length (session_end) or statement evaluation time (statement), in milliseconds.
    public var durationMilliseconds: Double?
    public var closeReason: String?
    /// Relation names the statement touches, as the classifier reported them.
    public var relations: [String]?
    /// statement: DataRows the client received in the statement's result.
    public var rows: UInt64?
    /// statement: bytes of those DataRows (whole messages, after masking);
    /// recording_failed: bytes of the recording that were not written.
    public var bytes: UInt64?
    /// recording_failed: records that were not written (completely).
    public var records: UInt64?
    /// grant_*: the grant's id in the control store.
    public var grant: String?

    public init(
        kind: Kind, policyVersion: String, identity: String? = nil, resource: String? = nil, action: String? = nil,
        reason: String? = nil, rule: String? = nil, classes: [String]? = nil, message: String? = nil,
        timeMilliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1000)
    ) {
        self.timeMilliseconds = timeMilliseconds
        self.kind = kind
        self.policyVersion = policyVersion
        self.identity = identity
        self.resource = resource
        self.action = action
        self.reason = reason
        self.rule = rule
        self.classes = classes
        self.message = message
    }

    /// The record for a decision made by `session`'s current snapshot.
    public init(decision: Decision, session: PolicySession, classes: StatementClass) {
        self.init(
            kind: .decision, policyVersion: session.policyVersion, identity: session.identity,
            resource: session.resourceName, action: decision.action.description, reason: decision.reason.description,
            rule: session.snapshot.ruleID(of: decision), classes: classes.names)
    }

    enum CodingKeys: String, CodingKey {
        case timeMilliseconds = "time_ms"
        case kind, identity, resource, action, reason, rule, classes, message
        case policyVersion = "policy_version"
        case sessionID = "session_id"
        case groups
        case clientAddress = "client_address"
        case database
        case upstreamUser = "upstream_user"
        case bytesIn = "bytes_in"
        case bytesOut = "bytes_out"
        case durationMilliseconds = "duration_ms"
        case closeReason = "close_reason"
        case relations
        case rows, bytes, records, grant
    }
}

/// Where audit events go. Implementations are thread-safe and never throw at the caller:
/// a failing sink reports through its own channel.
public protocol AuditSink: Sendable {
    func record(_ event: AuditEvent)
    /// Records several events in order (a sink may write them at once).
    func record(contentsOf events: [AuditEvent])
}

extension AuditSink {
    public func record(contentsOf events: [AuditEvent]) {
        for event in events { record(event) }
    }
}
