import Codecs
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking, test-only PostgreSQL forwarder that masks result rows with the codec, so
/// real clients (psql, psycopg) can show that masked rows still parse. Client bytes pass
/// through untouched; server bytes go through the frame decoder: RowDescription loads the
/// column table (actions chosen by column name), DataRows are masked where they landed (or
/// in the scratch copy when they crossed a buffer edge) and forwarded with their new length.
/// A client and upstream descriptor pair closed once both forwarding threads are done.
private final class DescriptorPair: @unchecked Sendable {
    private let lock = NSLock()
    private var users = 2
    let client: Int32
    let upstream: Int32

    init(client: Int32, upstream: Int32) {
        self.client = client
        self.upstream = upstream
    }

    func release() {
        lock.lock()
        users -= 1
        let last = users == 0
        lock.unlock()
        if last {
            close(client)
            close(upstream)
        }
    }
}

final class MaskingTestProxy: @unchecked Sendable {
    let port: UInt16
    let listener: Int32
    let upstreamPort: UInt16
    let actions: [String: CellMaskAction]

    init(upstreamPort: UInt16, actions: [String: CellMaskAction]) throws {
        self.upstreamPort = upstreamPort
        self.actions = actions
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(listener, pointer, length) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard ok, listen(listener, 8) == 0 else { throw LoopbackTCP.Failure(description: "proxy listen failed") }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            guard let upstream = try? LoopbackTCP.connect(port: upstreamPort) else {
                close(client)
                continue
            }
            var noTimeout = timeval(tv_sec: 0, tv_usec: 0)
            setsockopt(upstream, SOL_SOCKET, SO_RCVTIMEO, &noTimeout, socklen_t(MemoryLayout<timeval>.size))
            // Both directions' threads share the descriptors; the last one to finish closes
            // them, so neither can act on a descriptor number already reused by a new client.
            let pair = DescriptorPair(client: client, upstream: upstream)
            Thread.detachNewThread {
                Self.pipe(from: client, to: upstream)
                pair.release()
            }
            Thread.detachNewThread { [self] in
                maskServerStream(from: upstream, to: client)
                shutdown(client, Int32(SHUT_WR))
                shutdown(upstream, Int32(SHUT_RD))
                pair.release()
            }
        }
    }

    private static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    private static func pipe(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            let ok = buffer.withUnsafeBytes { sendAll(destination, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if !ok { break }
        }
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }

    private struct Planner: ColumnMaskPlanner {
        let actions: [String: CellMaskAction]
        mutating func action(for column: ColumnDescriptionView, at index: Int) -> CellMaskAction {
            actions[String(decoding: column.name, as: UTF8.self)] ?? .keep
        }
    }

    private func maskServerStream(from upstream: Int32, to client: Int32) {
        var decoder = PostgresFrameDecoder(configuration: .backend())
        var table = PostgresColumnTable()
        var planner = Planner(actions: actions)
        // A small receive buffer so rows cross buffer edges and take the reassembly path.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 97, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = recv(upstream, buffer.baseAddress, buffer.count, 0)
            if n <= 0 { return }
            let received = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            var cursor = 0
            while true {
                let event = decoder.next(in: UnsafeRawBufferPointer(received), at: &cursor)
                var out: UnsafeMutableRawBufferPointer?
                switch event {
                case .needMoreData:
                    break
                case .frame(let frame):
                    out = process(UnsafeMutableRawBufferPointer(rebasing: received[frame.offset..<(frame.offset + frame.length)]),
                                  kind: frame.kind.typeByte, table: &table, planner: &planner)
                case .reassembled(let frame):
                    let scratch = decoder.reassembled
                    out = process(UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frame.length]),
                                  kind: frame.kind.typeByte, table: &table, planner: &planner)
                case .part(let part):
                    if !part.isBuffered {
                        out = UnsafeMutableRawBufferPointer(rebasing: received[part.offset..<(part.offset + part.count)])
                    }
                case .singleByte, .protocolError:
                    return
                }
                if case .needMoreData = event { break }
                if let out, !Self.sendAll(client, UnsafeRawBufferPointer(out)) { return }
            }
        }
    }

    /// Masks one whole message in place and returns the bytes to forward (nil: drop the session).
    private func process(_ message: UnsafeMutableRawBufferPointer, kind: UInt8, table: inout PostgresColumnTable,
                         planner: inout Planner) -> UnsafeMutableRawBufferPointer? {
        if kind == UInt8(ascii: "T") {
            let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[5...])
            guard let description = try? RowDescriptionView(body: body), (try? table.load(description, planner: &planner)) != nil else { return nil }
        } else if kind == UInt8(ascii: "D") {
            guard let length = try? DataRowMasker.mask(message: message, columns: table, scanner: NoCellScanner()) else { return nil }
            return UnsafeMutableRawBufferPointer(rebasing: message[0..<length])
        }
        return message
    }
}
