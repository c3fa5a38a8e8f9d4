import Glibc
import Synchronization
@testable import IOCore

/// A loopback upstream for tests: accepts on a background thread and runs `handler` for
/// each connection on its own thread. Handler errors are collected for assertions.
final class TestServer: @unchecked Sendable {
    let address: SocketAddress
    private let listenFD: Int32
    private let handler: @Sendable (TestSocket) throws -> Void
    private var acceptThread: TestThread?
    private let handlers = Mutex<[TestThread]>([])
    let accepted = Atomic<Int>(0)

    init(handler: @escaping @Sendable (TestSocket) throws -> Void) throws {
        let any = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        listenFD = try Socket.makeListener(any, backlog: 4096)
        // The listener is non-blocking; accept in a poll loop so stop() can end it.
        guard let bound = Socket.localAddress(listenFD) else { throw TestSocketError(operation: "getsockname", errno: errno) }
        address = bound
        self.handler = handler
        acceptThread = TestThread { [unowned self] in self.acceptLoop() }
    }

    private let stopping = Atomic<Bool>(false)

    private func acceptLoop() {
        while !stopping.load(ordering: .relaxed) {
            var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { continue }
            // accepted sockets inherit O_NONBLOCK from the listener: make them blocking.
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
            accepted.add(1, ordering: .relaxed)
            let socket = TestSocket(fd: fd)
            socket.setTimeout(seconds: 20)
            let handler = self.handler
            let thread = TestThread { try handler(socket) }
            handlers.withLock { $0.append(thread) }
        }
    }

    /// Stops accepting and waits for all handlers; rethrows the first handler error.
    func stop() throws {
        stopping.store(true, ordering: .relaxed)
        try acceptThread?.join()
        acceptThread = nil
        Glibc.close(listenFD)
        let threads = handlers.withLock { $0 }
        var firstError: (any Error)?
        for thread in threads {
            do { try thread.join() } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
    }

    /// An echo server: writes back whatever it reads until EOF, then closes.
    static func echo() throws -> TestServer {
        try TestServer { socket in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try socket.readSome(into: $0) }
                if n == 0 { break }
                try buffer.withUnsafeBytes { try socket.sendAll(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            }
            socket.shutdownWrite()
        }
    }
}

/// Collects access records and notices delivered by the server. ``hold()`` makes it a stalled
/// sink: `record` blocks the logging thread until ``release()``.
final class RecordingAccessLog: AccessLog, @unchecked Sendable {
    private let state = Mutex<(records: [AccessLogRecord], notices: [String])>(([], []))
    private let held = Mutex(false)

    var records: [AccessLogRecord] { state.withLock { $0.records } }
    var notices: [String] { state.withLock { $0.notices } }

    func hold() { held.withLock { $0 = true } }
    func release() { held.withLock { $0 = false } }

    func record(_ record: AccessLogRecord) {
        while held.withLock({ $0 }) { usleep(1000) }
        state.withLock { $0.records.append(record) }
    }
    func notice(_ message: String) { state.withLock { $0.notices.append(message) } }
}

/// Starts a passthrough proxy in front of `upstream` on `backend`.
func startProxy(
    backend: IOBackendKind, upstream: SocketAddress, loops: Int = 2,
    log: RecordingAccessLog = RecordingAccessLog(),
    configure: (inout ProxyConfiguration) -> Void = { _ in }
) throws -> (ProxyServer<PassthroughSession>, SocketAddress) {
    var configuration = ProxyConfiguration()
    configuration.backend = backend == .ioUring ? .ioUring : .epoll
    configuration.loopCount = loops
    configuration.buffersPerLoop = 1024
    configuration.maxConnectionsPerLoop = 2048
    configure(&configuration)
    let listener = ListenerSpec(name: "test-\(backend)", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: upstream)
    let server = ProxyServer<PassthroughSession>(configuration: configuration, listeners: [listener], accessLog: log)
    try server.start()
    return (server, server.boundAddresses[0])
}

/// Whether, within `seconds`, a fresh connection to `address` echoes `text` back (a proxy
/// that paused accepting serves new connections again).
func servesFreshConnection(_ address: SocketAddress, echoing text: String, seconds: Double = 5) -> Bool {
    eventually(seconds: seconds) {
        guard let client = try? TestSocket.connect(to: address, timeoutSeconds: 2) else { return false }
        guard (try? client.send(text)) != nil, let reply = try? client.read(exactly: text.utf8.count) else { return false }
        return reply == Array(text.utf8)
    }
}

/// Waits up to `seconds` for `condition`.
func eventually(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
    while monotonicNanoseconds() < deadline {
        if condition() { return true }
        usleep(2000)
    }
    return condition()
}
