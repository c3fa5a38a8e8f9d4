import Glibc
import Synchronization
import Testing
@testable import IOCore

extension ProxyTests {
    @Suite struct Lifecycle {
        /// Client sends FIN first; the upstream still answers after seeing EOF.
        @Test(arguments: IOBackendKind.allCases)
        func clientHalfCloseKeepsResponseFlowing(backend: IOBackendKind) throws {
            let upstream = try TestServer { socket in
                let request = try socket.readToEnd()  // returns at the forwarded FIN
                try socket.send("received \(request.count) bytes")
                socket.shutdownWrite()
            }
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: upstream.address, log: log)
            let client = try TestSocket.connect(to: address)
            try client.sendAll(makePayload(100_000))
            client.shutdownWrite()
            let reply = try client.readToEnd()
            #expect(String(decoding: reply, as: UTF8.self) == "received 100000 bytes")
            try upstream.stop()
            #expect(eventually { log.records.count == 1 })
            #expect(log.records.first?.closeReason == .completed)
            #expect(log.records.first?.bytesFromClient == 100_000)
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
        }

        /// Upstream sends FIN first; the client keeps sending and the upstream receives it all.
        @Test(arguments: IOBackendKind.allCases)
        func upstreamHalfCloseKeepsRequestFlowing(backend: IOBackendKind) throws {
            let receivedByUpstream = Mutex<[UInt8]>([])
            let upstream = try TestServer { socket in
                try socket.send("banner")
                socket.shutdownWrite()
                let rest = try socket.readToEnd()
                receivedByUpstream.withLock { $0 = rest }
            }
            let (server, address) = try startProxy(backend: backend, upstream: upstream.address)
            let client = try TestSocket.connect(to: address)
            #expect(String(decoding: try client.readToEnd(), as: UTF8.self) == "banner")
            let payload = makePayload(300_000)
            try client.sendAll(payload)
            client.shutdownWrite()
            try upstream.stop()
            #expect(sameBytes(receivedByUpstream.withLock { $0 }, payload))
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
        }

        /// Nothing listens upstream: the client is closed promptly and one notice names the listener.
        @Test(arguments: IOBackendKind.allCases)
        func upstreamRefusedClosesClientPromptly(backend: IOBackendKind) throws {
            let dead = try unusedLoopbackAddress()
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: dead, log: log)
            let client = try TestSocket.connect(to: address, timeoutSeconds: 3)
            let start = monotonicNanoseconds()
            #expect(try client.readToEnd().isEmpty)
            #expect(monotonicNanoseconds() - start < 2_000_000_000)
            #expect(eventually { log.records.count == 1 })
            #expect(log.records.first?.closeReason == .upstreamConnectFailed(errno: ECONNREFUSED))
            let failures = log.notices.filter { $0.contains("unavailable") }
            #expect(failures.count == 1)
            #expect(failures.first?.contains("test-\(backend)") == true)
            #expect(failures.first?.contains("ECONNREFUSED") == true)
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
        }

        /// The upstream resets mid-stream: the client sees a reset too (RST propagation).
        @Test(arguments: IOBackendKind.allCases)
        func upstreamResetIsPropagated(backend: IOBackendKind) throws {
            let upstream = try TestServer { socket in
                try socket.sendAll(makePayload(50_000))
                _ = try socket.read(exactly: 2)  // "ok": the client saw the data
                socket.reset()
            }
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: upstream.address, log: log)
            let client = try TestSocket.connect(to: address)
            #expect(try client.read(exactly: 50_000).count == 50_000)
            try client.send("ok")
            #expect(throws: TestSocketError.self) {
                var buffer = [UInt8](repeating: 0, count: 16)
                let n = try buffer.withUnsafeMutableBytes { try client.readSome(into: $0) }
                if n == 0 { Issue.record("client saw FIN, expected RST") }
            }
            try upstream.stop()
            #expect(eventually { log.records.count == 1 })
            #expect(log.records.first?.closeReason == .upstreamReset)
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
        }

        /// The client resets mid-stream: the upstream sees a reset too.
        @Test(arguments: IOBackendKind.allCases)
        func clientResetIsPropagated(backend: IOBackendKind) throws {
            let upstreamOutcome = Mutex<String>("")
            let upstream = try TestServer { socket in
                _ = try socket.read(exactly: 5)
                try socket.send("ack")
                do {
                    var buffer = [UInt8](repeating: 0, count: 16)
                    let n = try buffer.withUnsafeMutableBytes { try socket.readSome(into: $0) }
                    upstreamOutcome.withLock { $0 = n == 0 ? "eof" : "data" }
                } catch let error as TestSocketError {
                    upstreamOutcome.withLock { $0 = SystemError.name(of: error.errno) }
                }
            }
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: upstream.address, log: log)
            let client = try TestSocket.connect(to: address)
            try client.send("hello")
            #expect(try client.read(exactly: 3) == Array("ack".utf8))
            client.reset()
            try upstream.stop()
            #expect(upstreamOutcome.withLock { $0 }.hasPrefix("ECONNRESET"))
            #expect(eventually { log.records.count == 1 })
            #expect(log.records.first?.closeReason == .clientReset)
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
        }

        /// A silent connection is closed after the idle timeout; an active one is not.
        @Test(arguments: IOBackendKind.allCases)
        func idleConnectionsAreClosed(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, log: log) {
                $0.idleTimeout = .milliseconds(400)
            }
            let idle = try TestSocket.connect(to: address)
            let busy = try TestSocket.connect(to: address)
            let start = monotonicNanoseconds()
            // Keep `busy` active past the idle timeout.
            for _ in 0..<8 {
                try busy.send("ping")
                #expect(try busy.read(exactly: 4) == Array("ping".utf8))
                usleep(100_000)
            }
            #expect(try idle.readToEnd().isEmpty)
            let elapsed = monotonicNanoseconds() - start
            #expect(elapsed >= 400_000_000)
            try busy.send("pong")
            #expect(try busy.read(exactly: 4) == Array("pong".utf8))
            #expect(eventually { log.records.contains { $0.closeReason == .idleTimeout } })
            busy.close()
            idle.close()
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
            try echo.stop()
        }
    }
}
