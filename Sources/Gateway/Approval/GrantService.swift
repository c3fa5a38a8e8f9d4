import Foundation
import Logging
import Synchronization

/// Time-boxed grants: asked for, decided and revoked through the control API of any replica,
/// kept in the control store, and put in force here through ``ActiveGrants``.
///
/// ``ApprovalBroker``'s watcher hands it every grant change of the store's feed: the table
/// is reloaded from the store and the change audited on this replica (every replica's audit
/// log shows the grants that changed its decisions). Once a second it looks for grants whose
/// time ran out, audits them as expired and reloads the table. Sessions do not wait for that:
/// each checks its own first expiry against the clock at every statement. An approval or a
/// revocation made through this replica's API also reloads the table before the API answers,
/// so the answer means the change is in force here; the feed's reload follows (the path every
/// replica takes, retried on a store error).
public final class GrantService: Sendable {
    /// The grants in force, read by the sessions' ``PolicySession``.
    public let active = ActiveGrants()
    let store: any ControlStore
    private let configuration: @Sendable () -> GatewayConfiguration
    private let policyVersion: @Sendable () -> String
    private let audit: (any AuditSink)?
    private let log: Logger
    private let clock: @Sendable () -> Date
    /// Grants this replica's API just created or decided: their change is announced to the
    /// webhook from here (one replica posts each event).
    private let actedHere = Mutex<Set<String>>([])

    /// - Parameters:
    ///   - configuration: the configuration in force (grant definitions, approvers).
    ///   - policyVersion: the policy version audit events carry.
    init(store: any ControlStore, configuration: @escaping @Sendable () -> GatewayConfiguration,
         policyVersion: @escaping @Sendable () -> String, audit: (any AuditSink)?, log: Logger,
         clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.configuration = configuration
        self.policyVersion = policyVersion
        self.audit = audit
        self.log = log
        self.clock = clock
    }

    // MARK: Following the store (the broker's watcher)

    /// Loads the grants in force from the store (at start, and after every change).
    func reload() async throws {
        active.replace(with: try await store.activeGrants(at: clock()))
    }

    /// A grant change from the store's feed (any replica's): reloads the table where access
    /// changed, audits it, and returns the event to announce, with whether this replica's API
    /// made the change (then it also posts the webhook).
    func changed(_ change: StoreChange) async throws -> (event: ApprovalEvent, local: Bool)? {
        let kind: AuditEvent.Kind
        switch change.kind {
        case .grantCreated: kind = .grantRequested
        case .grantApproved: kind = .grantApproved
        case .grantDenied: kind = .grantDenied
        case .grantRevoked: kind = .grantRevoked
        default: return nil
        }
        if kind == .grantApproved || kind == .grantRevoked { try await reload() }
        guard let grant = try await store.grant(id: change.subject) else { return nil }
        record(kind, grant)
        let local = actedHere.withLock { $0.remove(grant.id) != nil }
        return (ApprovalEvent(kind: kind == .grantRequested ? .grantRequested : .grantDecided, grant: grant), local)
    }

    /// Audits the grants whose time ran out and reloads the table (once a second).
    func expireDue() async throws {
        let now = clock()
        guard let due = active.firstExpiry, due <= now else { return }
        let ended = active.ended(by: now)
        try await reload()
        for entry in ended {
            guard let grant = try await store.grant(id: entry.id), grant.state(at: now) == .expired else { continue }
            record(.grantExpired, grant)
        }
    }

    private func record(_ kind: AuditEvent.Kind, _ grant: AccessGrant) {
        var message: String
        switch kind {
        case .grantRequested: message = "for \(DurationParser.text(grant.duration)): \(grant.reason)"
        case .grantApproved: message = "approved by \(grant.approvedBy ?? "?") until \(GrantService.iso(grant.expiresAt))"
        case .grantDenied: message = "denied by \(grant.deniedBy ?? "?")"
        case .grantRevoked: message = "revoked by \(grant.revokedBy ?? "?")"
        default: message = "ended at \(GrantService.iso(grant.expiresAt))"
        }
        var event = AuditEvent(kind: kind, policyVersion: policyVersion(), identity: grant.identity, resource: grant.resource,
                               rule: grant.ruleSet, message: message)
        event.grant = grant.id
        audit?.record(event)
        log.notice("grant \(kind.rawValue.dropFirst("grant_".count))", metadata: [
            "grant": "\(grant.id)", "identity": "\(grant.identity)", "resource": "\(grant.resource)", "rule_set": "\(grant.ruleSet)",
            "detail": "\(message)",
        ])
    }

    // MARK: The control API

    /// A caller of the API: its identity and every group it belongs to.
    struct Caller: Sendable {
        var name: String
        var groups: Set<String>
        /// In `gateway.control.admin_groups`.
        var isAdmin: Bool
    }

