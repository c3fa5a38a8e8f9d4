/// One database engine under ``SQLControlStore``: transactions, and how it hears of changes.
protocol StoreEngine: Sendable {
    var dialect: StoreDialect { get }
    /// Woken when this engine learns of a change (its own commits are signalled by the store).
    var changeSignal: ChangeSignal { get }
    /// How often ``ControlStore/waitForChange(after:timeout:)`` looks again without a wake-up.
    var pollInterval: Duration { get }
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// A `readOnly` transaction cannot write (both engines refuse it) and runs beside writing
    /// ones on a consistent snapshot: SQLite on a reader connection (WAL), PostgreSQL on
    /// another pooled connection.
    func transaction<Result: Sendable>(
        readOnly: Bool,
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result
    func close() async
}

extension StoreEngine {
    /// A read-write transaction.
    func transaction<Result: Sendable>(
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result {
        try await transaction(readOnly: false, body)
    }
}
