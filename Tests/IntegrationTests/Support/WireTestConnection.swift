import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Blocking loopback TCP helpers for the wire tests.
enum LoopbackTCP {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect failed")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }
}

/// A blocking test client that speaks the wire protocol with the codec under test,
/// reading through a deliberately small receive buffer so messages cross buffer edges.
final class WireTestConnection {
    let fd: Int32
    var decoder = PostgresFrameDecoderBox()
    var pending: [(kind: UInt8, message: [UInt8])] = []
    let receiveSize: Int

    init(port: UInt16, receiveSize: Int = 61) throws {
        fd = try LoopbackTCP.connect(port: port)
        self.receiveSize = receiveSize
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw LoopbackTCP.Failure(description: "send failed") }
            sent += n
        }
    }

    /// The next whole backend message (type byte and the full message bytes).
    func receive() throws -> (kind: UInt8, message: [UInt8]) {
        while pending.isEmpty {
            var buffer = [UInt8](repeating: 0, count: receiveSize)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw LoopbackTCP.Failure(description: "connection closed") }
            pending += try decoder.feed(Array(buffer[..<n]))
        }
        return pending.removeFirst()
    }
}
