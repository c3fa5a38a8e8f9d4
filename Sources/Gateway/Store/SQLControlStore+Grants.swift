import Foundation

extension SQLControlStore {
    func createGrant(_ grant: AccessGrant) async throws {
        guard !grant.id.isEmpty else { throw ControlStoreError.invalid("empty grant id") }
        guard grant.duration > .zero else { throw ControlStoreError.invalid("a grant's duration must be positive") }
        guard grant.approvedAt == nil, grant.revokedAt == nil else {
            throw ControlStoreError.invalid("a new grant is neither approved nor revoked")
        }
        let dialect = engine.dialect
        try await write { transaction in
            let existing = try await transaction.query("SELECT id FROM grants WHERE id = ?", .text(grant.id))
            guard existing.isEmpty else { throw ControlStoreError.duplicate("grant \(grant.id)") }
            try await transaction.execute(
                "INSERT INTO grants (\(StoreRecordCoding.grantColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL)",
                .text(grant.id), .text(grant.identity), .text(grant.resource), .text(grant.ruleSet), .text(grant.reason),
                .integer(grant.duration.storeMilliseconds), StoreValue(grant.requestedAt))
            try await transaction.recordChange(.grantCreated, grant.id, at: grant.requestedAt, dialect: dialect)
        }
    }

    func grant(id: String) async throws -> AccessGrant? {
        try await read { transaction in
            try await transaction.grant(id: id, lock: "")
        }
    }

    func approveGrant(id: String, approver: String, at instant: Date) async throws -> AccessGrant {
        let dialect = engine.dialect
        return try await write { transaction in
            guard var grant = try await transaction.grant(id: id, lock: dialect.lockRowsClause) else {
                throw ControlStoreError.notFound("grant \(id)")
            }
            guard grant.approvedAt == nil, grant.revokedAt == nil else {
                throw ControlStoreError.notPending("grant \(id) is already \(grant.revokedAt == nil ? "approved" : "revoked")")
            }
            guard approver != grant.identity else { throw ControlStoreError.selfApproval }
            let expiresAt = instant.addingTimeInterval(Double(grant.duration.storeMilliseconds) / 1000)
            try await transaction.execute(
                "UPDATE grants SET approved_ms = ?, approved_by = ?, expires_ms = ? WHERE id = ?",
                StoreValue(instant), .text(approver), StoreValue(expiresAt), .text(id))
            try await transaction.recordChange(.grantApproved, id, at: instant, dialect: dialect)
            grant.approvedAt = instant
            grant.approvedBy = approver
            grant.expiresAt = expiresAt
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

    func activeGrants(identity: String, resource: String, at instant: Date) async throws -> [AccessGrant] {
        try await read { transaction in
            try await transaction.query(
                """
                SELECT \(StoreRecordCoding.grantColumns) FROM grants
                WHERE identity = ? AND resource = ? AND approved_ms IS NOT NULL AND revoked_ms IS NULL AND expires_ms > ?
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
