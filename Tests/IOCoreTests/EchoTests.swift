import Glibc
import Testing
@testable import IOCore

@Suite(.serialized) struct EchoTests {
    /// Sends `size` bytes in random pieces while a second thread reads the echo.
    @Test(arguments: IOBackendKind.allCases)
    func echoesAllSizesWithRandomSplits(backend: IOBackendKind) throws {
        let echo = try TestServer.echo()
        let (server, address) = try startProxy(backend: backend, upstream: echo.address)
        #expect(server.backend == backend)
        var generator = SystemRandomNumberGenerator()
        for size in [1, 7, 100, 4096, 16_384, 16_385, 65_537, 1 << 20, 16 << 20] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 8)) }
            let client = try TestSocket.connect(to: address)
            var splits: [Int] = []
            var offset = 0
            while offset < size {
                let piece = min(size - offset, Int.random(in: 1...max(1, min(size, 200_000)), using: &generator))
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
            #expect(received == payload, "payload of \(size) bytes differs")
        }
        server.shutdown(deadline: .seconds(2))
        server.waitUntilStopped()
        try echo.stop()
    }
}
