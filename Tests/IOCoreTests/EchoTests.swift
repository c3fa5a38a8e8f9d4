import Glibc
import Testing
@testable import IOCore

extension ProxyTests {
    @Suite struct Echo {
        /// Sends `size` bytes in random pieces while the client reads the echo concurrently.
        @Test(arguments: IOBackendKind.allCases)
        func echoesAllSizesWithRandomSplits(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address)
            #expect(server.backend == backend)
            var generator = SystemRandomNumberGenerator()
            for size in [1, 7, 100, 4096, 16_384, 16_385, 65_537, 1 << 20, 16 << 20] {
                let payload = makePayload(size, seed: UInt64(size))
                let client = try TestSocket.connect(to: address)
                var splits: [Int] = []
                var offset = 0
                while offset < size {
                    let piece = min(size - offset, Int.random(in: 1...max(1, min(size, 300_000)), using: &generator))
                    splits.append(piece)
                    offset += piece
                }
                let writer = TestThread {
                    var at = 0
                    for piece in splits {
                        try payload.withUnsafeBytes { try client.sendAll(UnsafeRawBufferPointer(rebasing: $0[at..<(at + piece)])) }
                        at += piece
                    }
                    client.shutdownWrite()
                }
                let received = try client.readToEnd()
                try writer.join()
                #expect(received.count == size)
                #expect(sameBytes(received, payload), "payload of \(size) bytes differs")
            }
            server.shutdown(deadline: .seconds(2))
            server.waitUntilStopped()
            try echo.stop()
        }

        /// 1,000 connections open at once, each echoing its own message.
        @Test(arguments: IOBackendKind.allCases)
        func servesThousandConcurrentConnections(backend: IOBackendKind) throws {
            raiseFileLimit(to: 16_384)
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, log: log)
            let count = 1000
            var clients: [TestSocket] = []
            clients.reserveCapacity(count)
            for _ in 0..<count { clients.append(try TestSocket.connect(to: address)) }
            for (index, client) in clients.enumerated() { try client.send("hello \(index);") }
            for (index, client) in clients.enumerated() {
                let expected = Array("hello \(index);".utf8)
                let got = try client.read(exactly: expected.count)
                #expect(got == expected, "connection \(index)")
            }
            let live = server.loopStatistics.reduce(0) { $0 + $1.activeConnections }
            #expect(live == count)
            for client in clients { client.shutdownWrite() }
            for client in clients { #expect(try client.readToEnd().isEmpty) }
            clients.removeAll()
            #expect(eventually { log.records.count == count })
            #expect(log.records.allSatisfy { $0.closeReason == .completed })
            server.shutdown(deadline: .seconds(2))
            server.waitUntilStopped()
            try echo.stop()
        }
    }
}
