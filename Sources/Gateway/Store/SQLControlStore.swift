import Foundation

/// ``ControlStore`` written once over an engine's transactions: the rules (decisions,
/// expiry, grants) and the SQL are the same for SQLite and PostgreSQL.
final class SQLControlStore<Engine: StoreEngine>: ControlStore {
    let engine: Engine

    /// Wraps an engine whose schema is already migrated (see ``open(_:)``).
    init(engine: Engine) {
        self.engine = engine
    }

    /// Migrates the engine's schema to the latest version and wraps it.
    static func open(_ engine: Engine) async throws -> SQLControlStore {
        do {
            try await StoreMigrator(engine: engine).migrate()
        } catch {
            await engine.close()
            throw error
        }
        return SQLControlStore(engine: engine)
    }

    var engineName: String { engine.dialect.name }

    func close() async {
        await engine.close()
    }

    /// Runs a transaction that changes something, then wakes this process's change waiters.
    func write<Result: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> Result) async throws -> Result {
        let result = try await engine.transaction(body)
        engine.changeSignal.signal()
        return result
    }

    /// Runs a transaction that only reads.
    func read<Result: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> Result) async throws -> Result {
        try await engine.transaction(readOnly: true, body)
    }
}

extension StoreTransaction {
    /// Appends to the change feed (inside the caller's transaction) and returns the sequence.
    @discardableResult
    func recordChange(_ kind: StoreChangeKind, _ subject: String, at instant: Date, dialect: StoreDialect) async throws -> UInt64 {
        if let serialize = dialect.serializeChanges { _ = try await query(serialize) }
        let rows = try await query(
            "INSERT INTO changes (kind, subject, changed_ms) VALUES (?, ?, ?) RETURNING sequence",
            .text(kind.rawValue), .text(subject), StoreValue(instant))
        guard let row = rows.first else { throw StoreRowError.missingColumn("sequence") }
        let sequence = UInt64(try row.integer("sequence"))
        if let announce = dialect.announceChange { _ = try await query(announce(sequence)) }
        return sequence
    }
}
