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

    /// Opens the store a gateway's settings name: ``GatewaySettings/effectiveStore`` (SQLite in
    /// the data directory unless `store` says otherwise).
    public static func open(_ gateway: GatewaySettings,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            timeout: Duration = .seconds(30),
                            logger: Logger? = nil) async throws -> any ControlStore {
        try await open(gateway.effectiveStore, environment: environment, timeout: timeout, logger: logger)
    }

    /// Opens (creating it `0600` when missing, and its directory `0700` when missing) a SQLite store file.
    public static func openSQLite(path: String) async throws -> any ControlStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ControlStoreError.configuration("cannot create the store's directory \(directory): \(error.localizedDescription)")
            }
        }
        return try await SQLControlStore.open(try SQLiteStoreEngine(path: path))
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
