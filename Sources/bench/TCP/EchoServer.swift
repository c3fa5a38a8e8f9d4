import CLibURing

#if canImport(Glibc)
import Glibc
#endif

/// The upstream of every target: a single-threaded, non-blocking epoll echo server on a
/// loopback port, running on its own thread inside the bench process.
///
/// Every byte read is written straight back from one shared buffer; only when a write would
/// block does a connection get a pending buffer (and stop being read until it drains), so the
/// ping-pong fast path is one `read` and one `write` per message with no allocation.
final class EchoServer: @unchecked Sendable {
    /// The port it listens on, `127.0.0.1` only.
    let port: UInt16

    private let listenFD: Int32
    private let epollFD: Int32
    private let wakeFD: Int32
    private var thread: pthread_t?

    /// Binds a free loopback port and starts the server thread.
    init() throws {
        let (listenFD, port) = try LoopbackSocket.listen()
        self.listenFD = listenFD
        self.port = port
        self.epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        self.wakeFD = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard epollFD >= 0, wakeFD >= 0 else {
            let error = SystemError("epoll_create1/eventfd")
            Glibc.close(listenFD)
            throw error
        }
        try LoopbackSocket.setNonBlocking(listenFD)
        try EchoLoop.add(epollFD: epollFD, fd: listenFD, events: EPOLLIN.rawValue)
        try EchoLoop.add(epollFD: epollFD, fd: wakeFD, events: EPOLLIN.rawValue)

        let loop = EchoLoop(listenFD: listenFD, epollFD: epollFD, wakeFD: wakeFD)
        let context = Unmanaged.passRetained(loop).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            let loop = Unmanaged<EchoLoop>.fromOpaque(context).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<EchoLoop>.fromOpaque(context).release()
            throw SystemError("pthread_create", errno: created)
        }
        self.thread = thread
    }

    /// Stops the loop, joins its thread and closes every socket it owned.
    func stop() {
        guard let thread else { return }
        self.thread = nil
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
        pthread_join(thread, nil)
        Glibc.close(wakeFD)
        Glibc.close(epollFD)
        Glibc.close(listenFD)
    }

    deinit { stop() }
}

/// The state owned by the echo thread alone.
private final class EchoLoop {
    private static let bufferSize = 64 * 1024
    private static let maxEvents = 256

    private let listenFD: Int32
    private let epollFD: Int32
    private let wakeFD: Int32
    /// Bytes a connection still owes its peer after a write would have blocked.
    private var pending: [Int32: PendingBytes] = [:]
    private var open: Set<Int32> = []

    init(listenFD: Int32, epollFD: Int32, wakeFD: Int32) {
        self.listenFD = listenFD
        self.epollFD = epollFD
        self.wakeFD = wakeFD
    }

    static func add(epollFD: Int32, fd: Int32, events: UInt32) throws {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl(ADD)") }
    }

    private func modify(_ fd: Int32, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    func run() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Self.maxEvents)
        defer {
            for fd in open { Glibc.close(fd) }
            for bytes in pending.values { bytes.deallocate() }
            buffer.deallocate()
            events.deallocate()
        }
        while true {
            let count = epoll_wait(epollFD, events, Int32(Self.maxEvents), -1)
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            for index in 0..<Int(count) {
                let fd = events[index].data.fd
                let flags = events[index].events
                if fd == wakeFD { return }
                if fd == listenFD {
                    acceptAll()
                } else if flags & EPOLLOUT.rawValue != 0 {
                    flush(fd)
                } else {
                    echo(fd, buffer: buffer)
                }
            }
        }
    }

    private func acceptAll() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 { return }  // EAGAIN, or a transient error: epoll reports the next one
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard (try? LoopbackSocket.setNonBlocking(fd)) != nil else {
                Glibc.close(fd)
                continue
            }
            LoopbackSocket.setNoDelay(fd)
            do {
                try Self.add(epollFD: epollFD, fd: fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
                open.insert(fd)
            } catch {
                Glibc.close(fd)
            }
        }
    }

    /// Reads what is there and writes it straight back; parks the rest when the write blocks.
    private func echo(_ fd: Int32, buffer: UnsafeMutableRawPointer) {
        let received = read(fd, buffer, Self.bufferSize)
        if received <= 0 {
            if received < 0, errno == EAGAIN || errno == EINTR { return }
            drop(fd)
            return
        }
        var sent = 0
        while sent < received {
            let written = write(fd, buffer + sent, received - sent)
            if written > 0 {
                sent += written
            } else if written < 0, errno == EINTR {
                continue
            } else if written < 0, errno == EAGAIN {
                let rest = PendingBytes(copying: UnsafeRawBufferPointer(start: buffer + sent, count: received - sent))
                pending[fd] = rest
                modify(fd, events: EPOLLOUT.rawValue)
                return
            } else {
                drop(fd)
                return
            }
        }
    }

    /// Writes parked bytes; goes back to reading once they are all out.
    private func flush(_ fd: Int32) {
        guard let bytes = pending[fd] else {
            modify(fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
            return
        }
        while bytes.remaining > 0 {
            let written = write(fd, bytes.start, bytes.remaining)
            if written > 0 {
                bytes.consume(written)
            } else if written < 0, errno == EINTR {
                continue
            } else if written < 0, errno == EAGAIN {
                return
            } else {
                drop(fd)
                return
            }
        }
        pending[fd] = nil
        bytes.deallocate()
        modify(fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
    }

    private func drop(_ fd: Int32) {
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        Glibc.close(fd)
        open.remove(fd)
        if let bytes = pending.removeValue(forKey: fd) { bytes.deallocate() }
    }
}

/// A heap copy of bytes a blocked write still has to send (rare: only under backpressure).
private final class PendingBytes {
    private let storage: UnsafeMutableRawPointer
    private var offset = 0
    private(set) var remaining: Int

    init(copying bytes: UnsafeRawBufferPointer) {
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        if let base = bytes.baseAddress { storage.copyMemory(from: base, byteCount: bytes.count) }
        remaining = bytes.count
    }

    var start: UnsafeRawPointer { UnsafeRawPointer(storage) + offset }

    func consume(_ count: Int) {
        offset += count
        remaining -= count
    }

    func deallocate() { storage.deallocate() }
}
