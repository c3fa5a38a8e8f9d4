import Foundation

/// A statement held by a session until humans approve it (or deny it, or it times out).
public struct ApprovalRequest: Sendable, Hashable, Identifiable {
    /// Unique id, shown to the user and given to approvers.
    public var id: String
    /// The gateway replica whose session holds the statement.
    public var replicaID: String
    /// The session holding the statement (its entry in the session index, when it has one).
    public var sessionID: String?
    /// Who asked (the session's identity).
    public var identity: String
    /// The identity's groups when it asked.
    public var groups: [String]
    public var resource: String
    public var database: String
    /// The full statement text.
    public var statement: String
    /// The statement's classes (`SQLStatementClass` names).
    public var classes: [String]
    /// The relations the statement names.
    public var relations: [String]
    /// The client's reason, if it gave one (`/* reason: ... */` or `application_name`).
    public var justification: String?
    public var createdAt: Date
    /// After this instant the request can only expire.
    public var deadline: Date
    /// Distinct approvers needed (`min_approvals`).
    public var requiredApprovals: Int
    public var state: ApprovalState
    /// When the request left `pending`.
    public var closedAt: Date?
    /// The policy rule that sent the statement to review (nil: the resource's default).
    public var rule: String?
    /// Groups whose members may decide it (empty: the gateway's approver groups).
    public var approverGroups: [String]

    public init(id: String, replicaID: String, sessionID: String? = nil, identity: String, groups: [String] = [], resource: String,
                database: String, statement: String, classes: [String] = [], relations: [String] = [],
                justification: String? = nil, createdAt: Date, deadline: Date, requiredApprovals: Int = 1,
                state: ApprovalState = .pending, closedAt: Date? = nil, rule: String? = nil, approverGroups: [String] = []) {
        self.rule = rule
        self.approverGroups = approverGroups
        self.id = id
        self.replicaID = replicaID
        self.sessionID = sessionID
        self.identity = identity
        self.groups = groups
        self.resource = resource
        self.database = database
        self.statement = statement
        self.classes = classes
        self.relations = relations
        self.justification = justification
        self.createdAt = createdAt
        self.deadline = deadline
        self.requiredApprovals = requiredApprovals
        self.state = state
        self.closedAt = closedAt
    }
}
