/// How the server picks its I/O backend.
public enum IOBackendSelection: String, Sendable, CaseIterable, CustomStringConvertible {
    /// io_uring when a probe ring can be set up, epoll otherwise.
    case auto
    /// io_uring or fail.
    case ioUring = "io_uring"
    /// epoll.
    case epoll

    public var description: String { rawValue }
}
