import Codecs
import Foundation
import IOCore

/// A statement waiting for approval: nothing of it reached the server.
struct HeldStatement {
    var requestID: String
    /// The whole client message (Query or Parse), sent unchanged on approval.
    var message: [UInt8]
    var extended: Bool
    var decision: Decision
    var classes: StatementClass
    /// A named Parse: its name and text, kept as prepared once it runs.
    var preparedName: [UInt8]?
    var preparedText: [UInt8]
    /// The loop's clock when it was held.
    var heldAt: UInt64
}

extension PostgresSession {
    // MARK: Just-in-time approval

    /// Holds a statement policy sent to review: once the request is in the store the client
    /// hears a notice with its id; its later messages wait behind it (kept, up to
    /// ``maxDeferredBytes``; reading goes on, so a client that leaves is noticed), and the
    /// connection stays healthy. Returns false when no approval can be asked for (no broker,
    /// or a missing justification); the caller refuses the statement then.
    mutating func holdForApproval(
        _ type: UInt8, body: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, preparedName: UnsafeRawBufferPointer?,
        decision: Decision, classes: StatementClass, io: inout SessionIO<GatewaySessionEvent>
    ) -> Bool {
        guard let broker = shared.approvals, let policy, let auditContext, let reply = io.replyAddress() else { return false }
        let statement = String(decoding: text, as: UTF8.self)
        let rule = policy.snapshot.ruleID(of: decision)
        let settings = ApprovalSettings.resolve(rule: rule, resource: resource.name, in: policy.snapshot.configuration)
        let applicationName = upstreamParameters.first { $0.0 == "application_name" }?.1
        let justification = ApprovalJustification.find(in: statement, applicationName: applicationName)
        if settings.requireJustification && justification == nil {
            refuse(decision, classes: classes, extended: type == PostgresMessageType.Frontend.parse,
                   message: "approval requires a justification: add /* reason: ... */ to the statement, or set application_name",
                   io: &io)
            return true
        }
        var names: [String] = []
        for reference in relations { names.append(reference.displayName(in: text)) }
        let submission = ApprovalSubmission(
            sessionID: auditContext.sessionID, identity: auditContext.identity, groups: auditContext.groups,
            resource: resource.name, database: database, statement: statement, classes: classes.names, relations: names,
            justification: justification, rule: rule, settings: settings)
        let approvers = settings.approverGroups.isEmpty ? "an approver" : settings.approverGroups.joined(separator: ", ")
        let needed = settings.minApprovals == 1 ? "1 approval" : "\(settings.minApprovals) approvals from distinct approvers"
        let timeout = DurationParser.text(milliseconds: settings.timeoutMilliseconds)
        let id = broker.submit(submission, reply: reply) { id in
            "statement held for approval as request \(id): it needs \(needed) (\(approvers)) within \(timeout); "
                + "an approver runs: ringgate approve \(id)"
        }
        var message = [type]
        message.append(contentsOf: withUnsafeBytes(of: Int32(4 + body.count).bigEndian) { Array($0) })
        message.append(contentsOf: body)
        held = HeldStatement(
            requestID: id, message: message, extended: type == PostgresMessageType.Frontend.parse, decision: decision,
            classes: classes, preparedName: preparedName.flatMap { $0.isEmpty ? nil : Array($0) }, preparedText: Array(text),
            heldAt: io.now)
        return true
    }

    /// The request of the held statement ended: approved, its bytes go to the server as they
    /// came; otherwise the client gets an ErrorResponse in its place. Then the messages that
    /// waited behind it are handled, and reading resumes.
    mutating func approvalDecided(_ requestID: String, _ outcome: ApprovalOutcome, io: inout SessionIO<GatewaySessionEvent>) {
        guard phase == .ready, let statement = held, statement.requestID == requestID else { return }
        held = nil
        resource.counters?.approvalEnded(after: io.now > statement.heldAt ? io.now - statement.heldAt : 0)
        if case .approved = outcome {
            let request: ResponseTracker.Request = statement.extended ? .parse : .query
            guard responses.push(request) else {
                fail(.fatal, "54000", "too many requests pipelined without reading their results", io: &io)
                return
            }
            statement.message.withUnsafeBytes { _ = io.write($0, to: .upstream) }
            if !statement.extended { markersSent &+= 1 }
            if let name = statement.preparedName {
                name.withUnsafeBytes { name in statement.preparedText.withUnsafeBytes { prepared.store(name: name, text: $0) } }
            }
        } else {
            refuse(statement.decision, classes: statement.classes, extended: statement.extended,
                   message: outcome.refusal(requestID: requestID), io: &io)
        }
        shared.log.notice("approval request ended", metadata: [
            "request": "\(requestID)", "outcome": "\(outcome)", "session": "\(auditContext?.sessionID ?? 0)",
        ])
        replayDeferred(io: &io)
    }

    /// Handles the client bytes that waited behind a held statement (they may hold another),
    /// then reads again.
    mutating func replayDeferred(io: inout SessionIO<GatewaySessionEvent>) {
        while held == nil, !deferredInput.isEmpty, phase == .ready {
            let bytes = deferredInput
            deferredInput = []
            bytes.withUnsafeBytes { buffer in
                replaying = buffer
                receivedFromClient(buffer, io: &io)
                replaying = nil
            }
        }
    }

    /// Sends the client a NoticeResponse of the gateway's own.
    mutating func sendNotice(_ message: String, io: inout SessionIO<GatewaySessionEvent>) {
        var text = message
        let count = text.withUTF8 { bytes -> Int in
            var writer = WireWriter(scratch)
            PostgresBackendEncoder.noticeResponse(&writer, PostgresErrorFields(
                severity: .notice, sqlState: "00000", message: UnsafeRawBufferPointer(bytes)))
            return writer.overflowed ? 0 : writer.count
        }
        guard count > 0 else { return }
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<count]), to: .client)
    }
}
