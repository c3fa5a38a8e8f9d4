import Foundation
@testable import Gateway
import Testing

/// PostgreSQL's change wake-up between store instances (replicas): LISTEN/NOTIFY, and
/// polling when a replica is not listening.
@Suite struct PostgresStoreChangeTests {
    static let enabled = PostgresServer.isInstalled || ProcessInfo.processInfo.environment["CI"] != nil

    typealias D = StoreTestData

    /// Replica B waits with a poll interval of an hour, so only a notification can wake it
    /// before its wait ends: a change committed through replica A wakes it by NOTIFY (in
    /// milliseconds, well within the second the design asks for; not asserted, as timings
    /// on a loaded machine are not behaviour).
    @Test(.enabled(if: enabled, "PostgreSQL 15 is not installed"))
    func aChangeOnOneReplicaWakesAWaiterOnAnotherByNotification() async throws {
        let fixture = try StoreFixture.make(.postgres)
        let replicaA = try await fixture.open()
        let engineB = try #require(try fixture.engine(listen: true, pollInterval: .seconds(3600)) as? PostgresStoreEngine)
        let replicaB = try await SQLControlStore.open(engineB)
        #expect(await engineB.waitUntilListening(timeout: .seconds(30)))
        let waiter = Task { try await replicaB.waitForChange(after: 0, timeout: .seconds(60)) }
        // Commit only once B has looked, found nothing and is waiting.
        try await Self.waitUntil { engineB.changeSignal.suspendedWaiters > 0 }
        try await replicaA.createRequest(D.request("held-on-a"))
        #expect(try await waiter.value.map(\.subject) == ["held-on-a"], "woken by the notification, not by its hourly poll")
        await replicaA.close()
        await replicaB.close()
    }

    /// The server ends the listening connection: the replica listens again by itself, and
    /// notifications wake it as before.
    @Test(.enabled(if: enabled, "PostgreSQL 15 is not installed"))
    func theListenerComesBackAfterItsConnectionIsKilled() async throws {
        let fixture = try StoreFixture.make(.postgres)
        let replicaA = try await fixture.open(listen: false)
        let engineB = try #require(try fixture.engine(listen: true, pollInterval: .seconds(3600)) as? PostgresStoreEngine)
        let replicaB = try await SQLControlStore.open(engineB)
        #expect(await engineB.waitUntilListening(timeout: .seconds(30)))
        let database = try #require(URLComponents(string: fixture.location)?.path.dropFirst())
        let killed = try SharedStoreServer.server().psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)' AND query LIKE 'LISTEN%'")
        #expect(killed.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(killed)")
        try await Self.waitUntil { !engineB.isListening }
        #expect(await engineB.waitUntilListening(timeout: .seconds(30)))

        let waiter = Task { try await replicaB.waitForChange(after: 0, timeout: .seconds(60)) }
        try await Self.waitUntil { engineB.changeSignal.suspendedWaiters > 0 }
        try await replicaA.setPolicyVersion(ReplicaPolicyVersion(replicaID: "replica-a", version: "v2", updatedAt: D.at(1)))
        #expect(try await waiter.value.map(\.kind) == [.policyVersion])
        await replicaA.close()
        await replicaB.close()
    }

    @Test(.enabled(if: enabled, "PostgreSQL 15 is not installed"))
    func aReplicaThatIsNotListeningFindsChangesByPolling() async throws {
        let fixture = try StoreFixture.make(.postgres)
        let replicaA = try await fixture.open()
        let replicaB = try await fixture.open(listen: false, pollInterval: .milliseconds(100))
        let waiter = Task { try await replicaB.waitForChange(after: 0, timeout: .seconds(30)) }
        try await replicaA.addRevocation(TokenRevocation(jti: "revoked-on-a", revokedAt: D.at(1), expiresAt: D.at(2)))
        #expect(try await waiter.value.map(\.subject) == ["revoked-on-a"])
        #expect(try await replicaB.isRevoked(jti: "revoked-on-a"), "a token revoked on one replica is revoked on all")
        await replicaA.close()
        await replicaB.close()
    }

    /// Waits (bounded, 30 s) until `condition` holds.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        while !condition() {
            guard clock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
