import Glibc

/// The process's open-descriptor limit (RLIMIT_NOFILE).
///
/// A gateway holds two sockets per connection, and each io_uring loop sizes its registered
/// file table by the soft limit; distributions start processes at a soft limit of 1024 with a
/// much higher hard limit. Long-running commands raise the soft limit to the hard one at
/// start, as haproxy and nginx do, so capacity is set by the operator's hard limit.
enum DescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit in force afterwards.
    @discardableResult
    static func raiseSoftLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
