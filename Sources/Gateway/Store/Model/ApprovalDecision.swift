import Foundation

/// What an approver said.
public enum ApprovalVerdict: String, Sendable, Hashable, CaseIterable {
    case approve
    case deny
}

/// One approver's decision on one request; an approver decides a request at most once.
public struct ApprovalDecision: Sendable, Hashable {
    public var requestID: String
    /// The approver's identity (never the requester's, for an approval).
    public var approver: String
    public var verdict: ApprovalVerdict
    public var decidedAt: Date
    public var comment: String?

    public init(requestID: String, approver: String, verdict: ApprovalVerdict, decidedAt: Date, comment: String? = nil) {
        self.requestID = requestID
        self.approver = approver
        self.verdict = verdict
        self.decidedAt = decidedAt
        self.comment = comment
    }
}
