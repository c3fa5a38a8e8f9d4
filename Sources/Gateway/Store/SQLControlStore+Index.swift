import Foundation

/// Token revocations, the session index and the policy versions.
extension SQLControlStore {
    func addRevocation(_ revocation: TokenRevocation) async throws {
        guard !revocation.jti.isEmpty else { throw ControlStoreError.invalid("empty token id") }
        let dialect = engine.dialect
        try await write { transaction in
            let inserted = try await transaction.execute(
                "INSERT INTO token_revocations (\(StoreRecordCoding.revocationColumns)) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING",
                .text(revocation.jti), StoreValue(revocation.revokedAt), StoreValue(revocation.expiresAt))
            guard inserted > 0 else { return }
            try await transaction.recordChange(.tokenRevoked, revocation.jti, at: revocation.revokedAt, dialect: dialect)
        }
    }

    func isRevoked(jti: String) async throws -> Bool {
        try await read { transaction in
            try await !transaction.query("SELECT jti FROM token_revocations WHERE jti = ?", .text(jti)).isEmpty
        }
    }

    func revocations() async throws -> [TokenRevocation] {
        try await read { transaction in
            try await transaction.query(
                "SELECT \(StoreRecordCoding.revocationColumns) FROM token_revocations ORDER BY revoked_ms, jti"
            ).map(StoreRecordCoding.revocation)
        }
    }

    func removeExpiredRevocations(at instant: Date) async throws -> Int {
        try await write { transaction in
            try await transaction.execute("DELETE FROM token_revocations WHERE expires_ms <= ?", StoreValue(instant))
        }
    }

    func registerSession(_ session: SessionRecord) async throws {
        guard !session.id.isEmpty else { throw ControlStoreError.invalid("empty session id") }
        let dialect = engine.dialect
        try await write { transaction in
            let existing = try await transaction.query("SELECT id FROM sessions WHERE id = ?", .text(session.id))
            guard existing.isEmpty else { throw ControlStoreError.duplicate("session \(session.id)") }
            try await transaction.execute(
                "INSERT INTO sessions (\(StoreRecordCoding.sessionColumns)) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                .text(session.id), .text(session.replicaID), .text(session.identity), .text(session.resource),
                StoreValue(session.startedAt), StoreValue(session.endedAt))
            try await transaction.recordChange(.sessionStarted, session.id, at: session.startedAt, dialect: dialect)
        }
    }

    func endSession(id: String, at instant: Date) async throws {
        let dialect = engine.dialect
        try await write { transaction in
            let ended = try await transaction.execute(
                "UPDATE sessions SET ended_ms = ? WHERE id = ? AND ended_ms IS NULL", StoreValue(instant), .text(id))
            if ended > 0 {
                try await transaction.recordChange(.sessionEnded, id, at: instant, dialect: dialect)
                return
            }
            let known = try await transaction.query("SELECT id FROM sessions WHERE id = ?", .text(id))
            guard !known.isEmpty else { throw ControlStoreError.notFound("session \(id)") }
        }
    }

    func endSessions(replicaID: String, at instant: Date) async throws -> [String] {
        let dialect = engine.dialect
        return try await write { transaction in
            let ids = try await transaction.query(
                "SELECT id FROM sessions WHERE replica_id = ? AND ended_ms IS NULL ORDER BY started_ms, id\(dialect.lockRowsClause)",
                .text(replicaID)
            ).map { try $0.string("id") }
            for id in ids {
                try await transaction.execute(
                    "UPDATE sessions SET ended_ms = ? WHERE id = ? AND ended_ms IS NULL", StoreValue(instant), .text(id))
                try await transaction.recordChange(.sessionEnded, id, at: instant, dialect: dialect)
            }
            return ids
        }
    }

    func requestSessionKill(id: String, by requester: String, at instant: Date) async throws -> Bool {
        let dialect = engine.dialect
        return try await write { transaction in
            let marked = try await transaction.execute(
                "UPDATE sessions SET kill_requested_ms = ?, kill_requested_by = ? WHERE id = ? AND ended_ms IS NULL",
                StoreValue(instant), .text(requester), .text(id))
            guard marked > 0 else { return false }
            try await transaction.recordChange(.sessionKillRequested, id, at: instant, dialect: dialect)
            return true
        }
    }

    func sessions(liveOnly: Bool) async throws -> [SessionRecord] {
        try await read { transaction in
            try await transaction.query(
                "SELECT \(StoreRecordCoding.sessionColumns) FROM sessions\(liveOnly ? " WHERE ended_ms IS NULL" : "") ORDER BY started_ms, id"
            ).map(StoreRecordCoding.session)
        }
    }

    func setPolicyVersion(_ version: ReplicaPolicyVersion) async throws {
        let dialect = engine.dialect
        try await write { transaction in
            try await transaction.execute(
                """
                INSERT INTO policy_versions (replica_id, version, updated_ms) VALUES (?, ?, ?)
                ON CONFLICT (replica_id) DO UPDATE SET version = excluded.version, updated_ms = excluded.updated_ms
                """,
                .text(version.replicaID), .text(version.version), StoreValue(version.updatedAt))
            try await transaction.recordChange(.policyVersion, version.replicaID, at: version.updatedAt, dialect: dialect)
        }
    }

    func policyVersions() async throws -> [ReplicaPolicyVersion] {
        try await read { transaction in
            try await transaction.query("SELECT replica_id, version, updated_ms FROM policy_versions ORDER BY replica_id")
                .map(StoreRecordCoding.policyVersion)
        }
    }
}
