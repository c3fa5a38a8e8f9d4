import Foundation
import Gateway
import IOCore
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `serve` (the runtime it wraps) never joins a SO_REUSEPORT group another process opened.
@Suite struct GatewayPortSharingTests {
    /// A listening socket with SO_REUSEADDR and SO_REUSEPORT on a free loopback port, as a
    /// second gateway would open it; returns the descriptor and the port.
    static func reusePortListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound && listen(fd, 8) == 0)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func aPortAnotherProcessListensOnWithSOReusePortIsRefused() throws {
        let stranger = try Self.reusePortListener()
        defer { close(stranger.fd) }
        let path = try GatewayServeTests.writeConfig(GatewayServeTests.tcpConfig(listen: stranger.port, upstream: 1))
        defer { unlink(path) }
        #expect {
            let runtime = try GatewayRuntime(configPath: path, watchFile: false, reloadOnSIGHUP: false, logger: GatewayServeTests.logger)
            runtime.shutdown(deadline: .seconds(1))
            runtime.waitUntilStopped()
        } throws: { error in
            guard case .dataPlane(.addressInUse(let listener, _)) = error as? GatewayRuntimeError else { return false }
            return listener == "pg-relay"
                && "\(error)".contains("listener pg-relay: 127.0.0.1:\(stranger.port) is already in use by another process")
        }
    }
}
