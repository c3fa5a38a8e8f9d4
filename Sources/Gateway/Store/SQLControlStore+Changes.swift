import Foundation

extension SQLControlStore {
    func changes(after sequence: UInt64, limit: Int) async throws -> [StoreChange] {
        guard limit > 0 else { return [] }
        return try await read { transaction in
            try await transaction.query(
                "SELECT sequence, kind, subject, changed_ms FROM changes WHERE sequence > ? ORDER BY sequence LIMIT ?",
                .integer(Int64(clamping: sequence)), .integer(Int64(limit))
            ).map(StoreRecordCoding.change)
        }
    }

    func waitForChange(after sequence: UInt64, timeout: Duration) async throws -> [StoreChange] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            // Read the generation first: a signal from here on ends the wait below at once.
            let generation = engine.changeSignal.generation
            let found = try await changes(after: sequence)
            if !found.isEmpty { return found }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return [] }
            await engine.changeSignal.wait(after: generation, timeout: min(remaining, engine.pollInterval))
            try Task.checkCancellation()
        }
    }
}
