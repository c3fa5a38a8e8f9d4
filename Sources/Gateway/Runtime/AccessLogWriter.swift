import Glibc
import IOCore
import Logging
import Synchronization

/// Writes one line per closed connection to `gateway.access_log` (or, without one, logs it),
/// and data-plane notices (backend choice, upstream failures, accept pauses) to the logger.
/// Called on the server's logging thread, never on an event loop.
final class AccessLogWriter: AccessLog {
    private let descriptor: Mutex<Int32>
    private let logger: Logger

    /// Opens `path` for appending; `nil` sends access records to the logger instead.
    init(path: String?, logger: Logger) throws(GatewayRuntimeError) {
        self.logger = logger
        guard let path else {
            descriptor = Mutex(-1)
            return
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .logFile(path, errno: errno) }
        descriptor = Mutex(fd)
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
        }
    }

    func record(_ record: AccessLogRecord) {
        let line = "access \(record)\n"
        let written = descriptor.withLock { fd -> Bool in
            guard fd >= 0 else { return false }
            var bytes = Array(line.utf8)
            return bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        }
        if !written { logger.info("\(line.dropLast())") }
    }

    func notice(_ message: String) {
        logger.notice("\(message)")
    }
}
