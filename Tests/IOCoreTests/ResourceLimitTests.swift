import Glibc
import Testing
@testable import IOCore

extension ProxyTests {
    @Suite struct ResourceLimits {
        /// An accept storm past the loop's connection table: surplus clients are closed at
        /// once, accepting pauses (one notice, no busy loop), and resumes when slots free up.
        /// (Real EMFILE is exercised against a `ringgate forward` process in ForwardCommandTests,
        /// so this process's descriptor table is never exhausted under other tests.)
        @Test(arguments: IOBackendKind.allCases)
        func fullConnectionTablePausesAccept(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, loops: 1, log: log) {
                $0.maxConnectionsPerLoop = 2
                $0.acceptRetryDelay = .milliseconds(100)
            }
            let first = try TestSocket.connect(to: address)
            let second = try TestSocket.connect(to: address)
            for client in [first, second] {
                try client.send("ping")
                #expect(try client.read(exactly: 4) == Array("ping".utf8))
            }
            let before = server.loopStatistics[0].iterations
            var rejected: [TestSocket] = []
            for _ in 0..<20 { rejected.append(try TestSocket.connect(to: address, timeoutSeconds: 3)) }
            usleep(400_000)
            let iterations = server.loopStatistics[0].iterations - before
            #expect(iterations < 400, "\(iterations) loop iterations in 400 ms of accept storm")
            #expect(server.loopStatistics[0].activeConnections == 2)
            #expect(eventually { log.notices.contains { $0.contains("accept paused: connection table full") } })
            // Slots free up: a waiting connection is served after the pause.
            first.close()
            second.close()
            rejected.removeAll()
            #expect(servesFreshConnection(address, echoing: "late"), "no connection was served after slots freed up")
            server.shutdown(deadline: .zero)
            server.waitUntilStopped()
            try echo.stop()
        }

        /// A stalled access-log sink: records queue up to `accessLogBacklogLimit`, then new
        /// connections are refused (closed unserved) instead of queuing records without bound
        /// or dropping them; once the sink moves, every record arrives, one notice reports the
        /// refusals, and accepting resumes.
        @Test(arguments: IOBackendKind.allCases)
        func stalledAccessLogPausesAcceptWithoutLosingRecords(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            log.hold()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, loops: 1, log: log) {
                $0.accessLogBacklogLimit = 2
                $0.acceptRetryDelay = .milliseconds(100)
            }
            for text in ["one", "two"] {
                let client = try TestSocket.connect(to: address)
                try client.send(text)
                #expect(try client.read(exactly: 3) == Array(text.utf8))
                client.shutdownWrite()
                #expect(try client.readToEnd().isEmpty)
            }
            #expect(eventually { server.loopStatistics[0].activeConnections == 0 })
            // Two records wait behind the stalled sink: the next connection is not served.
            let refused = try TestSocket.connect(to: address, timeoutSeconds: 3)
            try? refused.send("three")
            refused.shutdownWrite()
            #expect(((try? refused.readToEnd()) ?? []).isEmpty, "a connection was served past the access-log backlog")
            #expect(log.records.isEmpty)
            // Paused, not spinning on a listener whose queue holds connections.
            var waiting: [TestSocket] = []
            for _ in 0..<5 { waiting.append(try TestSocket.connect(to: address, timeoutSeconds: 3)) }
            let before = server.loopStatistics[0].iterations
            usleep(400_000)
            let iterations = server.loopStatistics[0].iterations - before
            #expect(iterations < 400, "\(iterations) loop iterations in 400 ms of accept pause")

