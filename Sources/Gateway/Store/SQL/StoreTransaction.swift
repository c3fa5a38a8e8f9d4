/// Statements run inside one engine transaction (committed when the body returns, rolled
/// back when it throws).
protocol StoreTransaction {
    /// Runs a statement; returns the number of rows it changed.
    @discardableResult
    func execute(_ statement: StoreStatement) async throws -> Int
    /// Runs a statement and returns its rows.
    func query(_ statement: StoreStatement) async throws -> [StoreRow]
}

extension StoreTransaction {
    @discardableResult
    func execute(_ sql: String, _ values: StoreValue...) async throws -> Int {
        try await execute(StoreStatement(sql, values))
    }

    func query(_ sql: String, _ values: StoreValue...) async throws -> [StoreRow] {
        try await query(StoreStatement(sql, values))
    }
}
