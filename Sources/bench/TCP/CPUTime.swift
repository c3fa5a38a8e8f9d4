#if canImport(Glibc)
import Glibc
#endif

/// CPU time a process has consumed, all its threads together: user + system from
/// `/proc/PID/stat` fields 14 and 15 (`utime`, `stime`, in clock ticks of 10 ms), and, where the
/// kernel exposes it, the nanosecond run time summed over `/proc/PID/task/*/schedstat`.
///
/// Differences use the nanosecond sum when both readings have it (a 0.5 s `--quick` stretch is
/// only ~50 ticks, too coarse for µs per round trip), and the ticks otherwise.
struct CPUTime: Sendable, Equatable {
    var userTicks: UInt64
    var systemTicks: UInt64
    /// Sum of the first `schedstat` field (time on CPU, ns) over the live threads.
    var scheduledNanoseconds: UInt64?

    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    static let ticksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    /// User plus system time in seconds.
    var seconds: Double { Double(userTicks + systemTicks) / Self.ticksPerSecond }

    /// The CPU time used between `earlier` and `self`, in seconds (nanosecond run time when both
    /// readings have it, else clock ticks).
    func seconds(since earlier: CPUTime) -> Double {
        if let now = scheduledNanoseconds, let then = earlier.scheduledNanoseconds, now >= then {
            return Double(now - then) / 1e9
        }
        return tickSeconds(since: earlier)
    }

    /// The CPU time used between `earlier` and `self` from `utime + stime` alone, in seconds.
    func tickSeconds(since earlier: CPUTime) -> Double {
        let now = userTicks + systemTicks
        let then = earlier.userTicks + earlier.systemTicks
        return now >= then ? Double(now - then) / Self.ticksPerSecond : 0
    }

    /// Reads `/proc/PID/stat` of a live process.
    static func read(pid: pid_t) throws -> CPUTime {
        let path = "/proc/\(pid)/stat"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open \(path)") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { throw SystemError("read \(path)") }
        guard var stat = parse(stat: bytes[0..<count]) else {
            throw BenchError("\(path): unexpected format")
        }
        stat.scheduledNanoseconds = scheduledNanoseconds(pid: pid)
        return stat
    }

    /// Time on CPU in ns summed over the threads in `/proc/PID/task`, or nil when unreadable.
    static func scheduledNanoseconds(pid: pid_t) -> UInt64? {
        guard let directory = opendir("/proc/\(pid)/task") else { return nil }
        defer { closedir(directory) }
        var total: UInt64 = 0
        var threads = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let first = name.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { continue }
            let fd = open("/proc/\(pid)/task/\(name)/schedstat", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }  // the thread just exited
            var bytes = [UInt8](repeating: 0, count: 128)
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard count > 0,
                  let field = bytes[0..<count].split(separator: UInt8(ascii: " ")).first,
                  let nanoseconds = UInt64(decimal: field)
            else { return nil }
            total &+= nanoseconds
            threads += 1
        }
        return threads > 0 ? total : nil
    }

    /// Parses the text of a `/proc/PID/stat` file. The command name (field 2) sits in parentheses
    /// and may itself contain spaces or ')', so fields are counted after the last ')'.
    static func parse<Bytes: BidirectionalCollection<UInt8>>(stat: Bytes) -> CPUTime? {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        guard fields.count > 12,
              let user = UInt64(decimal: fields[11]),
              let system = UInt64(decimal: fields[12])
        else { return nil }
        return CPUTime(userTicks: user, systemTicks: system)
    }
}

extension UInt64 {
    /// Parses ASCII decimal digits; nil on anything else or on overflow.
    init?<Digits: Collection<UInt8>>(decimal digits: Digits) {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        self = value
    }
}
