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
    /// Marks every pending request of `replicaID` failed (the replica restarted: its held
    /// statements are gone); returns their ids.
    func failPendingRequests(replicaID: String, at instant: Date) async throws -> [String]

    // MARK: Grants

    /// Stores a grant request (not approved, not revoked).
    func createGrant(_ grant: AccessGrant) async throws
    func grant(id: String) async throws -> AccessGrant?
    /// Approves a grant: it runs from `instant` for its duration. Refuses self-approval.
    func approveGrant(id: String, approver: String, at instant: Date) async throws -> AccessGrant
    /// Revokes a grant (approved or not); revoking twice keeps the first revocation.
    func revokeGrant(id: String, by revoker: String, at instant: Date) async throws -> AccessGrant
    /// Every grant, newest request first.
    func grants() async throws -> [AccessGrant]
    /// The grants giving `identity` access to `resource` at `instant`.
    func activeGrants(identity: String, resource: String, at instant: Date) async throws -> [AccessGrant]

    // MARK: Token revocations

    /// Revokes a token id (again: keeps the first entry).
    func addRevocation(_ revocation: TokenRevocation) async throws
    func isRevoked(jti: String) async throws -> Bool
    /// Every revocation, in revocation order.
    func revocations() async throws -> [TokenRevocation]

    // MARK: Session index

    func registerSession(_ session: SessionRecord) async throws
    /// Marks a session ended (ending twice keeps the first end).
    func endSession(id: String, at instant: Date) async throws
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
    /// Changes with a sequence above `after`, at most 1,000.
    public func changes(after sequence: UInt64) async throws -> [StoreChange] {
        try await changes(after: sequence, limit: 1000)
    }
}
