import Foundation
import IOCore
import Logging
import Synchronization

/// The approval requests of one gateway replica: created when one of its sessions holds a
/// statement, decided through the control API of any replica sharing the store, and
/// delivered back to the holding session through its mailbox.
///
/// Sessions call ``submit(_:reply:)`` and ``cancel(_:)`` on their loop thread; both return at
/// once (the store is written by a task). A watcher task follows the store's change feed
/// (LISTEN/NOTIFY with PostgreSQL), expires overdue requests, and fails closed: a held
/// statement whose request cannot be read back by its deadline (plus ``deliveryGrace``) is
/// refused, never run.
public final class ApprovalBroker: Sendable {
    /// How long past a request's deadline a session waits for the store's verdict before it
    /// refuses the statement on its own.
    public static let deliveryGrace: Duration = .seconds(5)

    public let store: any ControlStore
    public let replicaID: String
    /// Prefix of this process's session ids in the store's session index
    /// (`<replica>.<boot>.`: session numbers restart with the process).
    public let sessionPrefix: String
    private let authentication: PostgresAuthService?
    /// Time-boxed grants, kept in force from the same change feed (nil: grants are off).
    public let grants: GrantService?
    /// New and closed requests, for the API's event stream.
    let events = ApprovalEventHub()
    private let webhook: WebhookNotifier?
    private let killRequested = Mutex<(@Sendable (UInt64, String) -> Void)?>(nil)
    private let log: Logger
    private let clock: @Sendable () -> Date

    private struct Held {
        var reply: SessionReplyAddress<GatewaySessionEvent>
        var deadline: Date
        var settings: ApprovalSettings
    }

    private let held = Mutex<[String: Held]>([:])
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    /// - Parameter authentication: receives the token revocations the store holds (any
    ///   replica's), so they are refused here too.
    /// - Parameter webhook: where this replica posts the events of the requests it holds.
    init(store: any ControlStore, replicaID: String, authentication: PostgresAuthService? = nil,
         grants: GrantService? = nil, webhook: WebhookNotifier? = nil, log: Logger,
         clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.grants = grants
        self.webhook = webhook
        self.replicaID = replicaID
        self.authentication = authentication
        sessionPrefix = "\(replicaID).\(String(UInt64(clock().timeIntervalSince1970 * 1000), radix: 36))."
        self.log = log
        self.clock = clock
    }

    /// Fails the requests this replica's previous process held (their statements died with
    /// it and must never run), takes the store's token revocations and grants in force, then
    /// starts following the store. Call it before the listeners accept sessions.
    public func start() async throws {
        let recovered = try await store.recoverAfterRestart(replicaID: replicaID, at: clock())
        if !recovered.failedRequests.isEmpty {
            log.warning("approval requests of the previous process failed: their statements never run",
                        metadata: ["requests": "\(recovered.failedRequests.joined(separator: ","))", "replica": "\(replicaID)"])
        }
        if let authentication {
            authentication.addSharedRevocations(try await store.revocations().map(\.jti))
        }
        try await grants?.reload()
        var sequence: UInt64 = 0
        while true {
            let page = try await store.changes(after: sequence, limit: 1000)
            guard let last = page.last else { break }
            sequence = last.sequence
        }
        let start = sequence
        watcher.withLock { $0 = Task { [self] in await self.follow(from: start) } }
    }

    /// Tells the event stream, and the webhook where this replica holds the statement.
    private func announce(_ request: ApprovalRequest, _ kind: ApprovalEvent.Kind) {
        let event = ApprovalEvent(kind: kind, request: request)
        events.publish(event)
        if request.replicaID == replicaID { webhook?.notify(event) }
    }

    /// Stops following the store (pending sessions are closing with the gateway).
    public func stop() async {
        events.finishAll()
        let task = watcher.withLock { value -> Task<Void, Never>? in defer { value = nil }; return value }
        task?.cancel()
        await task?.value
    }

    // MARK: Sessions (loop threads; never blocks)

