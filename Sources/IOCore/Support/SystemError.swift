import CLibURing
import Glibc

/// A failed system call: the operation and its errno.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was attempted, e.g. "bind 127.0.0.1:5432".
    public var operation: String
    /// The errno value (positive).
    public var errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// Captures the calling thread's current errno.
    static func last(_ operation: String) -> SystemError {
        SystemError(operation, errno: rg_errno())
    }

    public var description: String { "\(operation): \(Self.name(of: errno))" }

    /// The symbolic name and message of an errno value, e.g. "ECONNREFUSED (Connection refused)".
    public static func name(of errno: Int32) -> String {
        let symbol: String? = switch errno {
        case ECONNREFUSED: "ECONNREFUSED"
        case ECONNRESET: "ECONNRESET"
        case ETIMEDOUT: "ETIMEDOUT"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case ENETUNREACH: "ENETUNREACH"
        case EMFILE: "EMFILE"
        case ENFILE: "ENFILE"
        case EPERM: "EPERM"
        case ENOSYS: "ENOSYS"
        case EPIPE: "EPIPE"
        case EADDRINUSE: "EADDRINUSE"
        case ECANCELED: "ECANCELED"
        case EINVAL: "EINVAL"
        default: nil
        }
        let message = String(cString: strerror(errno))
        return symbol.map { "\($0) (\(message))" } ?? "errno \(errno) (\(message))"
    }
}
