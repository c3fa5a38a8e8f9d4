#if canImport(Glibc)
import Glibc
#endif

/// Raw `CLOCK_MONOTONIC` readings in nanoseconds: one `clock_gettime` call, no allocation.
enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot), never going backwards.
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Converts seconds given on the command line into nanoseconds, clamped to [0, 1 day].
    static func nanoseconds(seconds: Double) -> UInt64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return UInt64(min(seconds, 86_400) * 1e9)
    }
}
