import Dispatch
import GRDB
import Synchronization

/// Lets async store code run statements inside one GRDB transaction, whose closure is
/// synchronous: the closure serves statements posted from the async side (on GRDB's writer
/// queue, never a concurrency-pool thread) until it is told to commit or roll back.
final class SQLiteBridgedTransaction: StoreTransaction, Sendable {
    private enum Command: Sendable {
        case run(@Sendable (Database) -> Void, fail: @Sendable (any Error) -> Void)
        case finish(commit: Bool)
    }

    private struct Queue {
        var commands: [Command] = []
        /// Set when the transaction could not start: every statement fails with it.
        var failure: (any Error)?
    }

    private let queue = Mutex(Queue())
    private let posted = DispatchSemaphore(value: 0)

    init() {}

    @discardableResult
    func execute(_ statement: StoreStatement) async throws -> Int {
        try await perform { database in
            try database.execute(sql: statement.sql, arguments: Self.arguments(statement.values))
            return database.changesCount
        }
    }

    func query(_ statement: StoreStatement) async throws -> [StoreRow] {
        try await perform { database in
            try Row.fetchAll(database, sql: statement.sql, arguments: Self.arguments(statement.values)).map(Self.storeRow)
        }
    }

    /// Ends the transaction (committed or rolled back); ``serve(_:)`` then returns.
    func finish(commit: Bool) {
        post(.finish(commit: commit))
    }

    /// Runs posted statements on the writer queue until ``finish(commit:)``; returns whether to commit.
    func serve(_ database: Database) -> Bool {
        while true {
            posted.wait()
            let command = queue.withLock { $0.commands.removeFirst() }
            switch command {
            case .run(let work, _): work(database)
            case .finish(let commit): return commit
            }
        }
    }

    /// The transaction could not start (busy, closed, cancelled): fails what waits and what comes.
    func abandon(_ error: any Error) {
        let waiting = queue.withLock { queue -> [Command] in
            queue.failure = error
            defer { queue.commands.removeAll() }
            return queue.commands
        }
        for case .run(_, let fail) in waiting { fail(error) }
    }

    private func post(_ command: Command) {
        let failure = queue.withLock { queue -> (any Error)? in
            if let failure = queue.failure { return failure }
            queue.commands.append(command)
            return nil
        }
        guard let failure else {
            posted.signal()
            return
        }
        if case .run(_, let fail) = command { fail(failure) }
    }

    private func perform<Value: Sendable>(_ work: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            post(.run({ database in continuation.resume(with: Swift.Result { try work(database) }) },
                      fail: { continuation.resume(throwing: $0) }))
        }
    }

    private static func arguments(_ values: [StoreValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .text(let text): text
            case .integer(let integer): integer
            case .null: nil
            }
        })
    }

    private static func storeRow(_ row: Row) -> StoreRow {
        var columns: [String: StoreValue] = [:]
        for (name, value) in row {
            switch value.storage {
            case .int64(let integer): columns[name] = .integer(integer)
            case .string(let text): columns[name] = .text(text)
            case .double(let double): columns[name] = .integer(Int64(double))
            case .blob(let data): columns[name] = .text(String(decoding: data, as: UTF8.self))
            case .null: columns[name] = .null
            }
        }
        return StoreRow(columns)
    }
}
