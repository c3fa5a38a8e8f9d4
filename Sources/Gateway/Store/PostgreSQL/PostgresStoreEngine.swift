import Logging
import PostgresNIO
import Synchronization

/// The shared engine: a PostgreSQL database several gateway replicas use at once, through a
/// postgres-nio connection pool. One pooled connection LISTENs on the change channel, so a
/// change committed by any replica wakes this one's waiters; polling covers the times it
/// is not listening (connection lost, reconnecting).
final class PostgresStoreEngine: StoreEngine {
    let dialect = StoreDialect.postgres
    let changeSignal = ChangeSignal()
    let pollInterval: Duration
    private let client: PostgresClient
    private let logger: Logger
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let listening = Mutex(false)
    /// Signalled when the listener starts or stops listening.
    private let listenerSignal = ChangeSignal()

    /// Starts the pool (and the listener, with `listen`). Nothing connects until first used.
    init(configuration: PostgresClient.Configuration, listen: Bool = true,
         pollInterval: Duration = .seconds(1), logger: Logger = PostgresStoreEngine.quietLogger) {
        self.pollInterval = pollInterval
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        let running = Task { await client.run() }
        tasks.withLock { $0.append(running) }
        if listen {
            let listener = Task { [self] in await listenForChanges() }
            tasks.withLock { $0.append(listener) }
        }
    }

    /// A logger that drops everything (the store reports failures as thrown errors).
    static let quietLogger = Logger(label: "ringgate.store") { _ in SwiftLogNoOpLogHandler() }

    func transaction<Result: Sendable>(
        readOnly: Bool,
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let transaction = PostgresStoreTransaction(connection: connection, logger: logger)
                // The server refuses any write in it, as SQLite's reader connections do.
                if readOnly { try await transaction.execute(StoreStatement("SET TRANSACTION READ ONLY")) }
                return try await body(transaction)
            }
        } catch let error as PostgresTransactionError {
            // Report what went wrong inside, not the wrapper.
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    /// Whether the listener is subscribed to the change channel right now.
    var isListening: Bool { listening.withLock { $0 } }

    /// Waits until the listener is subscribed; `false` when `timeout` passed first.
    func waitUntilListening(timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let generation = listenerSignal.generation
            if isListening { return true }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return false }
            await listenerSignal.wait(after: generation, timeout: remaining)
        }
    }

    func close() async {
        let running = tasks.withLock { tasks -> [Task<Void, Never>] in
            defer { tasks.removeAll() }
            return tasks
        }
        // The listener first: it holds a pooled connection.
        for task in running.reversed() {
            task.cancel()
            await task.value
        }
    }

    /// LISTENs on the change channel, signalling every notification; on a lost connection,
    /// retries every second until cancelled.
    private func listenForChanges() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: StoreDialect.postgresChannel) { notifications in
                        setListening(true)
                        // Changes committed before the subscription are found by the waiters' next look.
                        changeSignal.signal()
                        for try await _ in notifications { changeSignal.signal() }
                    }
                }
            } catch {
                logger.debug("store change listener stopped: \(error)")
            }
            setListening(false)
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func setListening(_ value: Bool) {
        listening.withLock { $0 = value }
        listenerSignal.signal()
    }
}
