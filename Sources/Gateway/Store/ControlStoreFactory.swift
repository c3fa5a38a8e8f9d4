import Foundation
import Logging

/// Opens the ``ControlStore`` the settings name, migrating its schema to the latest version.
public enum ControlStoreFactory {
    /// Opens the store; PostgreSQL's URL is read from `environment` (the process's by default),
    /// and a PostgreSQL server not reached within `timeout` fails the open.
    /// Errors never contain the URL (it holds the password).
    public static func open(_ settings: StoreSettings,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            timeout: Duration = .seconds(30),
                            logger: Logger? = nil) async throws -> any ControlStore {
        switch settings {
        case .sqlite(let path):
            return try await openSQLite(path: path)
        case .postgres(let variable):
            guard let url = environment[variable], !url.isEmpty else {
                throw ControlStoreError.configuration("environment variable \(variable) (the PostgreSQL store URL) is not set")
            }
            let configuration = try PostgresStoreURL.configuration(url)
            let engine = PostgresStoreEngine(configuration: configuration, logger: logger ?? PostgresStoreEngine.quietLogger)
            return try await withOpenTimeout(timeout, closing: engine) { try await SQLControlStore.open(engine) }
        }
    }

    /// Opens (creating it when missing) a SQLite store file.
    public static func openSQLite(path: String) async throws -> any ControlStore {
        try await SQLControlStore.open(try SQLiteStoreEngine(path: path))
    }

    /// Runs `open`, giving up (and closing `engine`) after `timeout`: the connection pool
    /// otherwise keeps retrying an unreachable server for a minute.
    private static func withOpenTimeout<Engine: StoreEngine>(
        _ timeout: Duration, closing engine: Engine,
        _ open: @escaping @Sendable () async throws -> SQLControlStore<Engine>
    ) async throws -> any ControlStore {
        let opened = try await withThrowingTaskGroup(of: SQLControlStore<Engine>?.self) { group in
            group.addTask { try await open() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let opened else {
            await engine.close()
            throw ControlStoreError.configuration("the PostgreSQL store could not be reached within \(timeout)")
        }
        return opened
    }
}
