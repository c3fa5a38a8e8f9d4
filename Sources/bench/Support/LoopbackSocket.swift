#if canImport(Glibc)
import Glibc
#endif

/// IPv4 loopback sockets for the benchmark: listeners on free ports, connected clients with
/// `TCP_NODELAY`, and the small `fcntl`/`setsockopt` chores around them.
enum LoopbackSocket {
    /// `127.0.0.1:port` as a `sockaddr_in`.
    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A listening socket on `127.0.0.1:port` (0 picks a free port); returns the fd and the bound port.
    static func listen(port: UInt16 = 0, backlog: Int32 = 1024) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let error = SystemError("bind 127.0.0.1:\(port)")
            close(fd)
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SystemError("listen")
            close(fd)
            throw error
        }
        do {
            return (fd, try boundPort(of: fd))
        } catch {
            close(fd)
            throw error
        }
    }

    /// A loopback port that was free a moment ago (bind to port 0, read it back, close).
    /// Another process may take it before the proxy binds it; the proxy start then fails clearly.
    static func freePort() throws -> UInt16 {
        let (fd, port) = try listen(port: 0, backlog: 1)
        close(fd)
        return port
    }

    /// The local port a socket is bound to.
    static func boundPort(of fd: Int32) throws -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SystemError("getsockname") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A blocking connect to `127.0.0.1:port` with `TCP_NODELAY` set; the caller owns the fd.
    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var address = Self.address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = SystemError("connect 127.0.0.1:\(port)")
            close(fd)
            throw error
        }
        setNoDelay(fd)
        return fd
    }

    /// Disables Nagle's algorithm: every 64-byte message leaves at once.
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Puts the fd in non-blocking mode.
    static func setNonBlocking(_ fd: Int32) throws {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw SystemError("fcntl(O_NONBLOCK)")
        }
    }

    /// Closes the fd (errors on close are of no use to a benchmark).
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
