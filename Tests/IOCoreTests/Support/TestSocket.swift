import Glibc
@testable import IOCore

/// Errors raised by test socket helpers.
struct TestSocketError: Error, CustomStringConvertible {
    var operation: String
    var errno: Int32
    var description: String { "\(operation): \(SystemError.name(of: errno))" }
}

/// A blocking TCP client socket for tests, with a receive/send timeout so a broken proxy
/// fails a test instead of hanging it.
final class TestSocket: @unchecked Sendable {
    private(set) var fd: Int32

    init(fd: Int32) { self.fd = fd }

    /// Connects to `address` with `timeoutSeconds` for every later read and write.
    static func connect(to address: SocketAddress, timeoutSeconds: Int = 10) throws -> TestSocket {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSocketError(operation: "socket", errno: errno) }
        let socket = TestSocket(fd: fd)
        socket.setTimeout(seconds: timeoutSeconds)
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 {
            let error = errno == EINTR ? socket.finishInterruptedConnect(timeoutSeconds: timeoutSeconds) : errno
            guard error == 0 else { throw TestSocketError(operation: "connect \(address)", errno: error) }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return socket
    }

    deinit { close() }

    /// A signal (the tests' own SIGHUP reloads) interrupts a blocking `connect` that has a send
    /// timeout: SA_RESTART does not restart it, but the handshake goes on in the kernel. Waits
    /// for it to finish and returns its outcome (0 or an errno).
    private func finishInterruptedConnect(timeoutSeconds: Int) -> Int32 {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let ready = poll(&pollfd, 1, Int32(timeoutSeconds * 1000))
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return errno }
            if ready == 0 { return ETIMEDOUT }
            break
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func setTimeout(seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func setReceiveBuffer(_ bytes: Int32) {
        var value = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    func sendAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw TestSocketError(operation: "send", errno: errno)
            }
            offset += n
        }
    }

    func sendAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sendAll($0) }
    }

    func send(_ text: String) throws {
        try sendAll(Array(text.utf8))
    }

    /// Reads one chunk; 0 means EOF. Throws on error (ECONNRESET, timeout EAGAIN).
    func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw TestSocketError(operation: "recv", errno: errno)
        }
    }

    /// Reads exactly `count` bytes (or throws / returns fewer at EOF).
    func read(exactly count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var offset = 0
        try result.withUnsafeMutableBytes { raw in
            while offset < count {
                let n = try readSome(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]))
                if n == 0 { break }
                offset += n
            }
        }
        return Array(result[..<offset])
    }

    /// Reads until EOF.
    func readToEnd() throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try readSome(into: $0) }
            if n == 0 { return result }
            result.append(contentsOf: chunk[..<n])
        }
    }

    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Closes with RST (SO_LINGER 0).
    func reset() {
        var value = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
        close()
    }
}

/// Runs `body` on a new thread; `join()` waits and rethrows its error.
final class TestThread: @unchecked Sendable {
    private var thread = pthread_t()
    private var error: (any Error)?
    private let body: () throws -> Void

    init(_ body: @escaping () throws -> Void) {
        self.body = body
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let me = Unmanaged<TestThread>.fromOpaque(raw!).takeRetainedValue()
            do { try me.body() } catch { me.error = error }
            return nil
        }, box)
    }

    /// Sends `signal` to this thread only.
    func send(signal: Int32) { pthread_kill(thread, signal) }

    func join() throws {
        pthread_join(thread, nil)
        if let error { throw error }
    }
}

/// A free loopback port with nothing listening on it (for "upstream refused").
func unusedLoopbackAddress() throws -> SocketAddress {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { Glibc.close(fd) }
    let any = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
    _ = any.withSockAddr { bind(fd, $0, $1) }
    guard let bound = Socket.localAddress(fd) else { throw TestSocketError(operation: "getsockname", errno: errno) }
    return bound
}

/// Raises the soft RLIMIT_NOFILE to at least `count` (up to the hard limit).
func raiseFileLimit(to count: rlim_t) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < count {
        limit.rlim_cur = min(count, limit.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Resident set size of this process in bytes (from /proc/self/statm).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var size = 0, resident = 0
    withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            _ = withVaList([s, r]) { vfscanf(file, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}
