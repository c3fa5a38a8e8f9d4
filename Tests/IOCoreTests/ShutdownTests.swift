import Glibc
import Testing
@testable import IOCore

extension ProxyTests {
    @Suite struct Shutdown {
        /// Shutdown stops accepting at once, lets live sessions finish, then the server stops.
        @Test(arguments: IOBackendKind.allCases)
        func drainsLiveConnections(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, log: log)
            let live = try TestSocket.connect(to: address)
            try live.send("before")
            #expect(try live.read(exactly: 6) == Array("before".utf8))

            server.shutdown(deadline: .seconds(20))
            // New connections are refused once the listeners are closed.
            #expect(eventually {
                (try? TestSocket.connect(to: address, timeoutSeconds: 1)) == nil
            })
            // The live session keeps working while draining.
            try live.send("during")
            #expect(try live.read(exactly: 6) == Array("during".utf8))
            let start = monotonicNanoseconds()
            live.shutdownWrite()
            #expect(try live.readToEnd().isEmpty)
            server.waitUntilStopped()
            #expect(monotonicNanoseconds() - start < 5_000_000_000, "stopped as soon as the last session ended")
            // The live session's record; the others are probes accepted before the loop got
            // to closing its listener (a loaded machine lets several in), which sent nothing.
            let records = log.records
            #expect(records.filter { $0.bytesFromClient == 12 && $0.bytesFromUpstream == 12 && $0.closeReason == .completed }.count == 1)
            #expect(records.allSatisfy { $0.bytesFromClient == 12 || $0.bytesFromClient == 0 })
            try echo.stop()
        }

        /// Sessions still open at the drain deadline are closed with reason `shutdown`.
        @Test(arguments: IOBackendKind.allCases)
        func closesSessionsAtDeadline(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, log: log)
            let stubborn = try TestSocket.connect(to: address)
            try stubborn.send("x")
            #expect(try stubborn.read(exactly: 1) == Array("x".utf8))
            let start = monotonicNanoseconds()
            server.shutdown(deadline: .milliseconds(300))
            server.waitUntilStopped()
            let elapsed = monotonicNanoseconds() - start
            #expect(elapsed >= 300_000_000)
            #expect(elapsed < 3_000_000_000)
            #expect(try stubborn.readToEnd().isEmpty)
            #expect(log.records.map(\.closeReason) == [.shutdown])
            try echo.stop()
        }

        /// A second shutdown request can bring the deadline forward, never push it back.
        @Test(arguments: IOBackendKind.allCases)
        func secondShutdownShortensTheDrain(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, log: log)
            let live = try TestSocket.connect(to: address)
            try live.send("x")
            #expect(try live.read(exactly: 1) == Array("x".utf8))
            server.shutdown(deadline: .seconds(30))
            usleep(100_000)
            server.shutdown(deadline: .seconds(60))  // ignored: later than the first
            let start = monotonicNanoseconds()
            server.shutdown(deadline: .zero)
            server.waitUntilStopped()
            #expect(monotonicNanoseconds() - start < 3_000_000_000)
            #expect(try live.readToEnd().isEmpty)
            #expect(log.records.map(\.closeReason) == [.shutdown])
            try echo.stop()
        }
    }
}
