/// Where the control store lives (`gateway.store`). Without one, the store is SQLite,
/// ``defaultSQLiteFile`` in the data directory (``GatewaySettings/effectiveStore``).
public enum StoreSettings: Sendable, Hashable {
    /// One SQLite file (`store: PATH`, or `{engine: sqlite, path: PATH}`); a relative path is
    /// taken from the data directory (`gateway.data_dir`).
    case sqlite(path: String)
    /// A PostgreSQL database shared by replicas; its URL, password included, is read from the
    /// environment variable `urlEnvironmentVariable` at start (never from the file).
    case postgres(urlEnvironmentVariable: String)

    /// The SQLite file's name in the data directory when the configuration names none.
    public static let defaultSQLiteFile = "control.db"

    /// The engine's name, as written in the file.
    public var engineName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}
