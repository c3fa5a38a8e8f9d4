import Foundation

/// Brings a store's schema up to a version, one step per transaction, recording each step in
/// `schema_migrations`. Several processes may migrate at once: PostgreSQL serializes the steps
/// with an advisory lock and each step is skipped when already recorded.
struct StoreMigrator<Engine: StoreEngine> {
    let engine: Engine

    /// Applies the missing steps up to `target` (default: the latest); returns the version reached.
    @discardableResult
    func migrate(upTo target: Int = StoreSchema.latestVersion) async throws -> Int {
        let dialect = engine.dialect
        try await engine.transaction { transaction in
            if let lock = dialect.serializeMigrations { _ = try await transaction.query(lock) }
            try await transaction.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)
                """)
        }
        let found = try await currentVersion()
        guard found <= StoreSchema.latestVersion else {
            throw ControlStoreError.schemaTooNew(found: found, latest: StoreSchema.latestVersion)
        }
        for step in StoreSchema.migrations where step.version <= target {
            try await apply(step)
        }
        return try await currentVersion()
    }

    /// The highest version recorded (0: an empty store).
    func currentVersion() async throws -> Int {
        try await engine.transaction { transaction in
            let rows = try await transaction.query("SELECT MAX(version) AS version FROM schema_migrations")
            return Int(try rows.first?.optionalInteger("version") ?? 0)
        }
    }

    private func apply(_ step: StoreMigration) async throws {
        let dialect = engine.dialect
        try await engine.transaction { transaction in
            if let lock = dialect.serializeMigrations { _ = try await transaction.query(lock) }
            let applied = try await transaction.query(
                "SELECT version FROM schema_migrations WHERE version = ?", .integer(Int64(step.version)))
            guard applied.isEmpty else { return }
            for sql in step.statements(dialect) {
                try await transaction.execute(sql)
            }
            try await transaction.execute(
                "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)",
                .integer(Int64(step.version)), .text(step.name), StoreValue(Date()))
        }
    }
}
