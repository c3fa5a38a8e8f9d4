import Codecs
import Foundation
import IOCore

/// Session recording (``SessionRecorder``): started after login when the resource is recorded;
/// every `record…` call that returns true is followed by ``recordingBackpressure(io:)``.
extension PostgresSession {
    /// Opens this session's recording and records its startup parameters (after login).
    mutating func startRecording(io: inout SessionIO<GatewaySessionEvent>) {
        guard resource.recorded, let writer = shared.recordings, let auditContext, let policy else { return }
        let header = RecordingHeader(
            sessionID: auditContext.sessionID, startMicroseconds: Int64(Date().timeIntervalSince1970 * 1_000_000),
            identity: auditContext.identity, groups: auditContext.groups, resource: resource.name, database: database,
            clientAddress: auditContext.clientAddress, upstreamUser: resource.upstreamUser, policyVersion: policy.policyVersion)
        recorder.start(writer: writer, header: header, reply: io.replyAddress(), now: io.now, statementScanner: masks?.scanner)
        let parameters = [("user", startupUser), ("database", database)] + upstreamParameters
        if recorder.recordStartup(parameters, at: io.now) { recordingBackpressure(io: &io) }
    }

    /// Records a decided statement and its decision.
    mutating func recordStatement(
        _ type: UInt8, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, decision: Decision,
        classes: StatementClass, io: inout SessionIO<GatewaySessionEvent>
    ) {
        guard recorder.isRecording, let policy else { return }
        let statement = recorder.recordStatement(type: type, name: name, text: text, at: io.now)
        let decided = recorder.recordDecision(
            decision, classes: classes, rule: policy.snapshot.ruleID(of: decision), policyVersion: policy.policyVersion,
            at: io.now)
        if statement || decided { recordingBackpressure(io: &io) }
    }

    // MARK: Hooks for the results loop

    /// A message the client receives, whole and as sent (after masking: `message[0..<count]`
    /// of a `.send(count)`). Records it (a ReadyForQuery hands the records to the writer),
    /// counts DataRows for the statement's audit event, and at ReadyForQuery (after
    /// ``readyForQuery(status:)`` counted it) records the statement events its batch ends.
    /// Not for what ``sendError(_:_:_:io:)`` sends: that records itself.
    mutating func sentToClient(_ message: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        guard !message.isEmpty else { return }
        let type = message[0]
        if type == PostgresMessageType.Backend.dataRow {
            statementAudits.resultRow(bytes: message.count)
        } else if type == PostgresMessageType.Backend.readyForQuery {
            statementAudits.batchEnded(readySeen: readySeen, sink: shared.audit)
        }
        guard recorder.isRecording, let kind = RecordKind(backendMessageType: type) else { return }
        let act = kind == .readyForQuery
            ? recorder.recordReadyForQuery(message, at: io.now) : recorder.recordMessage(kind, message, at: io.now)
        if act { recordingBackpressure(io: &io) }
    }

    /// A part of a message that streams to the client unreassembled: call it for every part
    /// of a message that is sent (none of a dropped one), in order.
    mutating func sentPartToClient(_ part: PostgresFramePart, in buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        if part.isLast, part.kind?.typeByte == PostgresMessageType.Backend.dataRow {
            statementAudits.resultRow(bytes: part.messageLength ?? 0)
        }
        guard recorder.isRecording else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[part.offset..<(part.offset + part.count)])
        if recorder.recordMessagePart(bytes, at: io.now) { recordingBackpressure(io: &io) }
    }

    /// Acts on a `record…` call that returned true: pauses reading both sides until the
    /// writer drains, or closes the session when the recording failed (`on_failure: close`).
    mutating func recordingBackpressure(io: inout SessionIO<GatewaySessionEvent>) {
        switch recorder.backpressure() {
        case .none:
            break
        case .pause:
            io.pauseReading(.client)
            io.pauseReading(.upstream)
        case .close(let failure):
            recordingFailed(failure, io: &io)
        }
    }

    /// What the recording writer posted.
    mutating func recordingSignal(_ signal: RecordingSignal, io: inout SessionIO<GatewaySessionEvent>) {
        switch signal {
        case .stalled:
            if recorder.stalled() {
                io.pauseReading(.client)
                io.pauseReading(.upstream)
            }
        case .drained:
            if recorder.drained() {
                io.resumeReading(.client)
                io.resumeReading(.upstream)
            }
        case .failed(let failure):
            recordingFailed(failure, io: &io)
        }
    }

    /// A zero-length buffer (an empty statement name or text).
    static var noBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// Closes the session: its recording cannot be written (the writer audits what was lost).
    mutating func recordingFailed(_ failure: RecordingFailure, io: inout SessionIO<GatewaySessionEvent>) {
        fail(.fatal, "58030", "session recording failed (\(failure)); the session is closed", io: &io)
    }
}
