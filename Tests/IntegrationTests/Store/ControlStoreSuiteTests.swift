import Foundation
@testable import Gateway
import Testing

/// The shared store suite: every test runs against both real engines (SQLite in a temporary
/// file, PostgreSQL 15 in a fresh database) and asserts the same behaviour.
@Suite struct ControlStoreSuiteTests {
    static let engines: [StoreEngineKind] =
        PostgresServer.isInstalled || ProcessInfo.processInfo.environment["CI"] != nil ? StoreEngineKind.allCases : [.sqlite]

    typealias D = StoreTestData

    @Test(arguments: engines)
    func requestsAreStoredAndListed(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            let request = D.request("r1", approvals: 1)
            try await store.createRequest(request)
            try await store.createRequest(D.request("r2", session: nil, created: 5))
            #expect(try await store.request(id: "r1") == request)
            #expect(try await store.request(id: "r2") == D.request("r2", session: nil, created: 5))
            #expect(try await store.request(id: "missing") == nil)
            #expect(try await store.pendingRequests().map(\.id) == ["r1", "r2"])
            #expect(await storeError { try await store.createRequest(request) } == .duplicate("request r1"))
            var approved = request
            approved.state = .approved
            #expect(await storeError { try await store.createRequest(approved) } != nil, "a new request must be pending")

            #expect(try await store.recordDecision(D.approve("r1", by: "bob", comment: "ok")) == .approved)
            let stored = try #require(try await store.request(id: "r1"))
            #expect(stored.state == .approved && stored.closedAt == D.at(10))
            #expect(try await store.decisions(requestID: "r1") == [D.approve("r1", by: "bob", comment: "ok")])
            #expect(try await store.pendingRequests().map(\.id) == ["r2"])
            #expect(await storeError { try await store.recordDecision(D.approve("missing", by: "bob")) } == .notFound("request missing"))
        }
    }

    @Test(arguments: engines)
    func minimumApprovalsNeedDistinctApprovers(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createRequest(D.request("r1", approvals: 2))
            #expect(try await store.recordDecision(D.approve("r1", by: "bob")) == .pending)
            #expect(await storeError { try await store.recordDecision(D.approve("r1", by: "bob", at: 11)) } == .alreadyDecided)
            #expect(try await store.request(id: "r1")?.state == .pending)
            #expect(try await store.recordDecision(D.approve("r1", by: "carol", at: 12)) == .approved)
            #expect(await storeError { try await store.recordDecision(D.approve("r1", by: "dave", at: 13)) }
                    == .notPending("request r1 is approved"))
            #expect(try await store.decisions(requestID: "r1").map(\.approver) == ["bob", "carol"])
        }
    }

    @Test(arguments: engines)
    func selfApprovalIsRefused(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createRequest(D.request("r1", identity: "alice"))
            #expect(await storeError { try await store.recordDecision(D.approve("r1", by: "alice")) } == .selfApproval)
            #expect(try await store.request(id: "r1")?.state == .pending)
            #expect(try await store.decisions(requestID: "r1").isEmpty)
            try await store.createGrant(D.grant("g1", identity: "alice"))
            #expect(await storeError { try await store.approveGrant(id: "g1", approver: "alice", at: D.at(1)) } == .selfApproval)
            #expect(try await store.grant(id: "g1")?.approvedAt == nil)
        }
    }

    @Test(arguments: engines)
    func anyDenyEndsTheRequest(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createRequest(D.request("r1", approvals: 2))
            #expect(try await store.recordDecision(D.approve("r1", by: "bob")) == .pending)
            #expect(try await store.recordDecision(D.deny("r1", by: "carol", at: 11)) == .denied)
            #expect(await storeError { try await store.recordDecision(D.approve("r1", by: "dave", at: 12)) }
                    == .notPending("request r1 is denied"))
            let request = try #require(try await store.request(id: "r1"))
            #expect(request.state == .denied && request.closedAt == D.at(11))
        }
    }

    @Test(arguments: engines)
    func concurrentDecisionsCountEachApproverOnce(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { first, fixture in
            // A second store instance on the same data: another replica (PostgreSQL) or process (SQLite).
            let second = try await fixture.open()
            try await first.createRequest(D.request("two", approvals: 2))
            try await first.createRequest(D.request("one", approvals: 1))
            let stores = [first, second]
            for id in ["two", "one"] {
                // bob and carol each decide four times, through both instances, all at once.
                let outcomes = await withTaskGroup(of: Result<ApprovalState, ControlStoreError>.self) { group in
                    for index in 0..<8 {
                        let store = stores[index % 2]
                        let approver = index / 2 % 2 == 0 ? "bob" : "carol"
                        group.addTask {
                            do {
                                return .success(try await store.recordDecision(D.approve(id, by: approver, at: Double(10 + index))))
                            } catch {
                                return .failure(error as? ControlStoreError ?? .invalid("\(error)"))
                            }
                        }
                    }
                    var outcomes: [Result<ApprovalState, ControlStoreError>] = []
                    for await outcome in group { outcomes.append(outcome) }
                    return outcomes
                }
                let states = outcomes.compactMap { try? $0.get() }
                #expect(states.filter { $0 == .approved }.count == 1, "\(id): approved exactly once: \(outcomes)")
                #expect(states.count == (id == "two" ? 2 : 1), "\(id): \(outcomes)")
                let failures = outcomes.compactMap { if case .failure(let error) = $0 { error } else { nil } }
                #expect(failures.allSatisfy { $0 == .alreadyDecided || $0 == .notPending("request \(id) is approved") }, "\(failures)")
                let approvers = try await first.decisions(requestID: id).map(\.approver)
                #expect(approvers.count == Set(approvers).count && approvers.count == (id == "two" ? 2 : 1), "\(approvers)")
                #expect(try await second.request(id: id)?.state == .approved)
            }
            // The same race on a grant needing two approvers: approved exactly once, by two people.
            try await first.createGrant(D.grant("g2", approvals: 2))
            let grantOutcomes = await withTaskGroup(of: AccessGrant?.self) { group in
                for index in 0..<8 {
                    let store = stores[index % 2]
                    let approver = index / 2 % 2 == 0 ? "bob" : "carol"
                    group.addTask { try? await store.approveGrant(id: "g2", approver: approver, at: D.at(Double(10 + index))) }
                }
                var outcomes: [AccessGrant?] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(grantOutcomes.compactMap { $0 }.count == 2, "one approval per approver: \(grantOutcomes)")
            #expect(grantOutcomes.compactMap { $0 }.filter { $0.approvedAt != nil }.count == 1)
            #expect(Set(try await second.grantDecisions(grantID: "g2").map(\.approver)) == ["bob", "carol"])
            #expect(try await second.grant(id: "g2")?.state(at: D.at(100)) == .active)
            await second.close()
        }
    }

    @Test(arguments: engines)
    func overdueRequestsExpire(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createRequest(D.request("early", deadline: 60))
            try await store.createRequest(D.request("late", deadline: 600))
            #expect(try await store.expireOverdueRequests(at: D.at(59)).isEmpty)
            #expect(try await store.expireOverdueRequests(at: D.at(60)) == ["early"])
            #expect(try await store.expireOverdueRequests(at: D.at(61)).isEmpty, "already expired")
            #expect(try await store.request(id: "early")?.state == .expired)
            #expect(try await store.pendingRequests().map(\.id) == ["late"])
            // A decision arriving after the deadline expires the request instead of approving it.
            #expect(try await store.recordDecision(D.approve("late", by: "bob", at: 600)) == .expired)
            #expect(try await store.request(id: "late")?.state == .expired)
            #expect(try await store.decisions(requestID: "late").isEmpty)
        }
    }

    @Test(arguments: engines)
    func pendingRequestsOfARestartedReplicaFail(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createRequest(D.request("a1", replica: "replica-a"))
            try await store.createRequest(D.request("a2", replica: "replica-a", created: 1))
            try await store.createRequest(D.request("b1", replica: "replica-b", created: 2))
            try await store.createRequest(D.request("a3", replica: "replica-a", approvals: 1, created: 3))
            #expect(try await store.recordDecision(D.approve("a3", by: "bob")) == .approved)
            #expect(try await store.failPendingRequests(replicaID: "replica-a", at: D.at(100)) == ["a1", "a2"])
            #expect(try await store.request(id: "a1")?.state == .failed)
            #expect(try await store.request(id: "a3")?.state == .approved, "decided requests stay as they are")
            #expect(try await store.pendingRequests().map(\.id) == ["b1"])
            #expect(await storeError { try await store.recordDecision(D.approve("a1", by: "bob", at: 101)) }
                    == .notPending("request a1 is failed"))
            #expect(try await store.failPendingRequests(replicaID: "replica-a", at: D.at(102)).isEmpty, "nothing left to fail")
            #expect(try await store.request(id: "a1")?.closedAt == D.at(100))
        }
    }

    /// A gateway starting again as replica-a: the statements its previous process held fail
    /// (and whoever follows the feed hears of it), that process's sessions leave the index,
    /// and the rest (another replica's requests and sessions, grants, revocations) stays.
    @Test(arguments: engines)
    func aRestartedReplicaFailsItsHeldRequestsAndEndsItsSessions(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        let before = try await fixture.open()
        try await before.registerSession(D.session("s-a1", started: 1))
        try await before.registerSession(D.session("s-a2", started: 2))
        try await before.registerSession(D.session("s-b1", replica: "replica-b", started: 3))
        try await before.endSession(id: "s-a2", at: D.at(4))
        try await before.createRequest(D.request("held-a", session: "s-a1", created: 5))
        try await before.createRequest(D.request("held-b", replica: "replica-b", session: "s-b1", created: 6))
        try await before.createGrant(D.grant("g-pending"))
        try await before.addRevocation(TokenRevocation(jti: "j1", revokedAt: D.at(7), expiresAt: D.at(9999)))
        let seen = try await before.changes(after: 0).last?.sequence ?? 0
        await before.close()  // the process dies; replica-b keeps running

        let other = try await fixture.open()
        let restarted = try await fixture.open()
        let recovered = try await restarted.recoverAfterRestart(replicaID: "replica-a", at: D.at(100))
        #expect(recovered.failedRequests == ["held-a"] && recovered.endedSessions == ["s-a1"])
        let feed = try await other.waitForChange(after: seen, timeout: .seconds(30))
        #expect(feed.map(\.kind) == [.requestClosed, .sessionEnded] && feed.map(\.subject) == ["held-a", "s-a1"])
        #expect(try await other.request(id: "held-a")?.state == .failed)
        #expect(try await other.request(id: "held-b")?.state == .pending)
        #expect(try await other.sessions(liveOnly: true).map(\.id) == ["s-b1"])
        #expect(try await other.sessions(liveOnly: false).first { $0.id == "s-a2" }?.endedAt == D.at(4), "ended sessions keep their end")
        #expect(try await other.grant(id: "g-pending")?.state(at: D.at(100)) == .pending)
        #expect(try await other.isRevoked(jti: "j1"))
        let again = try await restarted.recoverAfterRestart(replicaID: "replica-a", at: D.at(200))
        #expect(again.failedRequests.isEmpty && again.endedSessions.isEmpty)
        await restarted.close()
        await other.close()
    }

    @Test(arguments: engines)
    func cancelEndsAPendingRequestOnly(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createRequest(D.request("r1"))
            #expect(try await store.cancelRequest(id: "r1", at: D.at(5)) == .cancelled)
            #expect(try await store.cancelRequest(id: "r1", at: D.at(6)) == .cancelled)
            #expect(try await store.request(id: "r1")?.closedAt == D.at(5))
            try await store.createRequest(D.request("r2"))
            #expect(try await store.recordDecision(D.deny("r2", by: "bob")) == .denied)
            #expect(try await store.cancelRequest(id: "r2", at: D.at(20)) == .denied)
            #expect(await storeError { try await store.cancelRequest(id: "nope", at: D.at(1)) } == .notFound("request nope"))
        }
    }

    @Test(arguments: engines)
    func grantsExpireAndAreRevocable(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createGrant(D.grant("g1", minutes: 30))
            try await store.createGrant(D.grant("g2", minutes: 60))
            #expect(await storeError { try await store.createGrant(D.grant("g1")) } == .duplicate("grant g1"))
            #expect(try await store.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(1)).isEmpty, "not approved yet")

            let approved = try await store.approveGrant(id: "g1", approver: "bob", at: D.at(100))
            #expect(approved.expiresAt == D.at(100 + 1800) && approved.approvedBy == "bob")
            #expect(try await store.grant(id: "g1") == approved)
            #expect(await storeError { try await store.approveGrant(id: "g1", approver: "carol", at: D.at(101)) } != nil)
            _ = try await store.approveGrant(id: "g2", approver: "bob", at: D.at(100))

            #expect(try await store.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(1899)).map(\.id) == ["g1", "g2"])
            #expect(try await store.activeGrants(at: D.at(1899)).map(\.id) == ["g1", "g2"], "soonest expiry first")
            #expect(try await store.activeGrants(at: D.at(1900)).map(\.id) == ["g2"])
            #expect(try await store.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(1900)).map(\.id) == ["g2"], "g1 expired")
            #expect(try await store.activeGrants(identity: "bob", resource: "pg-prod", at: D.at(200)).isEmpty)
            #expect(try await store.activeGrants(identity: "alice", resource: "pg-stage", at: D.at(200)).isEmpty)

            let revoked = try await store.revokeGrant(id: "g2", by: "carol", at: D.at(200))
            #expect(revoked.revokedAt == D.at(200) && revoked.revokedBy == "carol" && !revoked.isActive(at: D.at(201)))
            #expect(try await store.revokeGrant(id: "g2", by: "dave", at: D.at(300)) == revoked, "the first revocation stays")
            #expect(try await store.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(201)).map(\.id) == ["g1"])
            #expect(try await store.activeGrants(at: D.at(201)).map(\.id) == ["g1"], "a revoked grant is not in force")
            #expect(await storeError { try await store.approveGrant(id: "g2", approver: "bob", at: D.at(301)) } != nil)
            #expect(try await store.grants().map(\.id).sorted() == ["g1", "g2"])
            #expect(await storeError { try await store.revokeGrant(id: "nope", by: "x", at: D.at(1)) } == .notFound("grant nope"))
        }
    }

    @Test(arguments: engines)
    func grantsNeedDistinctApproversAndAnyDenyEndsThem(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createGrant(D.grant("g1", approvals: 2))
            #expect(await storeError { try await store.createGrant(D.grant("g0", approvals: 0)) }
                    == .invalid("required approvals must be at least 1"))
            #expect(try await store.grant(id: "g1")?.requiredApprovals == 2)

            let half = try await store.approveGrant(id: "g1", approver: "bob", at: D.at(10), comment: "ok")
            #expect(half.state(at: D.at(10)) == .pending && half.approvedAt == nil && half.expiresAt == nil)
            #expect(await storeError { try await store.approveGrant(id: "g1", approver: "bob", at: D.at(11)) } == .alreadyDecided)
            #expect(await storeError { try await store.approveGrant(id: "g1", approver: "alice", at: D.at(11)) } == .selfApproval)
            #expect(try await store.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(11)).isEmpty)
            let full = try await store.approveGrant(id: "g1", approver: "carol", at: D.at(20))
            #expect(full.approvedAt == D.at(20) && full.approvedBy == "carol" && full.expiresAt == D.at(20 + 1800))
            #expect(try await store.grant(id: "g1") == full)
            #expect(await storeError { try await store.approveGrant(id: "g1", approver: "dave", at: D.at(21)) }
                    == .notPending("grant g1 is active"))
            #expect(try await store.grantDecisions(grantID: "g1") == [
                ApprovalDecision(requestID: "g1", approver: "bob", verdict: .approve, decidedAt: D.at(10), comment: "ok"),
                ApprovalDecision(requestID: "g1", approver: "carol", verdict: .approve, decidedAt: D.at(20)),
            ])

            try await store.createGrant(D.grant("g2", approvals: 2))
            _ = try await store.approveGrant(id: "g2", approver: "bob", at: D.at(10))
            let denied = try await store.denyGrant(id: "g2", approver: "carol", at: D.at(11), comment: "not during the freeze")
            #expect(denied.deniedAt == D.at(11) && denied.deniedBy == "carol" && denied.state(at: D.at(11)) == .denied)
            #expect(try await store.grant(id: "g2") == denied)
            #expect(await storeError { try await store.approveGrant(id: "g2", approver: "dave", at: D.at(12)) }
                    == .notPending("grant g2 is denied"))
            #expect(try await store.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(30)).map(\.id) == ["g1"])
            #expect(try await store.grantDecisions(grantID: "g2").map(\.verdict) == [.approve, .deny])
            #expect(await storeError { try await store.approveGrant(id: "nope", approver: "bob", at: D.at(1)) } == .notFound("grant nope"))

            let changes = try await store.changes(after: 0)
            #expect(changes.filter { $0.subject == "g2" }.map(\.kind) == [.grantCreated, .grantDecided, .grantDecided, .grantDenied])
        }
    }

    @Test(arguments: engines)
    func tokenRevocationsAreKept(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            let first = TokenRevocation(jti: "jti-1", revokedAt: D.at(1), expiresAt: D.at(3600))
            try await store.addRevocation(first)
            try await store.addRevocation(TokenRevocation(jti: "jti-1", revokedAt: D.at(5), expiresAt: D.at(7200)))
            try await store.addRevocation(TokenRevocation(jti: "jti-2", revokedAt: D.at(2), expiresAt: D.at(3600)))
            #expect(try await store.isRevoked(jti: "jti-1"))
            #expect(try await !store.isRevoked(jti: "jti-3"))
            #expect(try await store.revocations() == [first, TokenRevocation(jti: "jti-2", revokedAt: D.at(2), expiresAt: D.at(3600))])
            let kinds = try await store.changes(after: 0).map(\.kind)
            #expect(kinds == [.tokenRevoked, .tokenRevoked], "a repeated revocation is not a change")

            try await store.addRevocation(TokenRevocation(jti: "jti-3", revokedAt: D.at(3), expiresAt: D.at(7200)))
            #expect(try await store.removeExpiredRevocations(at: D.at(3599)) == 0)
            #expect(try await store.removeExpiredRevocations(at: D.at(3600)) == 2, "tokens expired at that instant")
            #expect(try await store.revocations().map(\.jti) == ["jti-3"])
            #expect(try await !store.isRevoked(jti: "jti-1"))
            #expect(try await store.isRevoked(jti: "jti-3"))
        }
    }

    @Test(arguments: engines)
    func sessionIndexAndPolicyVersions(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            let s1 = SessionRecord(id: "s1", replicaID: "replica-a", identity: "alice", resource: "pg-prod", startedAt: D.at(1))
            let s2 = SessionRecord(id: "s2", replicaID: "replica-b", identity: "bob", resource: "pg-prod", startedAt: D.at(2))
            try await store.registerSession(s1)
            try await store.registerSession(s2)
            #expect(await storeError { try await store.registerSession(s1) } == .duplicate("session s1"))
            #expect(try await store.sessions(liveOnly: true) == [s1, s2])
            #expect(try await store.requestSessionKill(id: "s2", by: "admin", at: D.at(3)))
            try await store.endSession(id: "s1", at: D.at(4))
            try await store.endSession(id: "s1", at: D.at(5))
            #expect(try await !store.requestSessionKill(id: "s1", by: "admin", at: D.at(6)), "not live")
            #expect(await storeError { try await store.endSession(id: "nope", at: D.at(1)) } == .notFound("session nope"))
            let all = try await store.sessions(liveOnly: false)
            #expect(all.map(\.id) == ["s1", "s2"] && all[0].endedAt == D.at(4) && all[0].killRequestedAt == nil)
            #expect(all[1].killRequestedAt == D.at(3) && all[1].killRequestedBy == "admin" && all[1].isLive)
            #expect(try await store.sessions(liveOnly: true).map(\.id) == ["s2"])

            try await store.setPolicyVersion(ReplicaPolicyVersion(replicaID: "replica-b", version: "v1", updatedAt: D.at(1)))
            try await store.setPolicyVersion(ReplicaPolicyVersion(replicaID: "replica-a", version: "v1", updatedAt: D.at(1)))
            try await store.setPolicyVersion(ReplicaPolicyVersion(replicaID: "replica-a", version: "v2", updatedAt: D.at(9)))
            #expect(try await store.policyVersions() == [
                ReplicaPolicyVersion(replicaID: "replica-a", version: "v2", updatedAt: D.at(9)),
                ReplicaPolicyVersion(replicaID: "replica-b", version: "v1", updatedAt: D.at(1)),
            ])
        }
    }

    @Test(arguments: engines)
    func everyMutationIsOnTheChangeFeed(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.createRequest(D.request("r1", approvals: 2))
            _ = try await store.recordDecision(D.approve("r1", by: "bob"))
            _ = try await store.recordDecision(D.approve("r1", by: "carol", at: 11))
            try await store.createGrant(D.grant("g1"))
            _ = try await store.approveGrant(id: "g1", approver: "bob", at: D.at(12))
            _ = try await store.revokeGrant(id: "g1", by: "bob", at: D.at(13))
            try await store.registerSession(SessionRecord(id: "s1", replicaID: "a", identity: "alice", resource: "pg", startedAt: D.at(14)))
            _ = try await store.requestSessionKill(id: "s1", by: "admin", at: D.at(15))
            try await store.endSession(id: "s1", at: D.at(16))
            try await store.setPolicyVersion(ReplicaPolicyVersion(replicaID: "a", version: "v9", updatedAt: D.at(17)))
            let changes = try await store.changes(after: 0)
            #expect(changes.map(\.kind) == [
                .requestCreated, .requestDecided, .requestDecided, .requestClosed, .grantCreated, .grantDecided,
                .grantApproved, .grantRevoked, .sessionStarted, .sessionKillRequested, .sessionEnded, .policyVersion,
            ])
            #expect(changes.map(\.subject) == ["r1", "r1", "r1", "r1", "g1", "g1", "g1", "g1", "s1", "s1", "s1", "a"])
            #expect(changes.map(\.changedAt) == [0, 10, 11, 11, 0, 12, 12, 13, 14, 15, 16, 17].map(D.at))
            #expect(zip(changes, changes.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
            #expect(try await store.changes(after: changes[3].sequence, limit: 2) == Array(changes[4...5]))
            #expect(try await store.changes(after: changes.last!.sequence).isEmpty)
        }
    }

    /// A change kind written by a newer gateway sharing the store reads back as it is, and
    /// the feed goes on past it.
    @Test(arguments: engines)
    func unknownChangeKindsDoNotBreakTheFeed(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        let (store, engine) = try await fixture.openWithEngine()
        try await engine.transaction { transaction in
            try await transaction.execute("INSERT INTO changes (kind, subject, changed_ms) VALUES ('from_the_future', 'x', 5)")
        }
        try await store.setPolicyVersion(ReplicaPolicyVersion(replicaID: "a", version: "v1", updatedAt: D.at(6)))
        let changes = try await store.changes(after: 0)
        #expect(changes.map(\.kind) == [StoreChangeKind(rawValue: "from_the_future"), .policyVersion])
        #expect(!StoreChangeKind.known.contains(changes[0].kind))
        await store.close()
    }

    /// Writers on two instances race while a reader follows the feed by sequence: the reader
    /// sees every change exactly once, in increasing order (a later sequence never becomes
    /// visible before an earlier one).
    @Test(arguments: engines)
    func theChangeFeedIsMonotonicAndCompleteUnderConcurrentWriters(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { first, fixture in
            let second = try await fixture.open()
            let writes = 60
            let reader = Task { () -> [StoreChange] in
                var seen: [StoreChange] = []
                var last: UInt64 = 0
                let clock = ContinuousClock()
                let deadline = clock.now.advanced(by: .seconds(60))
                while seen.count < writes && clock.now < deadline {
                    let batch = try await first.waitForChange(after: last, timeout: .milliseconds(200))
                    seen += batch
                    last = batch.last?.sequence ?? last
                }
                return seen
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<writes {
                    let store = index % 2 == 0 ? first : second
                    group.addTask {
                        try await store.addRevocation(TokenRevocation(jti: "jti-\(index)", revokedAt: D.at(Double(index)), expiresAt: D.at(9999)))
                    }
                }
                try await group.waitForAll()
            }
            let seen = try await reader.value
            #expect(seen.count == writes)
            #expect(Set(seen.map(\.subject)) == Set((0..<writes).map { "jti-\($0)" }))
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
            #expect(try await second.changes(after: 0, limit: 1000) == seen)
            await second.close()
        }
    }

    @Test(arguments: engines)
    func waitForChangeReturnsChangesOrTimesOut(_ kind: StoreEngineKind) async throws {
        try await withStore(kind) { store, _ in
            #expect(try await store.waitForChange(after: 0, timeout: .milliseconds(50)).isEmpty)
            try await store.addRevocation(TokenRevocation(jti: "j1", revokedAt: D.at(1), expiresAt: D.at(2)))
            let found = try await store.waitForChange(after: 0, timeout: .seconds(30))
            #expect(found.map(\.subject) == ["j1"])
            let waiter = Task { try await store.waitForChange(after: found[0].sequence, timeout: .seconds(30)) }
            try await store.addRevocation(TokenRevocation(jti: "j2", revokedAt: D.at(1), expiresAt: D.at(2)))
            #expect(try await waiter.value.map(\.subject) == ["j2"])
        }
    }

    /// The store's reads do not queue behind a write transaction in progress on the same
    /// engine: they run beside it and see only what was committed.
    @Test(arguments: engines)
    func readsRunBesideAnOpenWriteTransaction(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        let (store, engine) = try await fixture.openWithEngine()
        try await store.addRevocation(TokenRevocation(jti: "committed", revokedAt: D.at(1), expiresAt: D.at(99)))
        let (holding, holdingContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let writer = Task {
            try await engine.transaction { transaction in
                try await transaction.execute(
                    "INSERT INTO token_revocations (jti, revoked_ms, expires_ms) VALUES ('uncommitted', 2, 99)")
                holdingContinuation.yield()
                for await _ in release { break }
            }
        }
        for await _ in holding { break }
        // Should the reads queue behind the writer after all, this lets it finish after 30 s so
        // that the test fails on the expectations below instead of hanging.
        let guardTask = Task {
            try await Task.sleep(for: .seconds(30))
            releaseContinuation.yield()
        }
        let revokedDuringWrite = try await store.revocations().map(\.jti)
        let uncommittedSeen = try await store.isRevoked(jti: "uncommitted")
        releaseContinuation.yield()
        guardTask.cancel()
        try await writer.value
        #expect(revokedDuringWrite == ["committed"], "the open write's row is not visible")
        #expect(!uncommittedSeen)
        #expect(try await store.revocations().map(\.jti).sorted() == ["committed", "uncommitted"], "visible once committed")
        await store.close()
    }

    /// A transaction opened read-only refuses to write, and nothing it tried is kept.
    @Test(arguments: engines)
    func readOnlyTransactionsRefuseWrites(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        let (store, engine) = try await fixture.openWithEngine()
        do {
            _ = try await engine.transaction(readOnly: true) { transaction in
                try await transaction.execute("INSERT INTO token_revocations (jti, revoked_ms, expires_ms) VALUES ('ro', 1, 2)")
            }
            Issue.record("a read-only transaction wrote a row")
        } catch {
            #expect(!(error is ControlStoreError), "the engine refuses it: \(error)")
        }
        #expect(try await !store.isRevoked(jti: "ro"))
        let count = try await engine.transaction(readOnly: true) { transaction in
            try await transaction.query("SELECT COUNT(*) AS revocations FROM token_revocations").first?.integer("revocations")
        }
        #expect(count == 0, "reading works in it")
        await store.close()
    }

    /// Pending requests, grants, revocations and sessions survive closing and reopening the store.
    @Test(arguments: engines)
    func stateSurvivesARestart(_ kind: StoreEngineKind) async throws {
        let fixture = try StoreFixture.make(kind)
        defer { fixture.remove() }
        let before = try await fixture.open()
        try await before.createRequest(D.request("r1", approvals: 2))
        _ = try await before.recordDecision(D.approve("r1", by: "bob"))
        try await before.createGrant(D.grant("g1"))
        let grant = try await before.approveGrant(id: "g1", approver: "bob", at: D.at(5))
        try await before.addRevocation(TokenRevocation(jti: "j1", revokedAt: D.at(1), expiresAt: D.at(99)))
        let changes = try await before.changes(after: 0)
        await before.close()

        let after = try await fixture.open()
        #expect(try await after.pendingRequests() == [D.request("r1", approvals: 2)])
        #expect(try await after.decisions(requestID: "r1").map(\.approver) == ["bob"])
        #expect(try await after.recordDecision(D.approve("r1", by: "carol", at: 20)) == .approved)
        #expect(try await after.activeGrants(identity: "alice", resource: "pg-prod", at: D.at(6)) == [grant])
        #expect(try await after.isRevoked(jti: "j1"))
        let more = try await after.changes(after: 0)
        #expect(Array(more.prefix(changes.count)) == changes && more.count > changes.count)
        #expect(more.last!.sequence > changes.last!.sequence, "sequences keep growing across restarts")
        await after.close()
    }
}
