import Foundation

/// Time-boxed access: once approved, `identity` gets the rule set `ruleSet` on `resource`
/// for `duration`, until it expires or is revoked.
///
/// A grant is decided like an approval request: `requiredApprovals` distinct approvers (never
/// the identity itself) approve it, and any deny ends it.
public struct AccessGrant: Sendable, Hashable, Identifiable {
    public var id: String
    public var identity: String
    public var resource: String
    /// The name of the rule set the grant gives.
    public var ruleSet: String
    public var reason: String
    /// How long the access lasts once approved.
    public var duration: Duration
    public var requestedAt: Date
    /// Distinct approvers needed (`min_approvals`).
    public var requiredApprovals: Int
    /// When the last approval needed arrived.
    public var approvedAt: Date?
    /// The approver whose approval completed the grant (every decision: ``ControlStore/grantDecisions(grantID:)``).
    public var approvedBy: String?
    /// `approvedAt + duration`, set on approval.
    public var expiresAt: Date?
    public var deniedAt: Date?
    public var deniedBy: String?
    public var revokedAt: Date?
    public var revokedBy: String?

    public init(id: String, identity: String, resource: String, ruleSet: String, reason: String,
                duration: Duration, requestedAt: Date, requiredApprovals: Int = 1, approvedAt: Date? = nil,
                approvedBy: String? = nil, expiresAt: Date? = nil, deniedAt: Date? = nil, deniedBy: String? = nil,
                revokedAt: Date? = nil, revokedBy: String? = nil) {
        self.id = id
        self.identity = identity
        self.resource = resource
        self.ruleSet = ruleSet
        self.reason = reason
        self.duration = duration
        self.requestedAt = requestedAt
        self.requiredApprovals = requiredApprovals
        self.approvedAt = approvedAt
        self.approvedBy = approvedBy
        self.expiresAt = expiresAt
        self.deniedAt = deniedAt
        self.deniedBy = deniedBy
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }

    /// Whether the grant gives access at `instant`: approved, not revoked, not expired.
    public func isActive(at instant: Date) -> Bool {
        state(at: instant) == .active
    }

    /// Where the grant stands at `instant`.
    public func state(at instant: Date) -> AccessGrantState {
        if revokedAt != nil { return .revoked }
        if deniedAt != nil { return .denied }
        guard approvedAt != nil, let expiresAt else { return .pending }
        return instant < expiresAt ? .active : .expired
    }
}

/// Where an ``AccessGrant`` stands at an instant.
public enum AccessGrantState: String, Sendable, Hashable, CaseIterable {
    /// Waiting for approvals.
    case pending
    /// Approved and not yet expired: it gives access.
    case active
    /// Approved, and its time is up.
    case expired
    /// An approver denied it.
    case denied
    /// Revoked (before or after approval).
    case revoked
}
