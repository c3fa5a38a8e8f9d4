import Foundation
@testable import Gateway

/// Records the store tests create, at fixed instants (the store reads no clock).
enum StoreTestData {
    /// An arbitrary fixed instant, on a whole millisecond.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static func request(_ id: String, identity: String = "alice", replica: String = "replica-a", session: String? = "session-1",
                        approvals: Int = 1, created: Double = 0, deadline: Double = 600) -> ApprovalRequest {
        ApprovalRequest(
            id: id, replicaID: replica, sessionID: session, identity: identity, groups: ["dev", "oncall"], resource: "pg-prod",
            database: "app", statement: "DELETE FROM accounts WHERE id = 'x' -- ünïcode", classes: ["delete"],
            relations: ["public.accounts"], justification: "INC-42 cleanup", createdAt: at(created),
            deadline: at(deadline), requiredApprovals: approvals)
    }

    static func approve(_ id: String, by approver: String, at seconds: Double = 10, comment: String? = nil) -> ApprovalDecision {
        ApprovalDecision(requestID: id, approver: approver, verdict: .approve, decidedAt: at(seconds), comment: comment)
    }

    static func deny(_ id: String, by approver: String, at seconds: Double = 10) -> ApprovalDecision {
        ApprovalDecision(requestID: id, approver: approver, verdict: .deny, decidedAt: at(seconds), comment: "not now")
    }

    static func grant(_ id: String, identity: String = "alice", minutes: Int64 = 30, approvals: Int = 1) -> AccessGrant {
        AccessGrant(id: id, identity: identity, resource: "pg-prod", ruleSet: "prod-write", reason: "migration",
                    duration: .seconds(minutes * 60), requestedAt: at(0), requiredApprovals: approvals)
    }

    static func session(_ id: String, replica: String = "replica-a", identity: String = "alice", started: Double = 1) -> SessionRecord {
        SessionRecord(id: id, replicaID: replica, identity: identity, resource: "pg-prod", startedAt: at(started))
    }
}

/// Runs `body` with a store of `kind` on a fresh location, closing and removing it afterwards.
func withStore<T>(_ kind: StoreEngineKind, _ body: (any ControlStore, StoreFixture) async throws -> T) async throws -> T {
    let fixture = try StoreFixture.make(kind)
    defer { fixture.remove() }
    let store = try await fixture.open()
    do {
        let result = try await body(store, fixture)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// The error `body` throws, as a ``ControlStoreError`` (nil when it throws none or another kind).
func storeError(_ body: () async throws -> some Any) async -> ControlStoreError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error as? ControlStoreError
    }
}
