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
        recorder.start(writer: writer, header: header, reply: io.replyAddress(), now: io.now)
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
