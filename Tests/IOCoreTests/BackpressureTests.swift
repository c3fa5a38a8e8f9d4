import Glibc
import Synchronization
import Testing
@testable import IOCore

extension ProxyTests {
    @Suite struct Backpressure {
        static let streamSize = 1 << 30  // 1 GiB
        static let bufferSize = 16 * 1024
        static let highWaterMark = 256 * 1024
        static let receiveBuffer = 256 * 1024
        static let burstBound = (highWaterMark + 2 * receiveBuffer) / bufferSize

        /// A fast upstream streams 1 GiB to a client that stops reading, then reads slowly.
        /// The gateway must stop reading the upstream at the high-water mark: its buffer use
        /// and resident memory stay bounded, and other connections keep being served.
        @Test(arguments: IOBackendKind.allCases)
        func slowReaderKeepsMemoryBounded(backend: IOBackendKind) throws {
            let sentByUpstream = Atomic<Int>(0)
            let chunk = makePayload(1 << 20)
            let streamer = try TestServer { socket in
                try chunk.withUnsafeBytes { raw in
                    var remaining = Self.streamSize
                    while remaining > 0 {
                        let piece = min(remaining, raw.count)
                        try socket.sendAll(UnsafeRawBufferPointer(rebasing: raw[..<piece]))
                        remaining -= piece
                        sentByUpstream.add(piece, ordering: .relaxed)
                    }
                }
                socket.shutdownWrite()
            }
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            var configuration = ProxyConfiguration()
            configuration.backend = backend == .ioUring ? .ioUring : .epoll
            configuration.loopCount = 1
            configuration.bufferSize = Self.bufferSize
            configuration.buffersPerLoop = 1024
            configuration.highWaterMark = Self.highWaterMark
            configuration.socketReceiveBufferSize = Self.receiveBuffer
            let server = ProxyServer<PassthroughSession>(
                configuration: configuration,
                listeners: [
                    ListenerSpec(name: "stream", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: streamer.address),
                    ListenerSpec(name: "echo", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: echo.address),
                ],
                accessLog: log)
            try server.start()
            let baselineRSS = residentBytes()

            let reader = try TestSocket.connect(to: server.boundAddresses[0], timeoutSeconds: 30)
            reader.setReceiveBuffer(64 * 1024)

            // Phase 1: the client reads nothing. The upstream must stall after the kernel's
            // socket buffers plus the gateway's high-water mark are full: its count stops
            // moving for 300 ms (checked over and over, up to 20 s, so that a loaded machine
            // that fills the buffers slowly is not taken for a gateway that never stalls).
            var stalledAt = sentByUpstream.load(ordering: .relaxed)
            var stillStalledAt = stalledAt &+ 1
            let stallDeadline = monotonicNanoseconds() + 20_000_000_000
            while stalledAt != stillStalledAt && monotonicNanoseconds() < stallDeadline {
                stalledAt = sentByUpstream.load(ordering: .relaxed)
                usleep(300_000)
                stillStalledAt = sentByUpstream.load(ordering: .relaxed)
            }
            #expect(stalledAt == stillStalledAt, "upstream kept sending into a stalled client")
            #expect(stalledAt < 64 << 20, "gateway absorbed \(stalledAt) bytes for a client that reads nothing")
            let stalledStats = server.loopStatistics[0]
            #expect(stalledStats.buffersInUse <= Self.burstBound)

            // Another connection on the same loop is served while the stream is stalled.
            let other = try TestSocket.connect(to: server.boundAddresses[1])
            try other.send("still here")
            #expect(try other.read(exactly: 10) == Array("still here".utf8))
            other.close()

            // Phase 2: read the whole stream, slowly at first (small reads with pauses),
            // sampling resident memory along the way.
            var total = 0
            var peakRSS = baselineRSS
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            var reads = 0
            var checksumOK = true
            try buffer.withUnsafeMutableBytes { raw in
                while true {
                    let slowPhase = reads < 200
                    let window = slowPhase ? UnsafeMutableRawBufferPointer(rebasing: raw[..<4096]) : raw
                    let n = try reader.readSome(into: window)
                    if n == 0 { break }
                    // Spot-check content: byte i of the stream is chunk[i % 1 MiB].
                    let position = total % chunk.count
                    if position + n <= chunk.count {
                        checksumOK = checksumOK && chunk.withUnsafeBytes { memcmp($0.baseAddress! + position, raw.baseAddress!, min(n, 64)) == 0 }
                    }
                    total += n
                    reads += 1
                    if slowPhase { usleep(1000) }
                    if reads % 512 == 0 { peakRSS = max(peakRSS, residentBytes()) }
                }
            }
            #expect(total == Self.streamSize)
            #expect(checksumOK)
            let stats = server.loopStatistics[0]
            // Never more than the high-water mark plus one multishot burst, which the socket
            // receive buffer bounds (2 x SO_RCVBUF), whatever the stream length: a fixed
            // bound of 16 + 32 = 48 buffers (768 KiB) here.
            #expect(stats.peakBuffersInUse <= Self.burstBound,
                    "peak \(stats.peakBuffersInUse) buffers")
            let growth = peakRSS - baselineRSS
            #expect(growth < 48 << 20, "resident memory grew by \(growth >> 20) MiB while streaming 1 GiB")
            reader.close()
            try streamer.stop()
            try echo.stop()
            #expect(eventually { log.records.count == 2 })
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
        }
    }
}
