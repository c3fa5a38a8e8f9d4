import Foundation

/// Time-boxed access: once approved, `identity` gets the rule set `ruleSet` on `resource`
/// for `duration`, until it expires or is revoked.
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
    public var approvedAt: Date?
    public var approvedBy: String?
    /// `approvedAt + duration`, set on approval.
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var revokedBy: String?

    public init(id: String, identity: String, resource: String, ruleSet: String, reason: String,
                duration: Duration, requestedAt: Date, approvedAt: Date? = nil, approvedBy: String? = nil,
                expiresAt: Date? = nil, revokedAt: Date? = nil, revokedBy: String? = nil) {
        self.id = id
        self.identity = identity
        self.resource = resource
        self.ruleSet = ruleSet
        self.reason = reason
        self.duration = duration
        self.requestedAt = requestedAt
        self.approvedAt = approvedAt
        self.approvedBy = approvedBy
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }

    /// Whether the grant gives access at `instant`: approved, not revoked, not expired.
    public func isActive(at instant: Date) -> Bool {
        guard approvedAt != nil, revokedAt == nil, let expiresAt else { return false }
        return instant < expiresAt
    }
}
