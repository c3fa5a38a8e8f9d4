import IOCore
import Logging
import Synchronization

/// State shared by every session of a gateway: per-listener resources and the services the
/// sessions call off their loop thread.
public final class GatewaySessionShared: Sendable {
    /// One entry per listener, in listener order: nil for a `tcp` relay.
    public let postgres: [PostgresResourceContext?]
    /// One entry per listener: the TLS of a `tcp` relay that terminates or originates it, else nil.
    public let relays: [TLSRelayListener?]
    public let policies: PolicyStore
    public let authentication: PostgresAuthService
    public let cancelKeys: CancelKeyRegistry
    public let audit: any AuditSink
    /// Writes the recordings of recorded resources (`gateway.recording`); nil: nothing is recorded.
    public let recordings: RecordingWriter?
    /// For failures a session reports besides its audit events (an upstream TLS failure).
    public let log: Logger
    /// Counters per resource for the metrics endpoint.
    public let counters: GatewayCounters
    /// The logged-in sessions (control API).
    public let liveSessions: LiveSessions
    /// Approval requests for statements policy sends to review; nil: review refuses them.
    public let approvals: ApprovalBroker?
    private let sessionCounter = Atomic<UInt64>(0)

    /// A new audit session id (1, 2, ...; 0 never names a session).
    public func nextSessionID() -> UInt64 {
        sessionCounter.add(1, ordering: .relaxed).newValue
    }

    public init(
        postgres: [PostgresResourceContext?], relays: [TLSRelayListener?] = [], policies: PolicyStore, authentication: PostgresAuthService,
        cancelKeys: CancelKeyRegistry, audit: any AuditSink, recordings: RecordingWriter? = nil,
        log: Logger = Logger(label: "ringgate.session"), liveSessions: LiveSessions = LiveSessions(),
        approvals: ApprovalBroker? = nil
    ) {
        self.approvals = approvals
        self.log = log
        let counters = GatewayCounters(resources: postgres.compactMap { $0?.name })
        var contexts = postgres
        var next = 0
        for index in contexts.indices where contexts[index] != nil {
            contexts[index]!.counters = counters.resources[next].counters
            next += 1
        }
        self.counters = counters
        self.liveSessions = liveSessions
        self.postgres = contexts
        self.relays = relays
        self.policies = policies
        self.authentication = authentication
        self.cancelKeys = cancelKeys
        self.audit = audit
        self.recordings = recordings
    }
}
