import Codecs
import Foundation
import IOCore

extension PostgresSession {
    // MARK: Statements

    mutating func statementMessage(
        _ type: UInt8, body: UnsafeRawBufferPointer, whole frame: PostgresFrame, range: Range<Int>?,
        io: inout SessionIO<GatewaySessionEvent>
    ) {
        if type == PostgresMessageType.Frontend.sync {
            // The server skips to Sync after the stand-in's error as well; both resume here.
            skippingToSync = false
            forwardRequest(.sync, frame, range: range, io: &io)
            markersSent &+= 1
            return
        }
        // After a refused Parse or Bind, everything up to Sync is dropped, as PostgreSQL does.
        guard !skippingToSync else { return }
        guard !tokenRevoked() else {
            fail(.fatal, "28000", "the token of this session was revoked", io: &io)
            return
        }
        switch type {
        case PostgresMessageType.Frontend.query:
            guard let view = try? QueryMessageView(body: body) else {
                fail(.fatal, "08P01", "invalid Query message", io: &io)
                return
            }
            readCatalogIfNeeded(io: &io)
            let (decision, classes) = decide(view.query)
            recordStatement(type, name: Self.noBytes, text: view.query, decision: decision, classes: classes, io: &io)
            if decision.action == .allow, let reason = copyRefusal(view.query, extended: false) {
                refuse(decision, classes: classes, extended: false, message: reason, io: &io)
            } else if decision.action == .allow {
                forwardRequest(.query, frame, range: range, io: &io)
                markersSent &+= 1
                resource.counters?.statementForwarded(after: io.nanosecondsSinceWake())
            } else if decision.action == .review,
                      holdForApproval(type, body: body, text: view.query, preparedName: nil, decision: decision, classes: classes, io: &io) {
                // Held: the notice went to the client; the outcome arrives as an event.
            } else {
                refuse(decision, classes: classes, extended: false, io: &io)
            }
        case PostgresMessageType.Frontend.parse:
            guard let view = try? ParseMessageView(body: body) else {
                fail(.fatal, "08P01", "invalid Parse message", io: &io)
                return
            }
            let named = !view.statementName.isEmpty
            readCatalogIfNeeded(io: &io)
            var (decision, classes) = decide(view.query)
            if named && prepared.isFull && decision.action == .allow {
                decision = Decision(action: .deny, reason: .statementTooLong)
                classes = []
            }
            recordStatement(type, name: view.statementName, text: view.query, decision: decision, classes: classes, io: &io)
            if decision.action == .allow, let reason = copyRefusal(view.query, extended: true) {
                refuse(decision, classes: classes, extended: true, message: reason, io: &io)
            } else if decision.action == .allow {
                if named { prepared.store(name: view.statementName, text: view.query) }
                forwardRequest(.parse, frame, range: range, io: &io)
                resource.counters?.statementForwarded(after: io.nanosecondsSinceWake())
            } else if decision.action == .review,
                      holdForApproval(type, body: body, text: view.query, preparedName: view.statementName, decision: decision,
                                      classes: classes, io: &io) {
                // Held (see above).
            } else {
                refuse(decision, classes: classes, extended: true, io: &io)
            }
        case PostgresMessageType.Frontend.bind:
            if let decision = refusedBind(statementName: Self.bindStatementName(body)) {
                recordStatement(type, name: Self.bindStatementName(body) ?? Self.noBytes, text: Self.noBytes, decision: decision,
                                classes: decision.statementClass, io: &io)
                refuse(decision, classes: decision.statementClass, extended: true, io: &io)
            } else {
                forwardRequest(.bind, frame, range: range, io: &io)
            }
        case PostgresMessageType.Frontend.close:
            if body.count > 1, body[0] == UInt8(ascii: "S"), let end = body[1...].firstIndex(of: 0) {
                prepared.remove(name: UnsafeRawBufferPointer(rebasing: body[1..<end]))
            }
            forwardRequest(.close, frame, range: range, io: &io)
        case PostgresMessageType.Frontend.describe:
            forwardRequest(.describe, frame, range: range, io: &io)
            portalJustDescribed = !body.isEmpty && body[0] == UInt8(ascii: "P")
            if portalJustDescribed, let end = body[1...].firstIndex(of: 0) {
                describedPortal.removeAll(keepingCapacity: true)
                describedPortal.append(contentsOf: body[1..<end])
            }
            return
        case PostgresMessageType.Frontend.execute:
            describeBeforeExecute(body, io: &io)
            forwardRequest(.execute, frame, range: range, io: &io)
        case PostgresMessageType.Frontend.functionCall:
            // What a function call does cannot be seen: it is decided as opaque.
            guard policy != nil else { return }
            let decision = policy!.evaluate(classes: .opaque, statementLength: body.count)
            audit(decision, classes: .opaque, text: nil)
            recordStatement(type, name: Self.noBytes, text: Self.noBytes, decision: decision, classes: .opaque, io: &io)
            if decision.action == .allow {
                forwardRequest(.query, frame, range: range, io: &io)
                markersSent &+= 1
            } else {
                refuse(decision, classes: .opaque, extended: false, io: &io)
            }
        default:
            forwardMessage(frame, range: range, io: &io)
        }
        portalJustDescribed = false
    }

