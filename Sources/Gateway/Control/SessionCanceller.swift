import Codecs
import Glibc
import IOCore

/// Cancels what a live PostgreSQL session is running, from the control plane: it sends the
/// gateway's own listener a CancelRequest with the gateway key the session's client holds, so
/// the request takes the data path's cancel route (the real key, upstream TLS) and no
/// upstream key leaves the loops. Blocking, with short timeouts: call it off the loops.
enum SessionCanceller {
    /// Sends the CancelRequest for `key` to `listener` and waits until the gateway closed the
    /// connection (it did forward the cancel by then). False when the listener could not be
    /// reached in time.
    static func cancel(key: (processID: Int32, secretKey: Int32), through listener: SocketAddress) -> Bool {
        let family = listener.withSockAddr { address, _ in Int32(address.pointee.sa_family) }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard listener.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return false }
        var request = [UInt8](repeating: 0, count: 16)
        let count = request.withUnsafeMutableBytes { buffer -> Int in
            var writer = WireWriter(buffer)
            PostgresFrontendEncoder.cancelRequest(&writer, processID: key.processID, secretKey: key.secretKey)
            return writer.count
        }
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }) == count else { return false }
        // The gateway answers nothing and closes once the cancel went upstream.
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}
