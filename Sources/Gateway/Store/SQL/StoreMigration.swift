/// One numbered schema step. Each runs in its own transaction together with its
/// `schema_migrations` row, so a step is either applied and recorded, or neither.
struct StoreMigration: Sendable {
    var version: Int
    var name: String
    /// The step's statements for a dialect.
    var statements: @Sendable (StoreDialect) -> [String]
}
