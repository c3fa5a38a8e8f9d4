import Histogram

import CAllocCounter
import CLibURing
import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// Counts from one timed stretch of ping-pong.
struct PingPongRun {
    /// Round trips completed in the stretch.
    var roundTrips: UInt64
    /// Wall time of the stretch, from its start to the last completion seen, in nanoseconds.
    var elapsedNanoseconds: UInt64
    /// Heap allocations the client thread made inside `SSL_read`/`SSL_write` (0 for plaintext).
    var tlsLibraryAllocations: UInt64 = 0
}

/// A closed-loop load generator: one thread drives `connections` TCP connections through epoll,
/// each with exactly one 64-byte message outstanding. A round trip is timed from just before the
/// message is written to the moment its full echo has been read, with raw `CLOCK_MONOTONIC`.
///
/// All state lives in buffers allocated up front; the measured loop allocates nothing. Each echo
/// is compared with what was sent (a per-connection sequence number leads every message), so a
/// target that corrupts, reorders or drops bytes fails the run instead of producing numbers.
///
/// With a ``TLSClientContext`` every connection runs its TLS handshake at set-up (not measured),
/// and the loop writes and reads through `SSL_write`/`SSL_read` on the same non-blocking
/// sockets. OpenSSL keeps its record buffers between calls and takes its small per-record blocks
/// from COpenSSLMemory's per-thread cache, so that loop makes no heap allocation either; the
/// allocations inside `SSL_read`/`SSL_write` are counted apart, to tell whose they would be.
final class PingPongClient {
    /// Bytes in every message.
    static let messageSize = 64
    /// A run fails when no echo at all arrives for this long.
    static let stallNanoseconds: UInt64 = 5_000_000_000

    let connections: Int
    private let epollFD: Int32
    private let fds: UnsafeMutablePointer<Int32>
    /// Each connection's TLS session; nil throughout for plaintext.
    private let sessions: UnsafeMutablePointer<OpaquePointer?>
    private let sentAt: UnsafeMutablePointer<UInt64>
    private let received: UnsafeMutablePointer<Int>
    private let sequence: UnsafeMutablePointer<UInt64>
    private let outbound: UnsafeMutableRawPointer
    private let inbound: UnsafeMutableRawPointer
    private let events: UnsafeMutablePointer<epoll_event>
    private var openCount = 0
    /// Allocations counted inside OpenSSL calls since the current `run` began.
    private var tlsLibraryAllocations: UInt64 = 0
    private var started = false

