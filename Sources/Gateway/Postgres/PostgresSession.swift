import Codecs
import Foundation
import IOCore

/// Events the control plane posts to a PostgreSQL session.
public enum GatewaySessionEvent: Sendable {
    /// The bearer token the client gave as its password was checked.
    case tokenVerified(Result<VerifiedIdentity, AuthenticationFailure>)
    /// The SCRAM salted password the upstream login asked for.
    case saltedPassword([UInt8])
    /// The session recording's writer needs the session to pause, resume or close.
    case recording(RecordingSignal)
    /// An administrator ended the session through the control API.
    case terminate(by: String)
    /// The approval request of the statement the session holds is in the store (the client
    /// is told its id now).
    case approvalPending(requestID: String, notice: String)
    /// The approval request of the statement the session holds ended.
    case approval(requestID: String, outcome: ApprovalOutcome)
    /// The client sent a CancelRequest (on another connection) for this session.
    case clientCancel
}

/// One client connection to a `postgres` resource: the gateway ends the client's login
/// itself (a bearer token as the password), logs in upstream with the credentials it holds,
/// then decides every Query, Parse and FunctionCall by policy before a byte of it reaches
/// the server. Denied statements are answered as the server would answer an error, in
/// order with the results of what was sent before them.
///
/// A state machine on the ``ProxySession`` seam: it performs no I/O, and after login its
/// per-message work allocates nothing except on a denial or an audit record.
public struct PostgresSession: ~Copyable {
    enum Phase: Equatable {
        case startup, awaitingPassword, verifying, connecting, upstreamLogin, ready, cancelling, failed
    }

    /// A refused statement whose stand-in is on its way to the server (see ``PostgresRefusal``).
    struct PendingRefusal {
        /// The number of the upstream ReadyForQuery that ends its batch (1-based); if that
        /// arrives first, the server skipped the stand-in after an earlier error.
        var mark: UInt64
        var decision: Decision
        var classes: StatementClass
        /// The gateway's own message (nil: the policy's wording).
        var message: String?
    }

    let resource: PostgresResourceContext
    let shared: GatewaySessionShared
    let clientAddress: SocketAddress?
    var phase: Phase = .startup
    var clientDecoder: PostgresFrameDecoder
    var upstreamDecoder: PostgresFrameDecoder
    /// Scratch for messages the session encodes.
    let scratch: UnsafeMutableRawBufferPointer

    // Login
    var startupUser = ""
    var database = ""
    var upstreamParameters: [(String, String)] = []
    var runtimeOptions: [(String, String)] = []
    var identity: VerifiedIdentity?
    var policy: PolicySession?
    var login: PostgresUpstreamLogin?
    var gatewayKey: (processID: Int32, secretKey: Int32)?
    var cancelTarget: CancelKeyRegistry.Upstream?
    var auditContext: SessionAuditContext?
    let startedAt = Date()

    // TLS (PostgresSession+TLS)
    /// The client opened with a TLS ClientHello instead of an SSLRequest.
    var directTLS = false
    /// An SSLRequest was just answered `S`: nothing may follow it in clear.
    var clientTLSJustAccepted = false
    /// The upstream's answer to the gateway's SSLRequest is awaited.
    var awaitingUpstreamTLSAnswer = false

    // Statements
    var classifier = SQLClassifier()
    var summary = SQLQuerySummary()
    var relations: [RelationReference] = []
    /// After a refused Parse or Bind: drop everything up to Sync (the server skips too).
    var skippingToSync = false
    /// Query/Sync/FunctionCall messages sent upstream, and ReadyForQuery messages seen back.
    var markersSent: UInt64 = 0
    var readySeen: UInt64 = 0
    var transactionStatus = UInt8(ascii: "I")
    /// Refusals waiting for their stand-in's error, oldest first.
    var refusals: [PendingRefusal] = []
    /// The revocation generation this session's token was last checked under.
    var revocationChecked: UInt64 = 0
    /// Named prepared statements and the policy generation that last allowed them.
    var prepared = PreparedStatements()
    /// Bytes received from the client (audit).
    var bytesFromClient: UInt64 = 0
    /// The audit names of the last statement's classes.
    var classNames: (classes: StatementClass, names: [String]) = ([], [])

    // Approval (PostgresSession+Approval)
    /// The statement waiting for approval, if any.
    var held: HeldStatement?
    /// Client bytes that came after the held statement, handled once it is decided.
    var deferredInput: [UInt8] = []
    /// The deferred bytes being handled (forwarded by copy, not from a loop buffer).
    var replaying: UnsafeRawBufferPointer?

    // Results: masking and limits (see PostgresSession+Masking)
    /// Which client request each server response answers.
    var responses = ResponseTracker()
    /// The caller's masks; nil when nothing is masked.
    var masks: SessionMasks?
    /// The store generation the masks and limits were taken from.
    var masksGeneration = UInt64.max
    var maskCatalog = MaskCatalog()
    /// A catalog read in progress (its results are the gateway's own).
    var catalogReader: MaskCatalog.Reader?
    /// The column patterns changed since the catalog was read: labels decide too, until the
    /// next read (made when the session is idle).
    var catalogStale = false
    /// The last catalog read failed: no other until the masks change again.
    var catalogRetryBlocked = false
    /// The current result's columns and their mask actions (room for one column until
    /// the session has masks).
    var columns = PostgresColumnTable(capacity: 1)
    /// How the current COPY's rows are masked.
    var copyMasking = CopyMasking.none
    /// COPY ... TO STDOUT statements sent under column masks, with the ReadyForQuery number
    /// that ends their Query.
    var pendingCopies: [(mark: UInt64, statement: CopyStatement)] = []
    /// The portal named by the last Describe forwarded, when it was the last message.
    var describedPortal: [UInt8] = []
    var portalJustDescribed = false
    /// Limits on one result.
    var maxRows = Int.max
    var maxBytes = Int.max
    var resultRows = 0
    var resultBytes = 0
    /// After a limit or a row that cannot be masked: the rest up to ReadyForQuery is dropped.
    var discardingResult = false
    /// Whether the parts of the upstream message being received are dropped.
    var droppingParts = false

