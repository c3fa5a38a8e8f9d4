/// What the gateway does with a session whose recording cannot be written (disk full, I/O
/// error, size cap reached). Either way no record is dropped silently.
public enum RecordingFailureMode: String, Sendable, Hashable, CaseIterable {
    /// Stop reading both sides of the session while the writer retries (bounded back-off);
    /// the session resumes once the records are written.
    case pause
    /// Close the session with a FATAL error; the audit log counts the records not written.
    case close
}

/// Session recording (`gateway.recording`): one append-only file per PostgreSQL session.
public struct RecordingSettings: Sendable, Hashable {
    /// Directory of the recording files (created 0700 if missing; must not be group/other accessible).
    public var directory: String
    public var onFailure: RecordingFailureMode
    /// Bytes per recording buffer.
    public var bufferSize: Int
    /// Buffers per session: the bounded queue between the session and the writer thread.
    public var queueBuffers: Int
    /// Largest recording file; reaching it counts as a write failure. `nil`: no cap.
    public var maxFileSize: Int?

    public static let bufferSizeRange = 4096...(16 << 20)
    public static let queueBuffersRange = 2...1024

    public init(directory: String, onFailure: RecordingFailureMode = .close, bufferSize: Int = 64 << 10,
                queueBuffers: Int = 4, maxFileSize: Int? = nil) {
        self.directory = directory
        self.onFailure = onFailure
        self.bufferSize = bufferSize
        self.queueBuffers = queueBuffers
        self.maxFileSize = maxFileSize
    }
}
