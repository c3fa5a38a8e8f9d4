/// Where an approval request stands. Only `pending` moves; every other state is final.
public enum ApprovalState: String, Sendable, Hashable, CaseIterable {
    /// Waiting for decisions.
    case pending
    /// Enough distinct approvers approved: the held statement may run.
    case approved
    /// An approver denied it (any deny ends the request).
    case denied
    /// Its deadline passed without enough approvals.
    case expired
    /// The client went away (or the session ended) while it waited.
    case cancelled
    /// The replica holding the statement restarted: the statement is gone and never runs.
    case failed

    /// Whether no further decision can change the request.
    public var isFinal: Bool { self != .pending }
}
