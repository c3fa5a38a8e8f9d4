/// The store's schema, as numbered migrations. The same logical schema in both engines:
/// instants are milliseconds since the Unix epoch (`BIGINT`), lists are JSON arrays (`TEXT`).
/// Append new steps; never edit one that has shipped.
enum StoreSchema {
    static let migrations: [StoreMigration] = [
        StoreMigration(version: 1, name: "control state") { dialect in
            [
                """
                CREATE TABLE approval_requests (
                    id TEXT PRIMARY KEY, replica_id TEXT NOT NULL, identity TEXT NOT NULL,
                    groups_json TEXT NOT NULL, resource TEXT NOT NULL, database_name TEXT NOT NULL,
                    statement TEXT NOT NULL, classes_json TEXT NOT NULL, relations_json TEXT NOT NULL,
                    justification TEXT, created_ms BIGINT NOT NULL, deadline_ms BIGINT NOT NULL,
                    required_approvals INTEGER NOT NULL, state TEXT NOT NULL, closed_ms BIGINT)
                """,
                "CREATE INDEX approval_requests_state ON approval_requests (state, deadline_ms)",
                """
                CREATE TABLE approval_decisions (
                    request_id TEXT NOT NULL REFERENCES approval_requests (id), approver TEXT NOT NULL,
                    verdict TEXT NOT NULL, decided_ms BIGINT NOT NULL, comment TEXT,
                    PRIMARY KEY (request_id, approver))
                """,
                """
                CREATE TABLE grants (
                    id TEXT PRIMARY KEY, identity TEXT NOT NULL, resource TEXT NOT NULL,
                    rule_set TEXT NOT NULL, reason TEXT NOT NULL, duration_ms BIGINT NOT NULL,
                    requested_ms BIGINT NOT NULL, approved_ms BIGINT, approved_by TEXT,
                    expires_ms BIGINT, revoked_ms BIGINT, revoked_by TEXT)
                """,
                "CREATE INDEX grants_identity ON grants (identity, resource)",
                """
                CREATE TABLE token_revocations (
                    jti TEXT PRIMARY KEY, revoked_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL)
                """,
                """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY, replica_id TEXT NOT NULL, identity TEXT NOT NULL,
                    resource TEXT NOT NULL, started_ms BIGINT NOT NULL, ended_ms BIGINT)
                """,
                """
                CREATE TABLE policy_versions (
                    replica_id TEXT PRIMARY KEY, version TEXT NOT NULL, updated_ms BIGINT NOT NULL)
                """,
                """
                CREATE TABLE changes (
                    \(dialect.sequenceColumn), kind TEXT NOT NULL, subject TEXT NOT NULL,
                    changed_ms BIGINT NOT NULL)
                """,
            ]
        },
        StoreMigration(version: 2, name: "session kill requests") { _ in
            [
                "ALTER TABLE sessions ADD COLUMN kill_requested_ms BIGINT",
                "ALTER TABLE sessions ADD COLUMN kill_requested_by TEXT",
                "CREATE INDEX sessions_live ON sessions (ended_ms, started_ms)",
                "CREATE INDEX approval_requests_replica ON approval_requests (replica_id, state)",
            ]
        },
        StoreMigration(version: 3, name: "grant decisions, request sessions") { _ in
            [
                "ALTER TABLE approval_requests ADD COLUMN session_id TEXT",
                "ALTER TABLE grants ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 1",
                "ALTER TABLE grants ADD COLUMN denied_ms BIGINT",
                "ALTER TABLE grants ADD COLUMN denied_by TEXT",
                """
                CREATE TABLE grant_decisions (
                    grant_id TEXT NOT NULL REFERENCES grants (id), approver TEXT NOT NULL,
                    verdict TEXT NOT NULL, decided_ms BIGINT NOT NULL, comment TEXT,
                    PRIMARY KEY (grant_id, approver))
                """,
                "CREATE INDEX sessions_replica ON sessions (replica_id, ended_ms)",
                "CREATE INDEX token_revocations_expiry ON token_revocations (expires_ms)",
            ]
        },
        StoreMigration(version: 4, name: "request rule and approver groups") { _ in
            [
                "ALTER TABLE approval_requests ADD COLUMN rule TEXT",
                "ALTER TABLE approval_requests ADD COLUMN approver_groups_json TEXT NOT NULL DEFAULT '[]'",
            ]
        },
    ]

    /// The newest schema version this code knows.
    static var latestVersion: Int { migrations.last?.version ?? 0 }
}
