/// Who approves a held statement and how (`approval:` on a policy rule or a resource).
///
/// A `review` decision takes the settings of the rule that decided it, else its resource's,
/// else ``ApprovalSettings/fallback(control:)``: the control API's approver groups, one
/// approval, ten minutes.
public struct ApprovalSettings: Sendable, Hashable {
    /// Groups whose members may decide (the requester never may).
    public var approverGroups: [String]
    /// Distinct approvers needed; any deny ends the request.
    public var minApprovals: Int
    /// Whether the client must give a reason (`/* reason: ... */` in the statement, or
    /// `application_name`); without one the statement is refused at once.
    public var requireJustification: Bool
    /// How long a request waits before it expires.
    public var timeoutMilliseconds: Int

    public static let defaultTimeoutMilliseconds = 10 * 60_000

    public init(approverGroups: [String] = [], minApprovals: Int = 1, requireJustification: Bool = false,
                timeoutMilliseconds: Int = ApprovalSettings.defaultTimeoutMilliseconds) {
        self.approverGroups = approverGroups
        self.minApprovals = minApprovals
        self.requireJustification = requireJustification
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The settings of a review that neither its rule nor its resource configures.
    public static func fallback(control: ControlSettings?) -> ApprovalSettings {
        ApprovalSettings(approverGroups: control?.approverGroups ?? [])
    }

    /// The settings for a review decided by rule `ruleID` (nil: the resource default) on `resource`.
    public static func resolve(rule ruleID: String?, resource: String, in config: GatewayConfiguration) -> ApprovalSettings {
        if let ruleID, let rule = config.policies.first(where: { $0.id == ruleID }), let approval = rule.approval {
            return approval
        }
        if let approval = config.resources.first(where: { $0.name == resource })?.approval {
            return approval
        }
        return fallback(control: config.gateway.control)
    }
}
