import Codecs
import Foundation

/// Who and what a client session is, for its audit events.
///
/// Holds no token, no password and no statement text: the identity is the verified name,
/// the rest comes from configuration and the client's StartupMessage.
public struct SessionAuditContext: Sendable, Hashable {
    /// Correlates the session's events (unique within one gateway process).
    public var sessionID: UInt64
    public var identity: String
    public var groups: [String]
    public var resource: String
    /// The client's address (`host:port`), when known.
    public var clientAddress: String?
    /// The database the client asked for.
    public var database: String?
    /// The role the gateway logs in upstream as.
    public var upstreamUser: String?

    public init(sessionID: UInt64, identity: String, groups: [String], resource: String, clientAddress: String?,
                database: String?, upstreamUser: String?) {
        self.sessionID = sessionID
        self.identity = identity
        self.groups = groups
        self.resource = resource
        self.clientAddress = clientAddress
        self.database = database
        self.upstreamUser = upstreamUser
    }

    /// The context of a session opened by `identity`.
    public init(sessionID: UInt64, identity: VerifiedIdentity, resource: String, clientAddress: String?,
                database: String?, upstreamUser: String?) {
        self.init(sessionID: sessionID, identity: identity.name, groups: identity.groups, resource: resource,
                  clientAddress: clientAddress, database: database, upstreamUser: upstreamUser)
    }
}

extension AuditEvent {
    /// The current time in milliseconds since 1970 (the events' default timestamp).
    public static var nowMilliseconds: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// `session_start`: the client authenticated and the upstream login completed.
    public static func sessionStart(_ session: SessionAuditContext, policyVersion: String,
                                    timeMilliseconds: Int64 = nowMilliseconds) -> AuditEvent {
        var event = AuditEvent(kind: .sessionStart, policyVersion: policyVersion, identity: session.identity,
                               resource: session.resource, timeMilliseconds: timeMilliseconds)
        event.setSession(session)
        return event
    }

    /// `session_end`: bytes each way (client side), the session's length and why it closed
    /// (a short gateway-chosen word such as `client-terminate`, `upstream-closed`, `idle-timeout`).
    public static func sessionEnd(_ session: SessionAuditContext, policyVersion: String, bytesIn: UInt64, bytesOut: UInt64,
                                  durationMilliseconds: Double, closeReason: String,
                                  timeMilliseconds: Int64 = nowMilliseconds) -> AuditEvent {
        var event = AuditEvent(kind: .sessionEnd, policyVersion: policyVersion, identity: session.identity,
                               resource: session.resource, timeMilliseconds: timeMilliseconds)
        event.setSession(session)
        event.bytesIn = bytesIn
        event.bytesOut = bytesOut
        event.durationMilliseconds = durationMilliseconds
        event.closeReason = closeReason
        return event
    }

    /// `statement`: one statement's decision. Deliberately takes no statement text: only its
    /// classes and the relation names the classifier found, so literals (passwords in
    /// `ALTER ROLE ... PASSWORD '...'`, card numbers in `WHERE` clauses) never reach the log.
    /// - Parameters:
    ///   - action: the decision (`allow`, `deny`, `review`).
    ///   - reason: why (`rule`, `resource-default`, ...).
    ///   - rule: the id of the rule that decided, if any.
    ///   - durationMilliseconds: how long the statement took, when measured.
    ///   - rows, bytes: the DataRows the client received in its result and their bytes (after
    ///     masking), when counted (see ``StatementAuditQueue``).
    public static func statement(_ session: SessionAuditContext, policyVersion: String, classes: StatementClass,
                                 relations: [String], action: String, reason: String?, rule: String?,
                                 durationMilliseconds: Double? = nil, rows: UInt64? = nil, bytes: UInt64? = nil,
                                 classNames: [String]? = nil,
                                 timeMilliseconds: Int64 = nowMilliseconds) -> AuditEvent {
        var event = AuditEvent(kind: .statement, policyVersion: policyVersion, identity: session.identity,
                               resource: session.resource, action: action, reason: reason, rule: rule,
                               classes: classNames ?? classes.names, timeMilliseconds: timeMilliseconds)
        event.sessionID = session.sessionID
        event.relations = relations
        event.durationMilliseconds = durationMilliseconds
        event.rows = rows
        event.bytes = bytes
        return event
    }

    /// `recording_failed`: a session's recording `file` ended with `records` records (`bytes`
    /// bytes) not written, because of `failure` (nil: the writer gave up at shutdown).
    public static func recordingFailed(header: RecordingHeader, file: String, failure: RecordingFailure?,
                                       records: UInt64, bytes: UInt64,
                                       timeMilliseconds: Int64 = nowMilliseconds) -> AuditEvent {
        var event = AuditEvent(
            kind: .recordingFailed, policyVersion: header.policyVersion, identity: header.identity,
            resource: header.resource, reason: failure?.description ?? "not written before shutdown",
            message: "recording \(file): \(records) records (\(bytes) bytes) could not be written",
            timeMilliseconds: timeMilliseconds)
        event.sessionID = header.sessionID
        event.records = records
        event.bytes = bytes
        return event
    }

    /// `authentication_rejected`: a client's token was refused. Carries the reason and the
    /// failure's audit description (which never contains the token), not the token.
    public static func authenticationFailure(_ failure: AuthenticationFailure, resource: String?, clientAddress: String?,
                                             policyVersion: String,
                                             timeMilliseconds: Int64 = nowMilliseconds) -> AuditEvent {
        var event = AuditEvent(kind: .authenticationRejected, policyVersion: policyVersion, resource: resource,
                               reason: failure.reason.rawValue, message: failure.auditDescription,
                               timeMilliseconds: timeMilliseconds)
        event.clientAddress = clientAddress
        return event
    }

    private mutating func setSession(_ session: SessionAuditContext) {
        sessionID = session.sessionID
        groups = session.groups
        clientAddress = session.clientAddress
        database = session.database
        upstreamUser = session.upstreamUser
    }
}
