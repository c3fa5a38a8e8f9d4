import Foundation

/// Rows to records: the column lists the queries select, and how each row is read.
enum StoreRecordCoding {
    static let requestColumns = """
        id, replica_id, session_id, identity, groups_json, resource, database_name, statement, classes_json, \
        relations_json, justification, created_ms, deadline_ms, required_approvals, state, closed_ms, rule, \
        approver_groups_json
        """

    static func request(_ row: StoreRow) throws -> ApprovalRequest {
        guard let state = ApprovalState(rawValue: try row.string("state")) else { throw StoreRowError.wrongType("state") }
        return ApprovalRequest(
            id: try row.string("id"), replicaID: try row.string("replica_id"), sessionID: try row.optionalString("session_id"),
            identity: try row.string("identity"),
            groups: try row.stringList("groups_json"), resource: try row.string("resource"),
            database: try row.string("database_name"), statement: try row.string("statement"),
            classes: try row.stringList("classes_json"), relations: try row.stringList("relations_json"),
            justification: try row.optionalString("justification"), createdAt: try row.date("created_ms"),
            deadline: try row.date("deadline_ms"), requiredApprovals: Int(try row.integer("required_approvals")),
            state: state, closedAt: try row.optionalDate("closed_ms"), rule: try row.optionalString("rule"),
            approverGroups: try row.stringList("approver_groups_json"))
    }

    static let decisionColumns = "request_id, approver, verdict, decided_ms, comment"
    /// The same for grants: `grant_id` is read as the decision's `requestID`.
    static let grantDecisionColumns = "grant_id AS request_id, approver, verdict, decided_ms, comment"

    static func decision(_ row: StoreRow) throws -> ApprovalDecision {
        guard let verdict = ApprovalVerdict(rawValue: try row.string("verdict")) else { throw StoreRowError.wrongType("verdict") }
        return ApprovalDecision(
            requestID: try row.string("request_id"), approver: try row.string("approver"), verdict: verdict,
            decidedAt: try row.date("decided_ms"), comment: try row.optionalString("comment"))
    }

    static let grantColumns = """
        id, identity, resource, rule_set, reason, duration_ms, requested_ms, required_approvals, approved_ms, \
        approved_by, expires_ms, denied_ms, denied_by, revoked_ms, revoked_by
        """

    static func grant(_ row: StoreRow) throws -> AccessGrant {
        AccessGrant(
            id: try row.string("id"), identity: try row.string("identity"), resource: try row.string("resource"),
            ruleSet: try row.string("rule_set"), reason: try row.string("reason"),
            duration: .milliseconds(try row.integer("duration_ms")), requestedAt: try row.date("requested_ms"),
            requiredApprovals: Int(try row.integer("required_approvals")),
            approvedAt: try row.optionalDate("approved_ms"), approvedBy: try row.optionalString("approved_by"),
            expiresAt: try row.optionalDate("expires_ms"), deniedAt: try row.optionalDate("denied_ms"),
            deniedBy: try row.optionalString("denied_by"), revokedAt: try row.optionalDate("revoked_ms"),
            revokedBy: try row.optionalString("revoked_by"))
    }

    static let revocationColumns = "jti, revoked_ms, expires_ms"

    static func revocation(_ row: StoreRow) throws -> TokenRevocation {
        TokenRevocation(jti: try row.string("jti"), revokedAt: try row.date("revoked_ms"), expiresAt: try row.date("expires_ms"))
    }

    static let sessionColumns = "id, replica_id, identity, resource, started_ms, ended_ms, kill_requested_ms, kill_requested_by"

    static func session(_ row: StoreRow) throws -> SessionRecord {
        SessionRecord(
            id: try row.string("id"), replicaID: try row.string("replica_id"), identity: try row.string("identity"),
            resource: try row.string("resource"), startedAt: try row.date("started_ms"),
            endedAt: try row.optionalDate("ended_ms"), killRequestedAt: try row.optionalDate("kill_requested_ms"),
            killRequestedBy: try row.optionalString("kill_requested_by"))
    }

    static func policyVersion(_ row: StoreRow) throws -> ReplicaPolicyVersion {
        ReplicaPolicyVersion(replicaID: try row.string("replica_id"), version: try row.string("version"),
                             updatedAt: try row.date("updated_ms"))
    }

    static func change(_ row: StoreRow) throws -> StoreChange {
        StoreChange(sequence: UInt64(try row.integer("sequence")), kind: StoreChangeKind(rawValue: try row.string("kind")),
                    subject: try row.string("subject"),
                           changedAt: try row.date("changed_ms"))
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var storeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
