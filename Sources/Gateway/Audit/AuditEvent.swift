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
    }
}

/// Where audit events go. Implementations are thread-safe and never throw at the caller:
/// a failing sink reports through its own channel.
public protocol AuditSink: Sendable {
    func record(_ event: AuditEvent)
}
