import Foundation
@testable import Gateway
import Testing

/// Versioned migrations on both engines: a store left at an earlier schema version (1, and
/// 2: the version before this one), with rows in it, is upgraded to the latest version when
/// opened, and keeps its rows.
@Suite struct StoreMigrationTests {
    typealias D = StoreTestData

    @Test(arguments: ControlStoreSuiteTests.engines)
    func aVersionOneStoreIsUpgradedKeepingItsRows(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        try await Self.createVersionOne(fixture)

        let store = try await fixture.open()
        let pending = try await store.pendingRequests()
        #expect(pending.map(\.id) == ["old-request"] && pending[0].groups == ["dev"] && pending[0].justification == nil)
        #expect(try await store.recordDecision(D.approve("old-request", by: "bob")) == .approved)
        let sessions = try await store.sessions(liveOnly: true)
        #expect(sessions == [SessionRecord(id: "old-session", replicaID: "replica-a", identity: "alice", resource: "pg-prod", startedAt: D.at(1))])
        #expect(try await store.requestSessionKill(id: "old-session", by: "admin", at: D.at(2)), "uses a version 2 column")
        #expect(try await store.isRevoked(jti: "old-jti"))
        let feed = try await store.changes(after: 0)
        #expect(feed.map(\.kind) == [.tokenRevoked, .requestDecided, .requestClosed, .sessionKillRequested], "the old change, then the new ones")
        #expect(feed.map(\.sequence) == [1, 2, 3, 4], "the feed continues after the old rows")
        await store.close()

        let engine = try fixture.engine()
        let versions = try await engine.transaction { transaction in
            try await transaction.query("SELECT version, name FROM schema_migrations ORDER BY version").map { try $0.integer("version") }
        }
        #expect(versions == (1...Int64(StoreSchema.latestVersion)).map { $0 })
        await engine.close()

        // Opening again applies nothing and loses nothing.
        let again = try await fixture.open()
        #expect(try await again.sessions(liveOnly: false).first?.killRequestedBy == "admin")
        await again.close()
    }

