import Codecs

/// The records a session writes. Each returns true when the session must act (see
/// ``SessionRecorder``); each is a no-op returning false when the session is not recorded.
extension SessionRecorder {
    /// The client's startup parameters, after login (once per session).
    mutating func recordStartup(_ parameters: [(String, String)], at now: UInt64) -> Bool {
        guard isRecording else { return false }
        let length = parameters.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 }
        begin(.startup, .fromClient, payloadLength: length, at: now)
        for (name, value) in parameters {
            put(name)
            put(byte: 0)
            put(value)
            put(byte: 0)
        }
        return takeAttention()
    }

    /// A statement the policy decides, as the client sent it: `type` is the message type
    /// (`Q` Query, `P` Parse, `B` Bind, `F` FunctionCall), `name` the prepared statement's name
    /// (empty for Query), `text` the SQL (empty for a FunctionCall or Bind). With a statement
    /// scanner, the text is masked first.
    mutating func recordStatement(type: UInt8, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        guard isRecording else { return false }
        let masked = maskedStatement(text)
        begin(.statement, .fromClient, payloadLength: 2 + name.count + masked.count, at: now)
        put(byte: type)
        put(name)
        put(byte: 0)
        put(masked)
        return takeAttention()
    }

    /// The decision on the statement recorded before it (``RecordedDecision``).
    mutating func recordDecision(
        _ decision: Decision, classes: StatementClass, rule: String?, policyVersion: String, at now: UInt64
    ) -> Bool {
        guard isRecording else { return false }
        let ruleLength = rule?.utf8.count ?? 0
        begin(.decision, .gateway, payloadLength: RecordedDecision.fixedSize + ruleLength + policyVersion.utf8.count + 2, at: now)
        put(byte: decision.action.rawValue)
        put(byte: decision.reason.rawValue)
        putUInt32(classes.rawValue)
        putUInt32(decision.statementClass.rawValue)
        if let rule { put(rule) }
        put(byte: 0)
        put(policyVersion)
        put(byte: 0)
        return takeAttention()
    }

    // MARK: Backend messages, whole: type byte, length, body, as the client received them

    /// A RowDescription the client received.
    mutating func recordRowDescription(_ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        recordMessage(.rowDescription, message, at: now)
    }

    /// A DataRow the client received, after masking.
    mutating func recordDataRow(_ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        recordMessage(.dataRow, message, at: now)
    }

    /// A CommandComplete the client received.
    mutating func recordCommandComplete(_ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        recordMessage(.commandComplete, message, at: now)
    }

    /// An ErrorResponse the client received (the server's, or the gateway's own).
    mutating func recordError(_ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        recordMessage(.error, message, at: now)
    }

    /// A NoticeResponse the client received.
    mutating func recordNotice(_ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        recordMessage(.notice, message, at: now)
    }

    /// A ReadyForQuery the client received; hands the records so far to the writer.
    mutating func recordReadyForQuery(_ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        guard isRecording else { return false }
        _ = recordMessage(.readyForQuery, message, at: now)
        return flush()
    }

    /// A whole backend message of `kind`.
    mutating func recordMessage(_ kind: RecordKind, _ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        guard isRecording else { return false }
        begin(kind, .toClient, payloadLength: message.count, at: now)
        put(message)
        return takeAttention()
    }

    private mutating func putUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { put($0) }
    }
}
