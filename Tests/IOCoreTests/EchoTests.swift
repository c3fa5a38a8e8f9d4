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

        /// A pool far too small for the traffic: recvs run out of buffers (io_uring:
        /// -ENOBUFS; epoll: empty free list), wait, and resume as buffers come back. Every
        /// byte still arrives, in order, on every connection.
        @Test(arguments: IOBackendKind.allCases)
        func survivesBufferPoolExhaustion(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, loops: 1) {
                $0.bufferSize = 4096
                $0.buffersPerLoop = 8
                $0.reservedBuffers = 0  // passthrough synthesizes nothing: every buffer receives
                $0.highWaterMark = 8192
            }
            let size = 8 << 20  // more than the kernel socket buffers on the way can absorb
            let payloads = (0..<4).map { makePayload(size, seed: UInt64($0 + 1)) }
            let clients = try payloads.map { _ in try TestSocket.connect(to: address) }
            let writers = zip(clients, payloads).map { client, payload in
                TestThread {
                    try client.sendAll(payload)
                    client.shutdownWrite()
                }
            }
            // Readers start only once echoed bytes have piled up in the gateway until the pool
            // ran dry (waiting on the statistic, not a fixed sleep: a loaded machine may take
            // longer to get there).
            let readers = zip(clients, payloads).map { client, payload in
                TestThread {
                    _ = eventually(seconds: 30) { server.loopStatistics[0].peakBuffersInUse == 8 }
                    let received = try client.readToEnd()
                    if !sameBytes(received, payload) {
                        throw TestSocketError(operation: "echo of \(payload.count) bytes came back as \(received.count) different bytes", errno: 0)
                    }
                }
            }
            for thread in writers + readers { try thread.join() }
            let stats = server.loopStatistics[0]
            #expect(stats.peakBuffersInUse == 8, "the pool was exhausted (peak \(stats.peakBuffersInUse) of 8)")
            #expect(eventually { server.loopStatistics[0].buffersInUse == 0 })
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
            try echo.stop()
        }
    }
}