    /// Stores `caller`'s request for grant `name` (nil: the only grant covering `resource`)
    /// on `resource` for `duration`.
    func request(by caller: Caller, resource: String, grant name: String?, duration: Duration, reason: String) async throws
        -> AccessGrant
    {
        let config = configuration()
        guard config.resources.contains(where: { $0.name == resource }) else {
            throw GrantRequestError.invalid("no resource \(resource)")
        }
        let candidates = config.grants.filter { $0.covers(resource: resource) && (name == nil || $0.name == name) }
        guard let definition = candidates.first, name != nil || candidates.count == 1 else {
            throw GrantRequestError.invalid(
                candidates.isEmpty ? "no grant \(name.map { "'\($0)' " } ?? "")may be asked for on \(resource)"
                    : "several grants cover \(resource): name one (\(candidates.map(\.name).joined(separator: ", ")))")
        }
        guard definition.mayBeRequested(by: caller.name, groups: caller.groups) else {
            throw GrantRequestError.forbidden("\(caller.name) may not ask for grant \(definition.name)")
        }
        guard duration > .zero, duration <= .milliseconds(definition.maxDurationMilliseconds) else {
            throw GrantRequestError.invalid(
                "a grant of \(definition.name) lasts at most \(DurationParser.text(milliseconds: definition.maxDurationMilliseconds))")
        }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.utf8.count <= 1000 else {
            throw GrantRequestError.invalid("a reason is required (at most 1000 bytes)")
        }
        let settings = definition.approvalSettings(resource: resource, in: config)
        let grant = AccessGrant(
            id: Self.newGrantID(), identity: caller.name, resource: resource, ruleSet: definition.name, reason: reason,
            duration: duration, requestedAt: clock(), requiredApprovals: settings.minApprovals)
        try await actingHere(on: grant.id) { try await store.createGrant(grant) }
        return grant
    }

    /// Records `caller`'s verdict on grant `id`: the caller must be in one of its approver
    /// groups; the store refuses self-approval, a second decision and closed grants.
    func decide(_ id: String, verdict: ApprovalVerdict, by caller: Caller, comment: String?) async throws -> AccessGrant {
        guard let grant = try await store.grant(id: id) else { throw ControlStoreError.notFound("grant \(id)") }
        let approvers = approverGroups(of: grant)
        guard approvers.contains(where: caller.groups.contains) else {
            throw ApprovalAuthorizationError(approver: caller.name, groups: approvers)
        }
        let decided = try await actingHere(on: id) {
            try await store.decideGrant(
                ApprovalDecision(requestID: id, approver: caller.name, verdict: verdict, decidedAt: clock(), comment: comment))
        }
        switch decided.state(at: clock()) {
        case .pending: actedHere.withLock { _ = $0.remove(id) }  // a partial approval is not an event
        case .active: try await reload()
        default: break
        }
        return decided
    }

    /// Revokes grant `id`: its holder may withdraw it; admins and its approvers may revoke it.
    func revoke(_ id: String, by caller: Caller) async throws -> AccessGrant {
        guard let grant = try await store.grant(id: id) else { throw ControlStoreError.notFound("grant \(id)") }
        let mayRevoke = caller.isAdmin || IdentityName.canonical(caller.name) == IdentityName.canonical(grant.identity)
            || approverGroups(of: grant).contains(where: caller.groups.contains)
        guard mayRevoke else { throw GrantRequestError.forbidden("\(caller.name) may not revoke grant \(id)") }
        // Revoking twice keeps the first revocation and changes nothing: no event.
        guard grant.revokedAt == nil else { return grant }
        let revoked = try await actingHere(on: id) { try await store.revokeGrant(id: id, by: caller.name, at: clock()) }
        try await reload()
        return revoked
    }

    /// Runs a store write this replica's API makes on grant `id`, marked first (the feed may
    /// bring its change before the write returns) so the feed's event is posted to the webhook
    /// from here; the mark goes when the write fails.
    private func actingHere<Value>(on id: String, _ write: () async throws -> Value) async throws -> Value {
        actedHere.withLock { _ = $0.insert(id) }
        do {
            return try await write()
        } catch {
            actedHere.withLock { _ = $0.remove(id) }
            throw error
        }
    }

    /// The grants `caller` may see: every grant for admins and approvers, else its own.
    func list(for caller: Caller) async throws -> [AccessGrant] {
        let all = try await store.grants()
        if caller.isAdmin || !caller.groups.isDisjoint(with: allApproverGroups()) { return all }
        let me = IdentityName.canonical(caller.name)
        return all.filter { IdentityName.canonical($0.identity) == me }
    }

    /// One grant, if `caller` may see it.
    func grant(_ id: String, for caller: Caller) async throws -> AccessGrant? {
        guard let grant = try await store.grant(id: id) else { return nil }
        let mine = IdentityName.canonical(grant.identity) == IdentityName.canonical(caller.name)
        guard mine || caller.isAdmin || !caller.groups.isDisjoint(with: allApproverGroups()) else { return nil }
        return grant
    }

    /// Who decides `grant` under the configuration in force.
    func approverGroups(of grant: AccessGrant) -> [String] {
        let config = configuration()
        guard let definition = config.grants.first(where: { $0.name == grant.ruleSet }) else {
            return ApprovalSettings.fallback(control: config.gateway.control).approverGroups
        }
        return definition.approvalSettings(resource: grant.resource, in: config).approverGroups
    }

    private func allApproverGroups() -> Set<String> {
        let config = configuration()
        var groups = Set(config.gateway.control?.approverGroups ?? [])
        for definition in config.grants {
            for resource in config.resources where definition.covers(resource: resource.name) {
                groups.formUnion(definition.approvalSettings(resource: resource.name, in: config).approverGroups)
            }
        }
        return groups
    }

    /// An instant in audit messages: ISO 8601 in UTC, or `-`.
    static func iso(_ date: Date?) -> String {
        date.map { $0.formatted(.iso8601) } ?? "-"
    }

    /// `g-` and 12 lowercase hex digits from the system's random generator.
    static func newGrantID() -> String {
        ApprovalBroker.newID(prefix: "g-")
    }
}

/// A grant request the API refuses.
public enum GrantRequestError: Error, Sendable, CustomStringConvertible {
    /// The request is malformed or asks for what no grant gives (400).
    case invalid(String)
    /// The caller may not do this (403).
    case forbidden(String)

    public var description: String {
        switch self {
        case .invalid(let message), .forbidden(let message): message
        }
    }
}
