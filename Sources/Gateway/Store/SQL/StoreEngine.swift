/// One database engine under ``SQLControlStore``: transactions, and how it hears of changes.
protocol StoreEngine: Sendable {
    var dialect: StoreDialect { get }
    /// Woken when this engine learns of a change (its own commits are signalled by the store).
    var changeSignal: ChangeSignal { get }
    /// How often ``ControlStore/waitForChange(after:timeout:)`` looks again without a wake-up.
    var pollInterval: Duration { get }
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<Result: Sendable>(
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result
    func close() async
}
