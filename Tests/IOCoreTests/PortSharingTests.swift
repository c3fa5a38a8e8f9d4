import Glibc
import Testing
@testable import IOCore

extension ProxyTests {
    /// SO_REUSEPORT is used only among one server's own loops: a server whose port another
    /// process already listens on (a second gateway, or anything else) refuses to start.
    @Suite struct PortSharing {
        @Test(arguments: IOBackendKind.allCases)
        func aSecondServerOnTheSamePortIsRefused(backend: IOBackendKind) throws {
            let upstream = try unusedLoopbackAddress()
            // The first "gateway": SO_REUSEPORT listeners on two loops.
            let (first, address) = try startProxy(backend: backend, upstream: upstream)
            defer {
                first.shutdown(deadline: .seconds(1))
                first.waitUntilStopped()
            }
            var configuration = ProxyConfiguration()
            configuration.backend = backend == .ioUring ? .ioUring : .epoll
            configuration.loopCount = 2
            let second = ProxyServer<PassthroughSession>(
                configuration: configuration, listeners: [ListenerSpec(name: "pg-prod", address: address, upstream: upstream)],
                accessLog: RecordingAccessLog())
            #expect {
                try second.start()
            } throws: { error in
                guard let error = error as? ProxyServerError, case .addressInUse(let listener, let inUse) = error else { return false }
                return listener == "pg-prod" && inUse == address
                    && error.description == "listener pg-prod: \(address) is already in use by another process (a second gateway?); refusing to share the port"
            }
        }

        @Test func aPortFreedByAnEarlierServerCanBeBoundAgain() throws {
            let upstream = try unusedLoopbackAddress()
            let (first, address) = try startProxy(backend: .epoll, upstream: upstream)
            first.shutdown(deadline: .seconds(1))
            first.waitUntilStopped()
            var configuration = ProxyConfiguration()
            configuration.backend = .epoll
            configuration.loopCount = 2
            let again = ProxyServer<PassthroughSession>(
                configuration: configuration, listeners: [ListenerSpec(name: "again", address: address, upstream: upstream)],
                accessLog: RecordingAccessLog())
            try again.start()
            #expect(again.boundAddresses == [address])
            again.shutdown(deadline: .seconds(1))
            again.waitUntilStopped()
        }
    }
}
