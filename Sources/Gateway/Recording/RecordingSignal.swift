import Glibc

/// Why a recording could not be written.
public struct RecordingFailure: Sendable, Hashable, CustomStringConvertible {
    /// The errno of the failed call; 0 when the file reached `max_file_size`.
    public var errno: Int32
    public var description: String

    public static func error(_ code: Int32, _ operation: String) -> RecordingFailure {
        RecordingFailure(errno: code, description: "\(operation): \(String(cString: strerror(code)))")
    }

    public static func sizeCap(_ bytes: Int) -> RecordingFailure {
        RecordingFailure(errno: 0, description: "recording reached max_file_size (\(bytes) bytes)")
    }
}

/// What the recording writer tells a session, posted as ``GatewaySessionEvent/recording(_:)``.
public enum RecordingSignal: Sendable, Hashable {
    /// Writing fails and the writer retries (`on_failure: pause`): stop reading both sides.
    case stalled(RecordingFailure)
    /// Records are written again and buffers are free: resume reading.
    case drained
    /// Writing failed (`on_failure: close`): close the session. Its later records are
    /// counted as not written, and the count is audited when the recording ends.
    case failed(RecordingFailure)
}