    /// Forwards a request whose responses the session follows.
    mutating func forwardRequest(
        _ request: ResponseTracker.Request, _ frame: PostgresFrame, range: Range<Int>?, io: inout SessionIO<GatewaySessionEvent>
    ) {
        guard responses.push(request) else {
            fail(.fatal, "54000", "too many requests pipelined without reading their results", io: &io)
            return
        }
        forwardMessage(frame, range: range, io: &io)
    }

    /// Under masks, asks the server to describe the portal an Execute runs (unless the client
    /// just did): its rows may come without a RowDescription in this batch (a prepared
    /// statement described long ago), and the masks must know their columns and formats.
    /// The answer is the gateway's own and is not forwarded.
    mutating func describeBeforeExecute(_ body: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        guard masks != nil, let end = body.firstIndex(of: 0) else { return }
        let portal = UnsafeRawBufferPointer(rebasing: body[..<end])
        if portalJustDescribed && portal.elementsEqual(describedPortal) { return }
        var writer = WireWriter(scratch)
        writer.writeUInt8(PostgresMessageType.Frontend.describe)
        writer.writeInt32(Int32(4 + 1 + portal.count + 1))
        writer.writeUInt8(UInt8(ascii: "P"))
        writer.writeCString(portal)
        guard !writer.overflowed, responses.push(.gatewayDescribe) else {
            fail(.fatal, "54000", "too many requests pipelined without reading their results", io: &io)
            return
        }
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .upstream)
    }

    /// Part of a client message that is not inspected and crosses a buffer edge.
    mutating func statementPart(_ part: PostgresFramePart, in buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        guard !skippingToSync else { return }
        if part.isFirst, part.kind == .message(PostgresMessageType.Frontend.bind), recheckPrepared() {
            // Some prepared statement is refused now: the Bind must name another one. Its name
            // is read from this first part; when even that is cut off, the Bind is refused.
            let body = UnsafeRawBufferPointer(rebasing: buffer[min(part.offset + 5, buffer.count)..<(part.offset + part.count)])
            let name = part.count > 5 ? Self.bindStatementName(body) : nil
            if let decision = name.map({ refusedBind(statementName: $0) }) ?? Decision(action: .deny, reason: .rule) {
                recordStatement(PostgresMessageType.Frontend.bind, name: name ?? Self.noBytes, text: Self.noBytes,
                                decision: decision, classes: decision.statementClass, io: &io)
                refuse(decision, classes: decision.statementClass, extended: true, io: &io)
                return
            }
        }
        if part.isFirst, case .message(let type)? = part.kind {
            let request: ResponseTracker.Request? = switch type {
            case PostgresMessageType.Frontend.bind: .bind
            case PostgresMessageType.Frontend.describe: .describe
            case PostgresMessageType.Frontend.execute: .execute
            default: nil
            }
            if let request, !responses.push(request) {
                fail(.fatal, "54000", "too many requests pipelined without reading their results", io: &io)
                return
            }
        }
        if let replaying {
            io.write(UnsafeRawBufferPointer(rebasing: replaying[part.offset..<(part.offset + part.count)]), to: .upstream)
        } else {
            io.forward(part.offset..<(part.offset + part.count))
        }
    }

    /// True when a reload revoked this session's gateway token (checked when the revocation
    /// generation moved: one atomic load per statement otherwise).
    mutating func tokenRevoked() -> Bool {
        let generation = shared.authentication.revocationGeneration
        guard generation != revocationChecked else { return false }
        revocationChecked = generation
        guard let tokenID = identity?.tokenID else { return false }
        return shared.authentication.isRevoked(tokenID)
    }

    /// The statement name of a Bind body (after the portal name), or nil when it is cut off.
    static func bindStatementName(_ body: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let portalEnd = body.firstIndex(of: 0),
              let nameEnd = body[(portalEnd + 1)...].firstIndex(of: 0) else { return nil }
        return UnsafeRawBufferPointer(rebasing: body[(portalEnd + 1)..<nameEnd])
    }

    /// Decides the kept prepared statements again when a new policy was published; returns
    /// true when some of them are refused now.
    mutating func recheckPrepared() -> Bool {
        let generation = shared.policies.generation
        if generation != prepared.decidedGeneration {
            var refused: Set<[UInt8]> = []
            for (name, text) in prepared.texts where text.withUnsafeBytes({ decideQuietly($0).0.action }) != .allow {
                refused.insert(name)
            }
            prepared.decided(generation: generation, refused: refused)
        }
        return !prepared.refused.isEmpty
    }

    /// The refusal for a Bind of `statementName`, or nil when it may run.
    mutating func refusedBind(statementName: UnsafeRawBufferPointer?) -> Decision? {
        guard recheckPrepared() else { return nil }
        guard let statementName else { return Decision(action: .deny, reason: .rule) }
        guard prepared.isRefused(name: statementName), let text = prepared.texts[Array(statementName)] else { return nil }
        return text.withUnsafeBytes { decide($0).0 }
    }

    /// Classifies `text` and decides it against the session's current policy, recording the
    /// statement in the audit trail.
    mutating func decide(_ text: UnsafeRawBufferPointer) -> (Decision, StatementClass) {
        let (decision, classes) = decideQuietly(text)
        audit(decision, classes: classes, text: text)
        return (decision, classes)
    }

    /// Classifies and decides `text` into the session's own buffers (nothing allocated).
    mutating func decideQuietly(_ text: UnsafeRawBufferPointer) -> (Decision, StatementClass) {
        summary.reset()
        classifier.classify(text: text, into: &summary)
        let classes = summary.policyClasses(in: text)
        relations.removeAll(keepingCapacity: true)
        for reference in summary.relations { relations.append(reference) }
        let decision = relations.withUnsafeBufferPointer { references in
            policy!.evaluate(classes: classes, relations: references, in: text, statementLength: text.count)
        }
        refreshMasks()
        return (decision, classes)
    }

    /// Queues the statement's audit event; its result ends at the next marker's ReadyForQuery
    /// (see ``StatementAuditQueue``).
    mutating func audit(_ decision: Decision, classes: StatementClass, text: UnsafeRawBufferPointer?) {
        guard let auditContext, let policy else { return }
        resource.counters?.statementDecided(decision.action)
        var names: [String] = []
        if let text {
            for reference in relations { names.append(reference.displayName(in: text)) }
        }
        // The names of the last class set, kept: a session mostly repeats its statements' classes.
        if classNames.classes != classes || classNames.names.isEmpty {
            classNames = (classes, classes.names)
        }
        let event = AuditEvent.statement(
            auditContext, policyVersion: policy.policyVersion, classes: classes, relations: names,
            action: decision.action.description, reason: decision.reason.description,
            rule: policy.snapshot.ruleID(of: decision), classNames: classNames.names)
        statementAudits.decided(event, mark: markersSent &+ 1)
    }

    /// Sends the server a stand-in it must reject in place of the refused statement; its
    /// error is replaced by the policy's (see ``PostgresRefusal``).
    mutating func refuse(
        _ decision: Decision, classes: StatementClass, extended: Bool, message: String? = nil, io: inout SessionIO<GatewaySessionEvent>
    ) {
        guard refusals.count < Self.maxPendingRefusals else {
            fail(.fatal, "54000", "too many refused statements pipelined", io: &io)
            return
        }
        var writer = WireWriter(scratch)
        let mark: UInt64
        if extended {
            PostgresRefusal.parse(into: &writer)
            skippingToSync = true
            mark = markersSent &+ 1
        } else {
            PostgresRefusal.query(into: &writer)
            markersSent &+= 1
            mark = markersSent
        }
        guard responses.push(extended ? .parse : .query) else {
            fail(.fatal, "54000", "too many requests pipelined without reading their results", io: &io)
            return
        }
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .upstream)
        refusals.append(PendingRefusal(mark: mark, decision: decision, classes: classes, message: message))
    }

    func ruleName(_ decision: Decision, session: PolicySession) -> String {
        switch decision.reason {
        case .rule: "rule \(session.snapshot.ruleID(of: decision) ?? "?")"
        default: "\(decision.reason)"
        }
    }

    mutating func sendRefusal(_ decision: Decision, classes: StatementClass, io: inout SessionIO<GatewaySessionEvent>) {
        guard let policy else { return }
        let decided = decision.statementClass.isEmpty ? classes : decision.statementClass
        let classNames = decided.names.joined(separator: ",")
        let message: String
        if decision.action == .review {
            message = "approval required: statement class \(classNames) needs review (\(ruleName(decision, session: policy)), policy \(policy.policyVersion))"
        } else {
            message = "permission denied by gateway policy: statement class \(classNames) (\(ruleName(decision, session: policy)), policy \(policy.policyVersion))"
        }
        sendError(.error, "42501", message, io: &io)
    }

    /// Sends the client an ErrorResponse of the gateway's own, and records it.
    mutating func sendError(_ severity: PostgresSeverity, _ state: StaticString, _ message: String, io: inout SessionIO<GatewaySessionEvent>) {
        var text = message
        let count = text.withUTF8 { bytes -> Int in
            var writer = WireWriter(scratch)
            PostgresBackendEncoder.errorResponse(&writer, PostgresErrorFields(
                severity: severity, sqlState: state, message: UnsafeRawBufferPointer(bytes),
                detail: UnsafeRawBufferPointer(start: nil, count: 0), hint: UnsafeRawBufferPointer(start: nil, count: 0)))
            return writer.overflowed ? 0 : writer.count
        }
        guard count > 0 else { return }
        let message = UnsafeRawBufferPointer(rebasing: scratch[0..<count])
        io.write(message, to: .client)
        if recorder.recordError(message, at: io.now), severity != .fatal { recordingBackpressure(io: &io) }
    }

    /// Sends a FATAL (or ERROR) and closes once the client has it.
    mutating func fail(_ severity: PostgresSeverity, _ state: StaticString, _ message: String, io: inout SessionIO<GatewaySessionEvent>) {
        guard phase != .failed else { return }
        phase = .failed
        sendError(severity, state, message, io: &io)
        io.close(.sessionTerminated, flush: true)
    }
}