    /// The previous version's store (schema 2): its grants (one approved, one pending) and
    /// requests read back with the new columns' defaults, and the new rules apply to them.
    @Test(arguments: ControlStoreSuiteTests.engines)
    func aVersionTwoStoreIsUpgradedKeepingItsRows(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        try await Self.createVersionTwo(fixture)

        let store = try await fixture.open()
        let approved = try #require(try await store.grant(id: "old-approved"))
        #expect(approved == AccessGrant(
            id: "old-approved", identity: "alice", resource: "pg-prod", ruleSet: "prod-write", reason: "migration",
            duration: .seconds(1800), requestedAt: D.at(0), requiredApprovals: 1, approvedAt: D.at(10), approvedBy: "bob",
            expiresAt: D.at(1810)))
        #expect(try await store.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(11)) == [approved])
        #expect(try await store.grantDecisions(grantID: "old-approved").isEmpty, "version 2 kept no grant decisions")
        let pending = try await store.approveGrant(id: "old-pending", approver: "carol", at: D.at(20))
        #expect(pending.requiredApprovals == 1 && pending.state(at: D.at(20)) == .active)
        #expect(await storeError { try await store.denyGrant(id: "old-pending", approver: "dave", at: D.at(21)) }
                == .notPending("grant old-pending is active"))

        let request = try #require(try await store.request(id: "old-request"))
        #expect(request.sessionID == nil && request.state == .pending && request.groups == ["dev"])
        #expect(try await store.recoverAfterRestart(replicaID: "replica-a", at: D.at(30)) == (["old-request"], ["old-session"]))
        #expect(try await store.sessions(liveOnly: false).first?.killRequestedBy == "admin", "a version 2 column kept")
        let feed = try await store.changes(after: 0)
        #expect(feed.first?.kind == .grantApproved && feed.first?.sequence == 1, "the old change first")
        #expect(feed.dropFirst().map(\.kind) == [.grantDecided, .grantApproved, .requestClosed, .sessionEnded])
        await store.close()
    }

    @Test(arguments: ControlStoreSuiteTests.engines)
    func aStoreFromANewerVersionIsRefused(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        let store = try await fixture.open()
        await store.close()
        let engine = try fixture.engine()
        _ = try await engine.transaction { transaction in
            try await transaction.execute("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (99, 'future', 0)")
        }
        await engine.close()
        let refused = await storeError { try await fixture.open() }
        #expect(refused == .schemaTooNew(found: 99, latest: StoreSchema.latestVersion))
    }

    @Test(arguments: ControlStoreSuiteTests.engines)
    func migratingTwiceAtOnceAppliesEachStepOnce(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        async let first = fixture.open()
        async let second = fixture.open()
        let stores = try await [first, second]
        let engine = try fixture.engine()
        let count = try await engine.transaction { transaction in
            try await transaction.query("SELECT COUNT(*) AS steps FROM schema_migrations").first?.integer("steps")
        }
        #expect(count == Int64(StoreSchema.latestVersion))
        await engine.close()
        for store in stores { await store.close() }
    }

    /// Applies only migration 1 and writes rows the way a version 1 gateway did.
    static func createVersionOne(_ fixture: StoreFixture) async throws {
        let engine = try fixture.engine()
        try await migrateToVersionOne(engine)
        try await engine.transaction { transaction in
            try await transaction.execute("""
                INSERT INTO approval_requests (id, replica_id, identity, groups_json, resource, database_name, statement,
                    classes_json, relations_json, justification, created_ms, deadline_ms, required_approvals, state, closed_ms)
                VALUES ('old-request', 'replica-a', 'alice', '["dev"]', 'pg-prod', 'app', 'DELETE FROM t',
                    '["delete"]', '["public.t"]', NULL, \(StoreValue.milliseconds(D.at(0))), \(StoreValue.milliseconds(D.at(600))), 1, 'pending', NULL)
                """)
            try await transaction.execute("""
                INSERT INTO sessions (id, replica_id, identity, resource, started_ms, ended_ms)
                VALUES ('old-session', 'replica-a', 'alice', 'pg-prod', \(StoreValue.milliseconds(D.at(1))), NULL)
                """)
            try await transaction.execute("INSERT INTO token_revocations (jti, revoked_ms, expires_ms) VALUES ('old-jti', 0, 1)")
            try await transaction.execute("INSERT INTO changes (kind, subject, changed_ms) VALUES ('token_revoked', 'old-jti', 0)")
        }
        await engine.close()
    }

    /// Applies migrations 1 and 2 and writes rows the way a version 2 gateway did.
    static func createVersionTwo(_ fixture: StoreFixture) async throws {
        let engine = try fixture.engine()
        try await migrate(engine, upTo: 2)
        let (t0, t10, t1810) = (StoreValue.milliseconds(D.at(0)), StoreValue.milliseconds(D.at(10)), StoreValue.milliseconds(D.at(1810)))
        try await engine.transaction { transaction in
            try await transaction.execute("""
                INSERT INTO grants (id, identity, resource, rule_set, reason, duration_ms, requested_ms, approved_ms,
                    approved_by, expires_ms, revoked_ms, revoked_by)
                VALUES ('old-approved', 'alice', 'pg-prod', 'prod-write', 'migration', 1800000, \(t0), \(t10), 'bob', \(t1810), NULL, NULL),
                    ('old-pending', 'alice', 'pg-prod', 'prod-write', 'migration', 1800000, \(t0), NULL, NULL, NULL, NULL, NULL)
                """)
            try await transaction.execute("""
                INSERT INTO approval_requests (id, replica_id, identity, groups_json, resource, database_name, statement,
                    classes_json, relations_json, justification, created_ms, deadline_ms, required_approvals, state, closed_ms)
                VALUES ('old-request', 'replica-a', 'alice', '["dev"]', 'pg-prod', 'app', 'DELETE FROM t',
                    '["delete"]', '["public.t"]', NULL, \(t0), \(StoreValue.milliseconds(D.at(600))), 1, 'pending', NULL)
                """)
            try await transaction.execute("""
                INSERT INTO sessions (id, replica_id, identity, resource, started_ms, ended_ms, kill_requested_ms, kill_requested_by)
                VALUES ('old-session', 'replica-a', 'alice', 'pg-prod', \(t0), NULL, \(t10), 'admin')
                """)
            try await transaction.execute("INSERT INTO changes (kind, subject, changed_ms) VALUES ('grant_approved', 'old-approved', \(t10))")
        }
        await engine.close()
    }

    private static func migrateToVersionOne<Engine: StoreEngine>(_ engine: Engine) async throws {
        try await migrate(engine, upTo: 1)
    }

    private static func migrate<Engine: StoreEngine>(_ engine: Engine, upTo version: Int) async throws {
        let reached = try await StoreMigrator(engine: engine).migrate(upTo: version)
        #expect(reached == version)
    }
}