    // Recording and result counts (PostgresSession+Recording.swift, StatementAuditQueue)
    var recorder = SessionRecorder()
    var statementAudits = StatementAuditQueue()

    static let maxPendingRefusals = 64
    /// Client bytes kept behind a statement waiting for approval; more ends the session.
    static let maxDeferredBytes = 1 << 20
    /// The largest message the session inspects whole: a masked row longer than this ends
    /// the session (what cannot be masked is not sent).
    static let maxMaskedMessageLength = 16 << 20

    init(resource: PostgresResourceContext, shared: GatewaySessionShared, clientAddress: SocketAddress?) {
        self.resource = resource
        self.shared = shared
        self.clientAddress = clientAddress
        var frontend = PostgresFrameDecoderConfiguration.frontend()
        frontend.inspectedTypes = PostgresMessageTypeSet(
            PostgresMessageType.Frontend.query, PostgresMessageType.Frontend.parse, PostgresMessageType.Frontend.password,
            PostgresMessageType.Frontend.sync, PostgresMessageType.Frontend.functionCall,
            PostgresMessageType.Frontend.close, PostgresMessageType.Frontend.describe, PostgresMessageType.Frontend.execute)
        clientDecoder = PostgresFrameDecoder(configuration: frontend)
        upstreamDecoder = PostgresFrameDecoder(configuration: .backend(maxInspectedLength: Self.maxMaskedMessageLength))
        scratch = .allocate(byteCount: 16 * 1024, alignment: 8)
        relations.reserveCapacity(SQLRelationList.capacity)
        refusals.reserveCapacity(Self.maxPendingRefusals)
        describedPortal.reserveCapacity(64)
    }

    deinit {
        scratch.deallocate()
    }

    // MARK: Seam

    mutating func start(io: inout SessionIO<GatewaySessionEvent>) {
        io.setDeadline(after: resource.authenticationTimeoutNanoseconds)
    }

    mutating func received(
        _ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<GatewaySessionEvent>
    ) {
        if side == .client {
            bytesFromClient &+= UInt64(bytes.count)
            receivedFromClient(UnsafeRawBufferPointer(bytes), io: &io)
        } else {
            receivedFromUpstream(UnsafeRawBufferPointer(bytes), io: &io)
        }
    }

    mutating func handle(_ event: SessionEvent<GatewaySessionEvent>, io: inout SessionIO<GatewaySessionEvent>) {
        switch event {
        case .connected:
            upstreamConnected(io: &io)
        case .connectFailed:
            if phase == .cancelling {
                io.close(.sessionTerminated)
            } else {
                fail(.fatal, "08006", "could not connect to the upstream server of resource \(resource.name)", io: &io)
            }
        case .deadline:
            if phase != .ready && phase != .failed {
                fail(.fatal, "08006", "authentication timeout", io: &io)
            }
        case .tlsEstablished(let side):
            tlsEstablished(side, io: &io)
        case .tlsFailed(let side, let failure):
            tlsFailed(side, failure, io: &io)
        case .closed(let reason):
            sessionClosed(reason, bytesToClient: io.totalQueued(to: .client), now: io.now)
        case .custom(.tokenVerified(let result)):
            tokenVerified(result, io: &io)
        case .custom(.saltedPassword(let salted)):
            guard phase == .upstreamLogin, login != nil else { return }
            let step = login!.provideSaltedPassword(salted)
            _ = loginStep(step, frame: nil, io: &io)
        case .custom(.recording(let signal)):
            recordingSignal(signal, io: &io)
        case .custom(.terminate):
            fail(.fatal, "57P01", "terminating connection due to administrator command", io: &io)
        case .custom(.approvalPending(let requestID, let notice)):
            if phase == .ready, held?.requestID == requestID { sendNotice(notice, io: &io) }
        case .custom(.approval(let requestID, let outcome)):
            approvalDecided(requestID, outcome, io: &io)
        case .custom(.clientCancel):
            if let requestID = held?.requestID {
                shared.approvals?.cancel(requestID)
                approvalDecided(requestID, .failed("canceled by the client"), io: &io)
            }
        }
    }

    // MARK: End

    mutating func sessionClosed(_ reason: CloseReason, bytesToClient: UInt64, now: UInt64) {
        if let requestID = held?.requestID {
            // A held statement never runs after its session has gone.
            shared.approvals?.cancel(requestID)
            held = nil
        }
        if let key = gatewayKey { shared.cancelKeys.remove(processID: key.processID) }
        if let auditContext {
            shared.liveSessions.remove(auditContext.sessionID)
            if policy != nil { shared.approvals?.sessionEnded(auditContext.sessionID) }
            resource.counters?.sessionEnded(bytesFromClient: bytesFromClient, bytesToClient: bytesToClient)
        }
        recorder.end(reason: reason.description, at: now)
        statementAudits.flush(sink: shared.audit)
        if let auditContext, let policy {
            shared.audit.record(.sessionEnd(
                auditContext, policyVersion: policy.policyVersion, bytesIn: bytesFromClient, bytesOut: bytesToClient,
                durationMilliseconds: Date().timeIntervalSince(startedAt) * 1000, closeReason: reason.description))
        }
    }
}
