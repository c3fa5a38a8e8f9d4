/// A grant that callers may ask for (`grants[]`): while a request for it is approved and
/// unexpired, its holder gets every rule that names it (`policies[].grant`) on the resource
/// the grant was asked for.
///
/// Rules naming a grant apply to its holders only: they carry no `identities` or `groups`
/// of their own. Who may ask is ``requesterIdentities`` and ``requesterGroups`` (both empty:
/// any caller the control API authenticates); who decides is ``approval`` (else the
/// resource's `approval`, else `gateway.control.approver_groups`).
public struct GrantDefinition: Sendable, Hashable {
    public var name: String
    /// Resource-name glob patterns the grant may be asked for on.
    public var resources: [String]
    /// The longest time a request may ask for.
    public var maxDurationMilliseconds: Int
    public var requesterIdentities: [String]
    public var requesterGroups: [String]
    /// Approver groups and `min_approvals` (`timeout` does not apply: a grant request waits
    /// until it is decided or withdrawn).
    public var approval: ApprovalSettings?
    public var location: SourceLocation

    /// One hour.
    public static let defaultMaxDurationMilliseconds = 3_600_000
    /// The longest `max_duration` a grant may have: 30 days.
    public static let maximumDurationMilliseconds = 30 * 86_400_000

    public init(
        name: String, resources: [String], maxDurationMilliseconds: Int = GrantDefinition.defaultMaxDurationMilliseconds,
        requesterIdentities: [String] = [], requesterGroups: [String] = [], approval: ApprovalSettings? = nil,
        location: SourceLocation = .unknown
    ) {
        self.name = name
        self.resources = resources
        self.maxDurationMilliseconds = maxDurationMilliseconds
        self.requesterIdentities = requesterIdentities
        self.requesterGroups = requesterGroups
        self.approval = approval
        self.location = location
    }

    /// Whether the grant may be asked for on `resource`.
    public func covers(resource: String) -> Bool {
        resources.contains { (try? GlobPattern($0))?.matches(resource) ?? false }
    }

    /// Whether `identity`, a member of `groups` (config and token groups), may ask for it.
    public func mayBeRequested(by identity: String, groups: Set<String>) -> Bool {
        if requesterIdentities.isEmpty, requesterGroups.isEmpty { return true }
        let canonical = IdentityName.canonical(identity)
        return requesterIdentities.contains { $0 == "*" || IdentityName.canonical($0) == canonical }
            || requesterGroups.contains(where: groups.contains)
    }

    /// Who decides a request for this grant on `resource`.
    public func approvalSettings(resource: String, in config: GatewayConfiguration) -> ApprovalSettings {
        if let approval { return approval }
        if let approval = config.resources.first(where: { $0.name == resource })?.approval { return approval }
        return ApprovalSettings.fallback(control: config.gateway.control)
    }
}