    /// Opens `connections` connections to `127.0.0.1:port`, with a TLS handshake on each when
    /// `tls` is given (connection set-up is not measured).
    init(port: UInt16, connections: Int, tls: TLSClientContext? = nil) throws {
        guard connections > 0, connections <= 10_000 else {
            throw BenchError("connections must be between 1 and 10000, got \(connections)")
        }
        self.connections = connections
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SystemError("epoll_create1") }
        fds = .allocate(capacity: connections)
        fds.initialize(repeating: -1, count: connections)
        sessions = .allocate(capacity: connections)
        sessions.initialize(repeating: nil, count: connections)
        sentAt = .allocate(capacity: connections)
        sentAt.initialize(repeating: 0, count: connections)
        received = .allocate(capacity: connections)
        received.initialize(repeating: 0, count: connections)
        sequence = .allocate(capacity: connections)
        sequence.initialize(repeating: 0, count: connections)
        outbound = .allocate(byteCount: connections * Self.messageSize, alignment: 64)
        inbound = .allocate(byteCount: connections * Self.messageSize, alignment: 64)
        events = .allocate(capacity: connections)
        for index in 0..<connections {
            let message = outbound + index * Self.messageSize
            message.initializeMemory(as: UInt8.self, repeating: 0xA5, count: Self.messageSize)
            message.storeBytes(of: UInt64(index).littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        do {
            for index in 0..<connections {
                let fd = try LoopbackSocket.connect(port: port)
                fds[index] = fd
                openCount += 1
                try LoopbackSocket.setNonBlocking(fd)
                if let tls { sessions[index] = try tls.handshake(fd: fd) }
                var event = epoll_event()
                event.events = EPOLLIN.rawValue
                event.data.u64 = UInt64(index)
                guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl(ADD)") }
            }
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    /// Sends the first message on every connection. Call once, before the first `run`.
    func start() throws {
        guard !started else { return }
        started = true
        for index in 0..<connections { try send(index) }
    }

    /// Drives the ping-pong for `nanoseconds`; records every completed round trip's latency (ns)
    /// into `histogram` when `recording` is true. Messages stay outstanding between runs, so a
    /// warm-up run flows straight into the measured one.
    func run(nanoseconds: UInt64, recording: Bool, into histogram: inout Histogram<UInt64>) throws -> PingPongRun {
        let begin = MonotonicClock.nanoseconds()
        let deadline = begin &+ nanoseconds
        var now = begin
        var lastProgress = begin
        var roundTrips: UInt64 = 0
        tlsLibraryAllocations = 0
        while now < deadline {
            let ready = epoll_wait(epollFD, events, Int32(connections), 100)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SystemError("epoll_wait")
            }
            if ready == 0 {
                now = MonotonicClock.nanoseconds()
                if now &- lastProgress > Self.stallNanoseconds {
                    throw BenchError("no echo for 5 s on \(connections) connection(s): the target stalled")
                }
                continue
            }
            for slot in 0..<Int(ready) {
                let index = Int(truncatingIfNeeded: events[slot].data.u64)
                guard try receive(index) else { continue }
                now = MonotonicClock.nanoseconds()
                if recording { histogram.record(now &- sentAt[index]) }
                roundTrips &+= 1
                try send(index)
            }
            lastProgress = now
        }
        return PingPongRun(
            roundTrips: roundTrips, elapsedNanoseconds: now &- begin, tlsLibraryAllocations: tlsLibraryAllocations)
    }

    /// Stops sending, waits up to `timeoutNanoseconds` for the echoes still in flight, then
    /// closes every connection, so a proxy sees orderly closes rather than resets.
    func finish(timeoutNanoseconds: UInt64 = 500_000_000) {
        if started {
            var outstanding = connections
            let deadline = MonotonicClock.nanoseconds() &+ timeoutNanoseconds
            while outstanding > 0, MonotonicClock.nanoseconds() < deadline {
                let ready = epoll_wait(epollFD, events, Int32(connections), 50)
                if ready <= 0 { continue }
                for slot in 0..<Int(ready) {
                    let index = Int(truncatingIfNeeded: events[slot].data.u64)
                    if (try? receive(index)) != false {
                        outstanding -= 1
                        epoll_ctl(epollFD, EPOLL_CTL_DEL, fds[index], nil)
                    }
                }
            }
            started = false
        }
        release()
    }

    /// Reads what has arrived for connection `index`; true once its whole echo is in (and checked).
    @inline(__always)
    private func receive(_ index: Int) throws -> Bool {
        if let session = sessions[index] { return try receive(index, over: session) }
        let offset = index * Self.messageSize
        let already = received[index]
        let count = read(fds[index], inbound + offset + already, Self.messageSize - already)
        if count > 0 {
            let total = already + count
            guard total == Self.messageSize else {
                received[index] = total
                return false
            }
            received[index] = 0
            guard memcmp(inbound + offset, outbound + offset, Self.messageSize) == 0 else {
                throw BenchError("connection \(index): the echo differs from the message sent (corrupted or reordered bytes)")
            }
            return true
        }
        if count < 0, errno == EAGAIN || errno == EINTR { return false }
        if count == 0 { throw BenchError("connection \(index): the target closed the connection") }
        throw SystemError("read on connection \(index)")
    }

    /// Writes the next message of connection `index` (a new sequence number) and stamps its start.
    @inline(__always)
    private func send(_ index: Int) throws {
        let message = outbound + index * Self.messageSize
        sequence[index] &+= 1
        message.storeBytes(of: sequence[index].littleEndian, as: UInt64.self)
        var written = 0
        sentAt[index] = MonotonicClock.nanoseconds()
        if let session = sessions[index] { return try send(index, message, over: session) }
        while written < Self.messageSize {
            let count = write(fds[index], message + written, Self.messageSize - written)
            if count > 0 {
                written += count
            } else if count < 0, errno == EINTR {
                continue
            } else if count < 0, errno == EAGAIN {
                var waitFor = pollfd(fd: fds[index], events: Int16(POLLOUT), revents: 0)
                _ = poll(&waitFor, 1, 1000)
            } else {
                throw SystemError("write on connection \(index)")
            }
        }
    }

    /// `receive` over TLS: reads records until the echo is complete or the socket is drained
    /// (a record's rest may already sit in OpenSSL's buffer, where epoll cannot see it).
    @inline(__always)
    private func receive(_ index: Int, over session: OpaquePointer) throws -> Bool {
        let offset = index * Self.messageSize
        while true {
            let already = received[index]
            let before = rg_thread_allocation_count()
            let count = SSL_read(session, inbound + offset + already, Int32(Self.messageSize - already))
            tlsLibraryAllocations &+= rg_thread_allocation_count() &- before
            if count > 0 {
                let total = already + Int(count)
                guard total == Self.messageSize else {
                    received[index] = total
                    continue
                }
                received[index] = 0
                guard memcmp(inbound + offset, outbound + offset, Self.messageSize) == 0 else {
                    throw BenchError("connection \(index): the echo differs from the message sent (corrupted or reordered bytes)")
                }
                return true
            }
            switch SSL_get_error(session, count) {
            case SSL_ERROR_WANT_READ: return false
            case SSL_ERROR_WANT_WRITE: Self.waitWritable(fds[index])
            case SSL_ERROR_ZERO_RETURN: throw BenchError("connection \(index): the target closed the TLS session")
            case let error: throw TLSError.io("SSL_read", connection: index, result: error)
            }
        }
    }

    /// `send` over TLS: one record per message; a blocked `SSL_write` is retried with the same
    /// arguments, as OpenSSL requires.
    @inline(__always)
    private func send(_ index: Int, _ message: UnsafeMutableRawPointer, over session: OpaquePointer) throws {
        while true {
            let before = rg_thread_allocation_count()
            let count = SSL_write(session, message, Int32(Self.messageSize))
            tlsLibraryAllocations &+= rg_thread_allocation_count() &- before
            if count > 0 { return }
            switch SSL_get_error(session, count) {
            case SSL_ERROR_WANT_WRITE: Self.waitWritable(fds[index])
            case SSL_ERROR_WANT_READ:
                var waitFor = pollfd(fd: fds[index], events: Int16(POLLIN), revents: 0)
                _ = poll(&waitFor, 1, 1000)
            case let error: throw TLSError.io("SSL_write", connection: index, result: error)
            }
        }
    }

    private static func waitWritable(_ fd: Int32) {
        var waitFor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&waitFor, 1, 1000)
    }

    private func release() {
        guard openCount >= 0 else { return }
        for index in 0..<connections {
            if let session = sessions[index] { TLSClientContext.close(session) }
            sessions[index] = nil
        }
        for index in 0..<connections where fds[index] >= 0 {
            LoopbackSocket.close(fds[index])
            fds[index] = -1
        }
        openCount = -1
        Glibc.close(epollFD)
        fds.deallocate()
        sessions.deallocate()
        sentAt.deallocate()
        received.deallocate()
        sequence.deallocate()
        outbound.deallocate()
        inbound.deallocate()
        events.deallocate()
    }
}
