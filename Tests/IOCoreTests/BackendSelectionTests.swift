import Glibc
import Testing
@testable import IOCore

extension ProxyTests {
    @Suite struct BackendSelection {
        /// With io_uring setup failing (as under kernel.io_uring_disabled or seccomp),
        /// `.auto` falls back to epoll, says why, and forwards traffic.
        @Test func autoFallsBackToEpollWhenRingSetupFails() throws {
            let echo = try TestServer.echo()
            let log = RecordingAccessLog()
            var configuration = ProxyConfiguration()
            configuration.backend = .auto
            configuration.loopCount = 2
            configuration.testing.forceURingSetupFailure = true
            let server = ProxyServer<PassthroughSession>(
                configuration: configuration,
                listeners: [ListenerSpec(name: "fallback", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: echo.address)],
                accessLog: log)
            try server.start()
            #expect(server.backend == .epoll)
            #expect(server.backendReason.contains("io_uring unavailable"))
            #expect(server.backendReason.contains("EPERM"))
            let client = try TestSocket.connect(to: server.boundAddresses[0])
            try client.send("over epoll")
            #expect(try client.read(exactly: 10) == Array("over epoll".utf8))
            #expect(eventually { log.notices.contains { $0.hasPrefix("backend epoll with 2 loops") && $0.contains("falling back") } })
            client.close()
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
            try echo.stop()
        }

        /// `.auto` picks io_uring when it works.
        @Test func autoPrefersIOURing() throws {
            var configuration = ProxyConfiguration()
            configuration.loopCount = 1
            let server = ProxyServer<PassthroughSession>(
                configuration: configuration,
                listeners: [ListenerSpec(name: "auto", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: try unusedLoopbackAddress())])
            try server.start()
            #expect(server.backend == .ioUring)
            server.shutdown(deadline: .zero)
            server.waitUntilStopped()
        }

        /// Demanding io_uring when it is unavailable is an error, not a silent fallback.
        @Test func forcedIOURingFailsClearly() throws {
            var configuration = ProxyConfiguration()
            configuration.backend = .ioUring
            configuration.testing.forceURingSetupFailure = true
            let server = ProxyServer<PassthroughSession>(
                configuration: configuration,
                listeners: [ListenerSpec(name: "forced", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: try unusedLoopbackAddress())])
            #expect {
                try server.start()
            } throws: { error in
                guard let error = error as? ProxyServerError, case .ioUringUnavailable(let cause) = error else { return false }
                return cause.errno == EPERM
            }
        }
    }
}
