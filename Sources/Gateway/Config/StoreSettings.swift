/// Where the control store lives (`gateway.store`).
public enum StoreSettings: Sendable, Hashable {
    /// One SQLite file (`store: PATH`, or `{engine: sqlite, path: PATH}`).
    case sqlite(path: String)
    /// A PostgreSQL database shared by replicas; its URL, password included, is read from the
    /// environment variable `urlEnvironmentVariable` at start (never from the file).
    case postgres(urlEnvironmentVariable: String)

    /// The engine's name, as written in the file.
    public var engineName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}
