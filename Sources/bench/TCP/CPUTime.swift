#if canImport(Glibc)
import Glibc
#endif

/// CPU time a process has consumed, all its threads together (user + system), from
/// `/proc/PID/stat` fields 14 and 15 (`utime`, `stime`, in clock ticks).
struct CPUTime: Sendable, Equatable {
    var userTicks: UInt64
    var systemTicks: UInt64

    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    static let ticksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    /// User plus system time in seconds.
    var seconds: Double { Double(userTicks + systemTicks) / Self.ticksPerSecond }

    /// The CPU time used between `earlier` and `self`, in seconds.
    func seconds(since earlier: CPUTime) -> Double {
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
        guard let stat = parse(stat: bytes[0..<count]) else {
            throw BenchError("\(path): unexpected format")
        }
        return stat
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
