import Foundation
@testable import Gateway
import Synchronization
import Testing

/// The engines the shared store suite runs against.
enum StoreEngineKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// One empty store location for a test: a temporary SQLite file, or a fresh database on the
/// suite's PostgreSQL 15 server. ``open()`` may be called several times (replicas, restarts).
final class StoreFixture: Sendable {
    let kind: StoreEngineKind
    /// The SQLite file (sqlite) or the database URL (postgres).
    let location: String

    private init(kind: StoreEngineKind, location: String) {
        self.kind = kind
        self.location = location
    }

    static func make(_ kind: StoreEngineKind) throws -> StoreFixture {
        switch kind {
        case .sqlite:
            return StoreFixture(kind: kind, location: try temporaryDirectory() + "/control.db")
        case .postgres:
            let server = try SharedStoreServer.server()
            let database = "store_\(SharedStoreServer.nextDatabaseNumber())"
            let created = try server.psql("CREATE DATABASE \(database)")
            guard created.status == 0 else { throw PostgresServer.Failure.command("CREATE DATABASE", created) }
            return StoreFixture(kind: kind, location: "postgres://postgres@127.0.0.1:\(server.port)/\(database)?sslmode=disable")
        }
    }

    /// An engine on this location, schema untouched.
    func engine(listen: Bool = true, pollInterval: Duration = .milliseconds(250)) throws -> any StoreEngine {
        switch kind {
        case .sqlite:
            return try SQLiteStoreEngine(path: location, pollInterval: pollInterval)
        case .postgres:
            return PostgresStoreEngine(configuration: try PostgresStoreURL.configuration(location),
                                       listen: listen, pollInterval: pollInterval)
        }
    }

    /// A store (migrated to the latest schema) on this location.
    func open(listen: Bool = true, pollInterval: Duration = .milliseconds(250)) async throws -> any ControlStore {
        try await Self.open(engine(listen: listen, pollInterval: pollInterval))
    }

    /// A store on this location and the engine under it (to run transactions of a test's own).
    func openWithEngine() async throws -> (store: any ControlStore, engine: any StoreEngine) {
        let engine = try engine()
        return (try await Self.open(engine), engine)
    }

    private static func open<Engine: StoreEngine>(_ engine: Engine) async throws -> any ControlStore {
        try await SQLControlStore.open(engine)
    }

    /// A new empty directory (mkdtemp, mode 0700) under the system's temporary directory.
    static func temporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "ringgate-store-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return String(cString: made)
    }

    /// Removes the SQLite directory (PostgreSQL databases go with the server).
    func remove() {
        if kind == .sqlite { try? FileManager.default.removeItem(atPath: (location as NSString).deletingLastPathComponent) }
    }
}

/// One PostgreSQL 15 server for every store test in the process (each test gets its own
/// database), stopped when the process exits.
enum SharedStoreServer {
    private static let started: Result<PostgresServer, any Error> = {
        let result = Result { try PostgresServer.start() }
        if case .success = result {
            atexit { SharedStoreServer.stopAtExit() }
        }
        return result
    }()

    static func server() throws -> PostgresServer { try started.get() }

    private static let databases = Mutex(0)

    /// 1, 2, 3, ...: each test's database on the process's own server has a name of its own.
    static func nextDatabaseNumber() -> Int {
        databases.withLock { number in
            number += 1
            return number
        }
    }

    private static func stopAtExit() {
        if case .success(let server) = started { server.stop() }
    }
}
