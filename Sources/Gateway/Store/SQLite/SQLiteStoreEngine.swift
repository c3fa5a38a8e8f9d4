import Foundation
import GRDB

/// The embedded engine: one SQLite file in WAL mode through GRDB, nothing to start.
///
/// Writing transactions are `BEGIN IMMEDIATE` on GRDB's writer queue, so they run one at a
/// time (also across processes sharing the file, with a 30 s busy timeout); reading ones run
/// on GRDB's reader connections beside them, each on a consistent snapshot.
final class SQLiteStoreEngine: StoreEngine {
    let dialect = StoreDialect.sqlite
    let changeSignal = ChangeSignal()
    let pollInterval: Duration
    let path: String
    private let pool: DatabasePool

    /// Opens (creating it `0600` when missing) the store file at `path`.
    init(path: String, pollInterval: Duration = .milliseconds(250)) throws {
        self.path = path
        self.pollInterval = pollInterval
        try Self.createPrivately(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "ringgate.store"
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    /// Creates a missing store file readable by its owner only (WAL and shared-memory files
    /// take the same mode).
    private static func createPrivately(_ path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ControlStoreError.configuration("cannot open store file \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
    }

    func transaction<Result: Sendable>(
        readOnly: Bool,
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result {
        let bridge = SQLiteBridgedTransaction()
        let serving = Task { [pool] in
            do {
                if readOnly {
                    try await pool.read { database in _ = bridge.serve(database) }
                } else {
                    try await pool.writeWithoutTransaction { database in
                        try database.inTransaction(.immediate) {
                            bridge.serve(database) ? .commit : .rollback
                        }
                    }
                }
            } catch {
                bridge.abandon(error)
                throw error
            }
        }
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body(bridge))
        } catch {
            outcome = .failure(error)
        }
        let commit: Bool
        if case .success = outcome { commit = true } else { commit = false }
        bridge.finish(commit: commit)
        do {
            try await serving.value
        } catch where commit {
            throw error
        } catch {
            // Rolling back after the body failed: the body's error is the one to report.
        }
        return try outcome.get()
    }

    func close() async {
        try? pool.close()
    }
}