    /// Creates the request for a held statement and returns its id. Once the store has it,
    /// `reply` hears ``GatewaySessionEvent/approvalPending(requestID:notice:)`` with
    /// `notice(id)` for the client; its outcome comes as ``GatewaySessionEvent/approval(requestID:outcome:)``.
    public func submit(
        _ submission: ApprovalSubmission, reply: SessionReplyAddress<GatewaySessionEvent>,
        notice: @escaping @Sendable (String) -> String
    ) -> String {
        let id = Self.newID(prefix: "r-")
        let now = clock()
        let deadline = now.addingTimeInterval(Double(submission.settings.timeoutMilliseconds) / 1000)
        held.withLock { $0[id] = Held(reply: reply, deadline: deadline, settings: submission.settings) }
        let request = ApprovalRequest(
            id: id, replicaID: replicaID, sessionID: String(submission.sessionID), identity: submission.identity,
            groups: submission.groups, resource: submission.resource, database: submission.database,
            statement: submission.statement, classes: submission.classes, relations: submission.relations,
            justification: submission.justification, createdAt: now, deadline: deadline,
            requiredApprovals: submission.settings.minApprovals, rule: submission.rule,
            approverGroups: submission.settings.approverGroups)
        Task { [self] in
            do {
                try await store.createRequest(request)
                guard held.withLock({ $0[id] != nil }) else {
                    // The session went away while the request was being written.
                    _ = try? await store.cancelRequest(id: id, at: clock())
                    return
                }
                reply.post(.approvalPending(requestID: id, notice: notice(id)))
                log.notice("statement held for approval", metadata: [
                    "request": "\(id)", "identity": "\(request.identity)", "resource": "\(request.resource)",
                    "database": "\(request.database)", "rule": "\(request.rule ?? "-")",
                    "approvers": "\(request.approverGroups.joined(separator: ","))",
                    "min_approvals": "\(request.requiredApprovals)",
                ])
            } catch {
                log.error("approval request not stored; the statement is refused", metadata: ["request": "\(id)", "error": "\(error)"])
                deliver(id, .failed("the approval store is unavailable"))
            }
        }
        return id
    }

    /// The session holding `id` went away: the request is cancelled and never delivered.
    public func cancel(_ id: String) {
        guard held.withLock({ $0.removeValue(forKey: id) }) != nil else { return }
        let now = clock()
        Task { [store] in _ = try? await store.cancelRequest(id: id, at: now) }
    }

    /// Requests held by this replica's sessions right now.
    public var heldCount: Int { held.withLock { $0.count } }

    // MARK: Session index

    /// What runs when another replica asks to kill one of this process's sessions (its local
    /// number, who asked).
    public func onKillRequested(_ body: @escaping @Sendable (UInt64, String) -> Void) {
        killRequested.withLock { $0 = body }
    }

    /// The store id of local session `number`.
    public func storeSessionID(_ number: UInt64) -> String { sessionPrefix + String(number) }

    /// The local session number of a store id of this process, else nil.
    public func localSessionNumber(_ storeID: String) -> UInt64? {
        guard storeID.hasPrefix(sessionPrefix) else { return nil }
        return UInt64(storeID.dropFirst(sessionPrefix.count))
    }

    /// Lists a session that logged in, so any replica's API sees it (written by a task).
    public func sessionStarted(_ number: UInt64, identity: String, resource: String, at instant: Date) {
        let record = SessionRecord(id: storeSessionID(number), replicaID: replicaID, identity: identity, resource: resource,
                                   startedAt: instant)
        Task { [store, log] in
            do { try await store.registerSession(record) } catch {
                log.warning("session not listed in the store", metadata: ["session": "\(record.id)", "error": "\(error)"])
            }
        }
    }

    /// Marks a session ended in the store.
    public func sessionEnded(_ number: UInt64) {
        let id = storeSessionID(number)
        let now = clock()
        Task { [store] in try? await store.endSession(id: id, at: now) }
    }

    private func killLocal(_ storeID: String) async {
        guard let number = localSessionNumber(storeID), let body = killRequested.withLock({ $0 }) else { return }
        let by = (try? await store.sessions(liveOnly: true))?.first { $0.id == storeID }?.killRequestedBy ?? "another replica"
        body(number, by)
    }

    /// Revokes a token id on every replica sharing the store (this one at once).
    public func revokeToken(_ jti: String, expiresAt: Date) async throws {
        try await store.addRevocation(TokenRevocation(jti: jti, revokedAt: clock(), expiresAt: expiresAt))
        authentication?.addSharedRevocations([jti])
        log.notice("token revoked through the control store", metadata: ["jti": "\(jti)"])
    }

    // MARK: The control API

    /// Records `approver`'s verdict on request `id` and returns the request's state after it.
    /// The approver must belong to one of the request's approver groups (`fallbackApprovers`
    /// when it names none); the store refuses self-approval, a second decision by the same
    /// approver, and requests no longer pending.
    public func decide(
        _ id: String, verdict: ApprovalVerdict, by approver: String, groups: Set<String>, fallbackApprovers: [String],
        comment: String?
    ) async throws -> ApprovalState {
        guard let request = try await store.request(id: id) else { throw ControlStoreError.notFound("request \(id)") }
        let approvers = request.approverGroups.isEmpty ? fallbackApprovers : request.approverGroups
        guard approvers.contains(where: groups.contains) else {
            throw ApprovalAuthorizationError(approver: approver, groups: approvers)
        }
        let state = try await store.recordDecision(
            ApprovalDecision(requestID: id, approver: approver, verdict: verdict, decidedAt: clock(), comment: comment))
        log.notice("approval decision", metadata: [
            "request": "\(id)", "approver": "\(approver)", "verdict": "\(verdict.rawValue)", "state": "\(state.rawValue)",
        ])
        return state
    }

