import Foundation

extension SQLControlStore {
    func createGrant(_ grant: AccessGrant) async throws {
        guard !grant.id.isEmpty else { throw ControlStoreError.invalid("empty grant id") }
        guard grant.duration > .zero else { throw ControlStoreError.invalid("a grant's duration must be positive") }
        guard grant.requiredApprovals >= 1 else { throw ControlStoreError.invalid("required approvals must be at least 1") }
        guard grant.approvedAt == nil, grant.deniedAt == nil, grant.revokedAt == nil else {
            throw ControlStoreError.invalid("a new grant is neither approved, denied nor revoked")
        }
        let dialect = engine.dialect
        try await write { transaction in
            let existing = try await transaction.query("SELECT id FROM grants WHERE id = ?", .text(grant.id))
            guard existing.isEmpty else { throw ControlStoreError.duplicate("grant \(grant.id)") }
            try await transaction.execute(
                """
                INSERT INTO grants (\(StoreRecordCoding.grantColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
                """,
                .text(grant.id), .text(grant.identity), .text(grant.resource), .text(grant.ruleSet), .text(grant.reason),
                .integer(grant.duration.storeMilliseconds), StoreValue(grant.requestedAt), StoreValue(grant.requiredApprovals))
            try await transaction.recordChange(.grantCreated, grant.id, at: grant.requestedAt, dialect: dialect)
        }
    }

    func grant(id: String) async throws -> AccessGrant? {
        try await read { transaction in
            try await transaction.grant(id: id, lock: "")
        }
    }

    func grantDecisions(grantID: String) async throws -> [ApprovalDecision] {
        try await read { transaction in
            try await transaction.query(
                "SELECT \(StoreRecordCoding.grantDecisionColumns) FROM grant_decisions WHERE grant_id = ? ORDER BY decided_ms, approver",
                .text(grantID)
            ).map(StoreRecordCoding.decision)
        }
    }

    func decideGrant(_ decision: ApprovalDecision) async throws -> AccessGrant {
        let dialect = engine.dialect
        let id = decision.requestID
        return try await write { transaction in
            // Locks the grant: concurrent decisions on it take their turn here.
            guard var grant = try await transaction.grant(id: id, lock: dialect.lockRowsClause) else {
                throw ControlStoreError.notFound("grant \(id)")
            }
            let state = grant.state(at: decision.decidedAt)
            guard state == .pending else { throw ControlStoreError.notPending("grant \(id) is \(state.rawValue)") }
            if decision.verdict == .approve && decision.approver == grant.identity { throw ControlStoreError.selfApproval }
            let earlier = try await transaction.query(
                "SELECT approver FROM grant_decisions WHERE grant_id = ? AND approver = ?", .text(id), .text(decision.approver))
            guard earlier.isEmpty else { throw ControlStoreError.alreadyDecided }
            try await transaction.execute(
                "INSERT INTO grant_decisions (grant_id, approver, verdict, decided_ms, comment) VALUES (?, ?, ?, ?, ?)",
                .text(id), .text(decision.approver), .text(decision.verdict.rawValue),
                StoreValue(decision.decidedAt), StoreValue(decision.comment))
            try await transaction.recordChange(.grantDecided, id, at: decision.decidedAt, dialect: dialect)
            switch decision.verdict {
            case .deny:
                try await transaction.execute(
                    "UPDATE grants SET denied_ms = ?, denied_by = ? WHERE id = ?",
                    StoreValue(decision.decidedAt), .text(decision.approver), .text(id))
                try await transaction.recordChange(.grantDenied, id, at: decision.decidedAt, dialect: dialect)
                grant.deniedAt = decision.decidedAt
                grant.deniedBy = decision.approver
            case .approve:
                let approvals = try await transaction.query(
                    "SELECT COUNT(DISTINCT approver) AS approvals FROM grant_decisions WHERE grant_id = ? AND verdict = ?",
                    .text(id), .text(ApprovalVerdict.approve.rawValue))
                guard try approvals.first?.integer("approvals") ?? 0 >= Int64(grant.requiredApprovals) else { break }
                let expiresAt = decision.decidedAt.addingTimeInterval(Double(grant.duration.storeMilliseconds) / 1000)
                try await transaction.execute(
                    "UPDATE grants SET approved_ms = ?, approved_by = ?, expires_ms = ? WHERE id = ?",
                    StoreValue(decision.decidedAt), .text(decision.approver), StoreValue(expiresAt), .text(id))
                try await transaction.recordChange(.grantApproved, id, at: decision.decidedAt, dialect: dialect)
                grant.approvedAt = decision.decidedAt
                grant.approvedBy = decision.approver
                grant.expiresAt = expiresAt
            }
            return grant
        }
    }

    func revokeGrant(id: String, by revoker: String, at instant: Date) async throws -> AccessGrant {
        let dialect = engine.dialect
        return try await write { transaction in
            guard var grant = try await transaction.grant(id: id, lock: dialect.lockRowsClause) else {
                throw ControlStoreError.notFound("grant \(id)")
            }
            guard grant.revokedAt == nil else { return grant }
            try await transaction.execute(
                "UPDATE grants SET revoked_ms = ?, revoked_by = ? WHERE id = ?", StoreValue(instant), .text(revoker), .text(id))
            try await transaction.recordChange(.grantRevoked, id, at: instant, dialect: dialect)
            grant.revokedAt = instant
            grant.revokedBy = revoker
            return grant
        }
    }

    func grants() async throws -> [AccessGrant] {
        try await read { transaction in
            try await transaction.query(
                "SELECT \(StoreRecordCoding.grantColumns) FROM grants ORDER BY requested_ms DESC, id"
            ).map(StoreRecordCoding.grant)
        }
    }

    func activeGrants(at instant: Date) async throws -> [AccessGrant] {
        try await read { transaction in
            try await transaction.query(
                """
                SELECT \(StoreRecordCoding.grantColumns) FROM grants
                WHERE approved_ms IS NOT NULL AND denied_ms IS NULL AND revoked_ms IS NULL AND expires_ms > ?
                ORDER BY expires_ms, id
                """,
                StoreValue(instant)
            ).map(StoreRecordCoding.grant)
        }
    }

    func activeGrants(identity: String, resource: String, at instant: Date) async throws -> [AccessGrant] {
        try await read { transaction in
            try await transaction.query(
                """
                SELECT \(StoreRecordCoding.grantColumns) FROM grants
                WHERE identity = ? AND resource = ? AND approved_ms IS NOT NULL AND denied_ms IS NULL
                    AND revoked_ms IS NULL AND expires_ms > ?
                ORDER BY expires_ms, id
                """,
                .text(identity), .text(resource), StoreValue(instant)
            ).map(StoreRecordCoding.grant)
        }
    }
}

extension StoreTransaction {
    /// One grant, optionally locked (`lock` is the dialect's lock clause or empty).
    func grant(id: String, lock: String) async throws -> AccessGrant? {
        try await query("SELECT \(StoreRecordCoding.grantColumns) FROM grants WHERE id = ?\(lock)", .text(id))
            .first.map(StoreRecordCoding.grant)
    }
}
