import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Appends one JSON object per line to a file (opened with O_APPEND, so lines from several
/// writers never interleave mid-line).
public final class JSONLinesAuditSink: AuditSink {
    public let path: String
    private let descriptor: Mutex<Int32>
    private let failures = Atomic<Int>(0)

    public struct OpenError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String { "cannot open audit log \(path): \(String(cString: strerror(errno)))" }
    }

    public init(path: String) throws(OpenError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw OpenError(path: path, errno: errno) }
        self.path = path
        self.descriptor = Mutex(fd)
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
        }
    }

    /// Events that could not be written (encoding or I/O failure).
    public var failedWrites: Int { failures.load(ordering: .relaxed) }

    public func record(_ event: AuditEvent) {
        record(contentsOf: [event])
    }

    /// Writes the events' lines with one write (a batch from ``BackgroundAuditSink``).
    public func record(contentsOf events: [AuditEvent]) {
        var line: [UInt8] = []
        line.reserveCapacity(512 * events.count)
        for event in events { event.appendJSONLine(to: &line) }
        let ok = descriptor.withLock { fd in
            line.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    guard let base = raw.baseAddress else { return false }
                    let written = write(fd, base + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += written
                }
                return true
            }
        }
        if !ok { failures.add(1, ordering: .relaxed) }
    }
}