    // MARK: Delivery

    private func deliver(_ id: String, _ outcome: ApprovalOutcome) {
        guard let entry = held.withLock({ $0.removeValue(forKey: id) }) else { return }
        entry.reply.post(.approval(requestID: id, outcome: outcome))
    }

    /// Follows the change feed: a closed request this replica holds is delivered; once a
    /// second, overdue requests expire (any replica may do it; the first one wins).
    private func follow(from start: UInt64) async {
        var sequence = start
        var lastSweep = Date.distantPast
        while !Task.isCancelled {
            do {
                let changes = try await store.waitForChange(after: sequence, timeout: .seconds(1))
                // A change is consumed once handled: a store error while handling it retries it
                // (a grant revoked elsewhere must not be skipped here).
                for change in changes {
                    switch change.kind {
                    case .requestCreated:
                        if let request = try await store.request(id: change.subject) { announce(request, .requested) }
                    case .requestClosed:
                        // One read serves the holding session and the announcement.
                        let request = try await store.request(id: change.subject)
                        if held.withLock({ $0[change.subject] != nil }) { await deliverClosed(change.subject, request) }
                        if let request { announce(request, .closed) }
                    case .tokenRevoked:
                        authentication?.addSharedRevocations([change.subject])
                    case .sessionKillRequested where change.subject.hasPrefix(sessionPrefix):
                        await killLocal(change.subject)
                    case .grantCreated, .grantApproved, .grantDenied, .grantRevoked:
                        if let (event, local) = try await grants?.changed(change) {
                            events.publish(event)
                            if local { webhook?.notify(event) }
                        }
                    default:
                        break
                    }
                    sequence = max(sequence, change.sequence)
                }
                let now = clock()
                if now.timeIntervalSince(lastSweep) >= 1 {
                    lastSweep = now
                    _ = try await store.expireOverdueRequests(at: now)
                    try await grants?.expireDue()
                }
            } catch {
                if Task.isCancelled { return }
                log.warning("approval store unavailable; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(500))
            }
            failOverdueUndelivered()
        }
    }

    private func deliverClosed(_ id: String, _ request: ApprovalRequest?) async {
        do {
            guard let request else {
                deliver(id, .failed("the request is gone from the store"))
                return
            }
            switch request.state {
            case .pending:
                return
            case .approved:
                let approvers = try await store.decisions(requestID: id).filter { $0.verdict == .approve }.map(\.approver)
                deliver(id, .approved(by: approvers))
            case .denied:
                let deny = try await store.decisions(requestID: id).first { $0.verdict == .deny }
                deliver(id, .denied(by: deny?.approver ?? "?", comment: deny?.comment))
            case .expired:
                deliver(id, .expired)
            case .cancelled:
                deliver(id, .failed("the request was cancelled"))
            case .failed:
                deliver(id, .failed("the gateway holding it restarted"))
            }
        } catch {
            log.warning("approval request not read back", metadata: ["request": "\(id)", "error": "\(error)"])
        }
    }

    /// Fail closed: a held statement past its deadline and the grace is refused, whatever the
    /// store would say later.
    private func failOverdueUndelivered() {
        let limit = clock().addingTimeInterval(-Double(Self.deliveryGrace.components.seconds))
        let overdue = held.withLock { held in held.filter { $0.value.deadline < limit }.map(\.key) }
        for id in overdue { deliver(id, .expired) }
    }

    // MARK: Ids

    /// `prefix` (`r-` requests, `g-` grants) and 12 lowercase hex digits from the system's
    /// random generator.
    static func newID(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt64.random(in: 0...(1 << 48 - 1), using: &generator)
        let hex = String(value, radix: 16)
        return prefix + String(repeating: "0", count: 12 - hex.count) + hex
    }
}

/// The caller is not among a request's approvers.
public struct ApprovalAuthorizationError: Error, CustomStringConvertible {
    public var approver: String
    public var groups: [String]

    public var description: String {
        groups.isEmpty ? "no approver groups are configured for this request"
            : "\(approver) is not in an approver group of this request (\(groups.joined(separator: ", ")))"
    }
}