            waiting.removeAll()
            log.release()
            #expect(eventually { log.records.count == 2 })
            #expect(eventually { log.notices.contains { $0.contains("access log sink fell 2 records behind") && $0.contains("refused") } })
            // ("three", 5 bytes; the waiting connections sent nothing and may be served by now.)
            #expect(!log.records.contains { $0.bytesFromClient == 5 }, "the refused connection must not have been opened")
            #expect(servesFreshConnection(address, echoing: "late"), "no connection was served after the sink drained")
            server.shutdown(deadline: .zero)
            server.waitUntilStopped()
            try echo.stop()
        }

        /// An upstream that never answers the handshake: the client is closed at the
        /// connect timeout and the failure is logged with the listener name.
        @Test(arguments: IOBackendKind.allCases)
        func connectTimeoutClosesClient(backend: IOBackendKind) throws {
            // A listener with a full accept queue drops further SYNs: connects hang.
            let blackhole = try Socket.makeListener(try SocketAddress(ipAddress: "127.0.0.1", port: 0), backlog: 0)
            defer { close(blackhole) }
            let blackholeAddress = try #require(Socket.localAddress(blackhole))
            var fillers: [TestSocket] = []
            for _ in 0..<2 { if let socket = try? TestSocket.connect(to: blackholeAddress, timeoutSeconds: 1) { fillers.append(socket) } }
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: blackholeAddress, log: log) {
                $0.connectTimeout = .milliseconds(300)
            }
            let client = try TestSocket.connect(to: address, timeoutSeconds: 5)
            let start = monotonicNanoseconds()
            #expect(try client.readToEnd().isEmpty)
            let elapsed = monotonicNanoseconds() - start
            #expect(elapsed >= 250_000_000 && elapsed < 3_000_000_000, "closed after \(elapsed / 1_000_000) ms")
            #expect(eventually { log.records.count == 1 })
            #expect(log.records.first?.closeReason == .connectTimeout)
            #expect(log.notices.contains { $0.contains("test-\(backend)") && $0.contains("ETIMEDOUT") })
            server.shutdown(deadline: .zero)
            server.waitUntilStopped()
        }
    }
}

/// A session that connects at once and, when the upstream cannot be reached, tells the
/// client why before closing (as the PostgreSQL session sends its FATAL).
struct ExplainingRelaySession: ProxySession {
    init(context: SessionContext, shared: Void) {}
    mutating func start(io: inout SessionIO<Never>) { io.connectUpstream() }
    mutating func received(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<Never>) {
        io.forwardAll()
    }
    mutating func handle(_ event: SessionEvent<Never>, io: inout SessionIO<Never>) {
        guard case .connectFailed(let errno) = event else { return }
        var text = "NO UPSTREAM \(errno)\n"
        text.withUTF8 { _ = io.write(UnsafeRawBufferPointer($0), to: .client) }
        io.close(.sessionTerminated, flush: true)
    }
}

extension ProxyTests.ResourceLimits {
    /// A connect timeout reaches the session like a failed connect: it answers, then closes.
    @Test(arguments: IOBackendKind.allCases)
    func connectTimeoutIsTheSessionsToAnswer(backend: IOBackendKind) throws {
        let blackhole = try Socket.makeListener(try SocketAddress(ipAddress: "127.0.0.1", port: 0), backlog: 0)
        defer { close(blackhole) }
        let blackholeAddress = try #require(Socket.localAddress(blackhole))
        var fillers: [TestSocket] = []
        for _ in 0..<2 { if let socket = try? TestSocket.connect(to: blackholeAddress, timeoutSeconds: 1) { fillers.append(socket) } }
        var configuration = ProxyConfiguration()
        configuration.backend = backend == .ioUring ? .ioUring : .epoll
        configuration.loopCount = 1
        configuration.buffersPerLoop = 256
        configuration.maxConnectionsPerLoop = 64
        configuration.connectTimeout = .milliseconds(300)
        let log = RecordingAccessLog()
        let listener = ListenerSpec(name: "explain-\(backend)", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: blackholeAddress)
        let server = ProxyServer<ExplainingRelaySession>(configuration: configuration, listeners: [listener], accessLog: log)
        try server.start()
        let client = try TestSocket.connect(to: server.boundAddresses[0], timeoutSeconds: 5)
        let answer = try client.readToEnd()
        #expect(String(decoding: answer, as: UTF8.self) == "NO UPSTREAM \(ETIMEDOUT)\n")
        #expect(eventually { log.records.count == 1 })
        #expect(log.records.first?.closeReason == .sessionTerminated)
        #expect(log.notices.contains { $0.contains("explain-\(backend)") && $0.contains("ETIMEDOUT") })
        server.shutdown(deadline: .zero)
        server.waitUntilStopped()
    }
}

