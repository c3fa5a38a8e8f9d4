/// What differs between the engines' SQL; everything else is written once.
struct StoreDialect: Sendable {
    /// The engine's name (`sqlite`, `postgres`).
    var name: String
    /// Column definition of the change feed's sequence.
    var sequenceColumn: String
    /// Appended to a `SELECT` that must lock the rows it reads until commit.
    var lockRowsClause: String
    /// Run before a change is appended: serializes appends so sequences follow commit order.
    var serializeChanges: StoreStatement?
    /// Run first in a migration step: one migrator at a time.
    var serializeMigrations: StoreStatement?
    /// Given the new sequence, announces a change to other processes at commit.
    var announceChange: (@Sendable (UInt64) -> StoreStatement)?

    static let sqlite = StoreDialect(
        name: "sqlite",
        sequenceColumn: "sequence INTEGER PRIMARY KEY AUTOINCREMENT",
        lockRowsClause: "",  // a SQLite write transaction already excludes other writers
        serializeChanges: nil,
        serializeMigrations: nil,
        announceChange: nil)

    /// The PostgreSQL NOTIFY channel the change feed announces on.
    static let postgresChannel = "ringgate_store_changes"

    static let postgres = StoreDialect(
        name: "postgres",
        sequenceColumn: "sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        lockRowsClause: " FOR UPDATE",
        // Without it, a transaction that took sequence 7 could commit before the one holding
        // 6, and a reader at 7 would never see 6.
        serializeChanges: StoreStatement("SELECT pg_advisory_xact_lock(7236310001)"),
        serializeMigrations: StoreStatement("SELECT pg_advisory_xact_lock(7236310002)"),
        announceChange: { StoreStatement("SELECT pg_notify('\(StoreDialect.postgresChannel)', ?)", [.text(String($0))]) })
}
