import CAllocCounter
import Glibc
import Testing
@testable import IOCore

extension ProxyTests {
    @Suite struct Allocation {
        /// Waits until the loop has gone idle (its counters stop moving) and returns them.
        static func settledStatistics(_ server: ProxyServer<PassthroughSession>) -> LoopStatistics.Snapshot {
            var previous = server.loopStatistics[0]
            while true {
                usleep(30_000)
                let current = server.loopStatistics[0]
                if current.messagesForwarded == previous.messagesForwarded
                    && current.threadAllocations == previous.threadAllocations {
                    return current
                }
                previous = current
            }
        }

        /// Steady-state forwarding allocates nothing on the loop thread.
        @Test(arguments: IOBackendKind.allCases)
        func forwardingDoesNotAllocate(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let (server, address) = try startProxy(backend: backend, upstream: echo.address, loops: 1) {
                $0.testing.threadAllocationCounter = rg_thread_allocation_count
            }
            let clients = try (0..<4).map { _ in try TestSocket.connect(to: address) }
            let message = makePayload(64)
            let big = makePayload(200_000)
            func burst(_ rounds: Int) throws {
                for _ in 0..<rounds {
                    for client in clients {
                        try client.sendAll(message)
                        #expect(try client.read(exactly: 64).count == 64)
                    }
                }
                // Larger transfers: multiple buffers, short writes, queueing.
                for client in clients {
                    try client.sendAll(big)
                    #expect(try client.read(exactly: big.count).count == big.count)
                }
            }
            try burst(50)  // warm-up: lazy runtime metadata, first-use paths
            let before = Self.settledStatistics(server)
            try burst(500)
            let after = Self.settledStatistics(server)
            let forwarded = after.messagesForwarded - before.messagesForwarded
            let allocations = after.threadAllocations - before.threadAllocations
            #expect(forwarded >= 4000, "forwarded \(forwarded) messages")
            #expect(allocations == 0, "\(allocations) heap allocations on the loop thread for \(forwarded) messages")
            #expect(after.threadAllocations > 0, "the counter hook is live (the loop allocated during setup)")
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
            try echo.stop()
        }
    }
}
