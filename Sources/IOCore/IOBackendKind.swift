/// Which kernel interface drives the event loops.
public enum IOBackendKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// io_uring: multishot accept/recv into provided buffers, batched submission.
    case ioUring = "io_uring"
    /// epoll readiness with non-blocking reads and writes; the fallback where io_uring is
    /// disabled (kernel.io_uring_disabled, seccomp) or unsupported.
    case epoll

    public var description: String { rawValue }
}
