import Foundation

/// The control plane's durable state: approval requests and their decisions, time-boxed
/// grants, token revocations, the session index and the policy version each replica runs.
///
/// Used by the control plane only (the API, the approval flow, the reloader); the data path
/// never waits on it for allow/deny decisions. Every instant is passed in by the caller, so
/// the store itself reads no clock (except ``waitForChange(after:timeout:)``'s bound).
///
/// Engines: ``ControlStoreFactory`` opens SQLite (one file, the default) or PostgreSQL (shared
/// by several replicas). Both keep the same schema and pass the same test suite. Every
/// mutation appends to a change feed (``changes(after:limit:)``) in the same transaction.
public protocol ControlStore: Sendable {
    /// The engine's name (`sqlite` or `postgres`).
    var engineName: String { get }

    // MARK: Approval requests

    /// Stores a new request (its `state` must be `pending`).
    func createRequest(_ request: ApprovalRequest) async throws
    func request(id: String) async throws -> ApprovalRequest?
    /// The decisions recorded on a request, oldest first.
    func decisions(requestID: String) async throws -> [ApprovalDecision]
    /// Records one approver's decision and returns the request's state after it: any deny
    /// ends the request; `requiredApprovals` distinct approvers approve it. Refuses
    /// self-approval, a second decision by the same approver, and requests no longer pending;
    /// a decision at or past the deadline expires the request instead (and returns `expired`).
    func recordDecision(_ decision: ApprovalDecision) async throws -> ApprovalState
    /// Cancels a pending request (its client went away); returns the state it ends in.
    func cancelRequest(id: String, at instant: Date) async throws -> ApprovalState
    /// Pending requests, oldest first.
    func pendingRequests() async throws -> [ApprovalRequest]
    /// Expires every pending request whose deadline is at or before `instant`; returns their ids.
    func expireOverdueRequests(at instant: Date) async throws -> [String]
    /// Marks every pending request of `replicaID` failed and returns their ids, oldest first.
    /// A gateway calls it for itself when it starts (the statements its sessions held died with
    /// the previous process, so they must never run), or for a replica known to be gone.
    /// Approvals arriving afterwards are refused (`notPending`); other replicas' requests stay.
    func failPendingRequests(replicaID: String, at instant: Date) async throws -> [String]

    // MARK: Grants

    /// Stores a grant request (not approved, denied or revoked).
    func createGrant(_ grant: AccessGrant) async throws
    func grant(id: String) async throws -> AccessGrant?
    /// The decisions recorded on a grant (`requestID` is the grant's id), oldest first.
    func grantDecisions(grantID: String) async throws -> [ApprovalDecision]
    /// Records one approver's decision on a pending grant (`decision.requestID` is the grant's
    /// id) and returns the grant after it, with the rules of ``recordDecision(_:)``: any deny
    /// ends it; once `requiredApprovals` distinct approvers approve, it runs from that decision
    /// for its duration. Refuses self-approval, a second decision by the same approver, and
    /// grants no longer pending.
    func decideGrant(_ decision: ApprovalDecision) async throws -> AccessGrant
    /// Revokes a grant (pending or approved); revoking twice keeps the first revocation.
    func revokeGrant(id: String, by revoker: String, at instant: Date) async throws -> AccessGrant
    /// Every grant, newest request first.
    func grants() async throws -> [AccessGrant]
    /// The grants giving `identity` access to `resource` at `instant`.
    func activeGrants(identity: String, resource: String, at instant: Date) async throws -> [AccessGrant]
    /// Every grant in force at `instant` (approved, not revoked, not expired), soonest expiry first.
    func activeGrants(at instant: Date) async throws -> [AccessGrant]

    // MARK: Token revocations

    /// Revokes a token id (again: keeps the first entry).
    func addRevocation(_ revocation: TokenRevocation) async throws
    func isRevoked(jti: String) async throws -> Bool
    /// Every revocation, in revocation order.
    func revocations() async throws -> [TokenRevocation]
    /// Forgets the revocations of tokens expired at `instant` (they are refused as expired
    /// anyway); returns how many.
    func removeExpiredRevocations(at instant: Date) async throws -> Int

    // MARK: Session index

    func registerSession(_ session: SessionRecord) async throws
    /// Marks a session ended (ending twice keeps the first end).
    func endSession(id: String, at instant: Date) async throws
    /// Marks every live session of `replicaID` ended and returns their ids, oldest first (a
    /// gateway calls it for itself when it starts: the previous process's sessions are gone).
    func endSessions(replicaID: String, at instant: Date) async throws -> [String]
    /// Asks whichever replica serves a live session to kill it; `false` when it is not live.
    func requestSessionKill(id: String, by requester: String, at instant: Date) async throws -> Bool
    /// Sessions, oldest first; `liveOnly` leaves out the ended ones.
    func sessions(liveOnly: Bool) async throws -> [SessionRecord]

    // MARK: Policy versions

    /// Records the policy version `version.replicaID` has in force.
    func setPolicyVersion(_ version: ReplicaPolicyVersion) async throws
    func policyVersions() async throws -> [ReplicaPolicyVersion]

    // MARK: Change feed

    /// Changes with a sequence above `after`, in sequence order, at most `limit`.
    func changes(after sequence: UInt64, limit: Int) async throws -> [StoreChange]
    /// Like ``changes(after:limit:)``, waiting up to `timeout` for one when there is none yet.
    /// PostgreSQL wakes on LISTEN/NOTIFY (a change on another replica arrives within
    /// milliseconds), with polling as the fallback; SQLite wakes on this process's commits and polls.
    func waitForChange(after sequence: UInt64, timeout: Duration) async throws -> [StoreChange]

    /// Releases connections and background tasks; the store cannot be used afterwards.
    func close() async
}

extension ControlStore {
    /// One approver approves a grant (see ``decideGrant(_:)``).
    public func approveGrant(id: String, approver: String, at instant: Date, comment: String? = nil) async throws -> AccessGrant {
        try await decideGrant(ApprovalDecision(requestID: id, approver: approver, verdict: .approve, decidedAt: instant, comment: comment))
    }

    /// One approver denies a grant (see ``decideGrant(_:)``).
    public func denyGrant(id: String, approver: String, at instant: Date, comment: String? = nil) async throws -> AccessGrant {
        try await decideGrant(ApprovalDecision(requestID: id, approver: approver, verdict: .deny, decidedAt: instant, comment: comment))
    }

    /// What a gateway does to the store when it starts as `replicaID`: the requests its
    /// previous process held fail, and that process's sessions leave the index.
    @discardableResult
    public func recoverAfterRestart(replicaID: String, at instant: Date) async throws -> (failedRequests: [String], endedSessions: [String]) {
        let failed = try await failPendingRequests(replicaID: replicaID, at: instant)
        let ended = try await endSessions(replicaID: replicaID, at: instant)
        return (failed, ended)
    }

    /// Changes with a sequence above `after`, at most 1,000.
    public func changes(after sequence: UInt64) async throws -> [StoreChange] {
        try await changes(after: sequence, limit: 1000)
    }
}
