import CLibURing
import Glibc
import Synchronization

/// Errors starting a ``ProxyServer``.
public enum ProxyServerError: Error, Sendable, CustomStringConvertible {
    /// io_uring was demanded (`.ioUring`) but cannot be used.
    case ioUringUnavailable(SystemError)
    /// A system call failed while setting up listeners or loops.
    case system(SystemError)
    /// The configuration is unusable.
    case invalidConfiguration(String)
    /// ``ProxyServer/start()`` was called twice.
    case alreadyStarted
    /// Another socket (another process, perhaps a second gateway) already listens on a
    /// listener's address; the server refuses to join its SO_REUSEPORT group.
    case addressInUse(listener: String, address: SocketAddress)

    public var description: String {
        switch self {
        case .ioUringUnavailable(let error): "io_uring unavailable: \(error)"
        case .system(let error): "\(error)"
        case .invalidConfiguration(let message): "invalid configuration: \(message)"
        case .alreadyStarted: "server already started"
        case .addressInUse(let listener, let address):
            "listener \(listener): \(address) is already in use by another process (a second gateway?); refusing to share the port"
        }
    }
}

/// A transparent TCP proxy on share-nothing event loops: one thread per loop, each with
/// its own io_uring (or epoll set), buffer pool, slot table and SO_REUSEPORT listener per
/// ``ListenerSpec``.
///
/// ```swift
/// let server = ProxyServer(configuration: config, listeners: specs, accessLog: log)
/// try server.start()                  // binds, picks the backend, starts the loops
/// ...
/// server.shutdown(deadline: .seconds(10))   // stop accepting, drain, then close
/// server.waitUntilStopped()
/// ```
///
/// `Session` is the protocol state machine each connection runs; the loops are specialized
/// on it. ``PassthroughSession`` forwards bytes untouched.
public final class ProxyServer<Session: ProxySession & ~Copyable>: Sendable {
    public let configuration: ProxyConfiguration
    public let listeners: [ListenerSpec]
    private let accessLog: any AccessLog
    private let shared: Session.Shared

    private struct State {
        var started = false
        var backend: IOBackendKind = .epoll
        var backendReason = ""
        var boundAddresses: [SocketAddress] = []
        var statistics: [LoopStatistics] = []
        var controls: [LoopControl] = []
        var waiter: Semaphore?
        var stopped = false
        var startError: ProxyServerError?
    }
    private let state = Mutex(State())
    private let logQueue: LogQueue?

    /// Creates a server; nothing is bound until ``start()``.
    /// - Parameters:
    ///   - configuration: data-plane tuning and backend choice.
    ///   - listeners: the listeners to serve, each with its upstream.
    ///   - accessLog: receives one record per connection and diagnostics, on a logging thread.
    public init(
        configuration: ProxyConfiguration, listeners: [ListenerSpec], accessLog: some AccessLog = NullAccessLog(),
        shared: Session.Shared
    ) {
        self.configuration = configuration
        self.listeners = listeners
        self.accessLog = accessLog
        self.shared = shared
        self.logQueue = try? LogQueue(recordLimit: configuration.accessLogBacklogLimit)
    }

    /// The backend the loops run on (valid after ``start()``).
    public var backend: IOBackendKind { state.withLock { $0.backend } }

    /// Why that backend was chosen, e.g. "io_uring probe failed: EPERM ...".
    public var backendReason: String { state.withLock { $0.backendReason } }

    /// The address each listener is bound to, in ``listeners`` order (ports resolved).
    public var boundAddresses: [SocketAddress] { state.withLock { $0.boundAddresses } }

    /// Per-loop counters.
    public var loopStatistics: [LoopStatistics.Snapshot] { state.withLock { $0.statistics.map(\.snapshot) } }

    /// Binds the listeners, selects the backend and starts the loop threads. Returns once
    /// every loop has set up its ring (or epoll set) and is accepting.
    public func start() throws(ProxyServerError) {
        try state.withLock { state throws(ProxyServerError) in
            guard !state.started else { throw .alreadyStarted }
            state.started = true
        }
        guard let logQueue else { throw .system(SystemError("eventfd", errno: ENOMEM)) }
        try validate()

        let (backend, reason) = try selectBackend()
        let loopCount = configuration.loopCount

        // One SO_REUSEPORT socket per loop per listener. The first bind of a port-0 listener
        // fixes the port for the others.
        // SO_REUSEPORT is shared only among this process's loops: a port someone already
        // listens on is refused, not joined (a port-0 listener always gets a fresh port).
        for listener in listeners where listener.address.port != 0 && Socket.isInUse(listener.address) {
            throw .addressInUse(listener: listener.name, address: listener.address)
        }
        var socketsPerLoop = [[Int32]](repeating: [], count: loopCount)
        var bound: [SocketAddress] = []
        do {
            for listener in listeners {
                var address = listener.address
                for loop in 0..<loopCount {
                    let fd = try Socket.makeListener(address, backlog: configuration.listenBacklog)
                    // Accepted sockets inherit SO_RCVBUF from the listener.
                    Socket.setReceiveBuffer(fd, configuration.socketReceiveBufferSize)
                    if loop == 0, let local = Socket.localAddress(fd) { address = local }
                    socketsPerLoop[loop].append(fd)
                }
                bound.append(address)
            }
        } catch {
            for fds in socketsPerLoop { for fd in fds { close(fd) } }
            throw .system(error)
        }

        var controls: [LoopControl] = []
        var statistics: [LoopStatistics] = []
        for _ in 0..<loopCount {
            let fd = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
            guard fd >= 0 else {
                for fds in socketsPerLoop { for fd in fds { close(fd) } }
                for control in controls { close(control.wakeFD) }
                throw .system(.last("eventfd"))
            }
            controls.append(LoopControl(wakeFD: fd))
            statistics.append(LoopStatistics())
        }

        let access = accessLog
        let queue = logQueue
        let shared = self.shared
        let mailboxes = controls.map {
            SessionMailbox<Session.Event>(capacity: configuration.mailboxCapacity, wakeFD: $0.wakeFD)
        }
        var loopThreads: [NativeThread] = []
        let ready = Semaphore()
        let failures = Mutex<[SystemError]>([])
        let logThread: NativeThread
        do {
            logThread = try NativeThread(name: "ringgate-log") { queue.drain(into: access) }
        } catch {
            for fds in socketsPerLoop { for fd in fds { close(fd) } }
            throw .system(error)
        }
        do {
            for loop in 0..<loopCount {
                let context = LoopContext(
                    index: loop, listeners: listeners, listenerFDs: socketsPerLoop[loop],
                    configuration: configuration, statistics: statistics[loop], control: controls[loop], log: queue)
                loopThreads.append(try NativeThread(name: "ringgate-loop\(loop)") {
                    Self.runLoop(
                        backend: backend, context: context, shared: shared, mailbox: mailboxes[loop],
                        ready: ready, failures: failures)
                })
            }
        } catch {
            // Loops already started exit when asked to; stop them and report.
            for control in controls { Self.requestShutdown(control, deadline: 0) }
            for thread in loopThreads { thread.join() }
            queue.close()
            logThread.join()
            for loop in loopThreads.count..<loopCount { for fd in socketsPerLoop[loop] { close(fd) } }
            throw .system(error)
        }
        for _ in 0..<loopCount { ready.wait() }

        queue.enqueue(.notice("backend \(backend) with \(loopCount) loop\(loopCount == 1 ? "" : "s") (\(reason))"))

        // A joiner thread turns "every loop ended, the log is flushed" into one signal.
        let waiter = Semaphore()
        let joined = loopThreads
        do {
            try NativeThread(name: "ringgate-join") {
                for thread in joined { thread.join() }
                queue.close()
                logThread.join()
                waiter.signal()
            }.detach()
        } catch {
            for control in controls { Self.requestShutdown(control, deadline: 0) }
            for thread in joined { thread.join() }
            queue.close()
            logThread.join()
            throw .system(error)
        }

        let loopFailures = failures.withLock { $0 }
        state.withLock {
            $0.backend = backend
            $0.backendReason = reason
            $0.boundAddresses = bound
            $0.statistics = statistics
            $0.controls = controls
            $0.waiter = waiter
        }
        if let first = loopFailures.first {
            shutdown(deadline: .zero)
            waitUntilStopped()
            throw backend == .ioUring ? .ioUringUnavailable(first) : .system(first)
        }
    }

    /// Starts the server (if needed) and blocks until it has shut down.
    public func run() throws(ProxyServerError) {
        let started = state.withLock { $0.started }
        if !started { try start() }
        waitUntilStopped()
    }

    /// Graceful shutdown: every loop stops accepting at once, lets live connections finish
    /// for up to `deadline`, then closes what is left. Returns immediately; pair with
    /// ``waitUntilStopped()``. Safe to call from any thread, and more than once: a later
    /// call can only bring the deadline forward (`.zero` closes everything now).
    public func shutdown(deadline: Duration) {
        let controls = state.withLock { $0.controls }
        let when = monotonicNanoseconds() &+ deadline.nanoseconds
        for control in controls { Self.requestShutdown(control, deadline: when) }
    }

    /// Blocks until every loop has exited and the access log is flushed.
    public func waitUntilStopped() {
        let waiter = state.withLock { state -> Semaphore? in
            if state.stopped { return nil }
            return state.waiter
        }
        guard let waiter else { return }
        waiter.wait()
        state.withLock { $0.stopped = true }
        // Wake any other thread waiting here.
        waiter.signal()
    }

    private static func requestShutdown(_ control: LoopControl, deadline: UInt64) {
        // Keep the earliest deadline: a second, shorter shutdown request wins.
        let desired = max(deadline, 1)
        var current = control.drainDeadline.load(ordering: .relaxed)
        while current == 0 || desired < current {
            let (exchanged, original) = control.drainDeadline.compareExchange(
                expected: current, desired: desired, ordering: .releasing)
            if exchanged { break }
            current = original
        }
        var one: UInt64 = 1
        _ = write(control.wakeFD, &one, 8)
    }

    private func validate() throws(ProxyServerError) {
        guard !listeners.isEmpty else { throw .invalidConfiguration("no listeners") }
        guard configuration.loopCount >= 1 else { throw .invalidConfiguration("loop count must be at least 1") }
        let buffers = configuration.buffersPerLoop
        guard buffers > 0, buffers <= 32768, buffers & (buffers - 1) == 0 else {
            throw .invalidConfiguration("buffersPerLoop must be a power of two between 1 and 32768")
        }
        guard configuration.bufferSize >= 512, configuration.bufferSize <= 1 << 20 else {
            throw .invalidConfiguration("bufferSize must be between 512 bytes and 1 MiB")
        }
        guard configuration.highWaterMark >= configuration.bufferSize else {
            throw .invalidConfiguration("highWaterMark must be at least one buffer")
        }
        guard configuration.maxConnectionsPerLoop >= 1, configuration.maxConnectionsPerLoop <= 1 << 22 else {
            throw .invalidConfiguration("maxConnectionsPerLoop must be between 1 and 4194304")
        }
    }

    private func selectBackend() throws(ProxyServerError) -> (IOBackendKind, String) {
        switch configuration.backend {
        case .epoll:
            return (.epoll, "forced by configuration")
        case .ioUring:
            switch URingSetup.probe(configuration: configuration) {
            case .success: return (.ioUring, "forced by configuration")
            case .failure(let error): throw .ioUringUnavailable(error)
            }
        case .auto:
            switch URingSetup.probe(configuration: configuration) {
            case .success(let flags):
                let mode = flags & IORING_SETUP_DEFER_TASKRUN != 0 ? "single issuer, deferred task run" : "reduced setup flags"
                return (.ioUring, "auto: io_uring available, \(mode)")
            case .failure(let error):
                return (.epoll, "auto: io_uring unavailable (\(error)), falling back to epoll")
            }
        }
    }

    /// Runs one loop thread. Passthrough is routed to a call site with the concrete type (see
    /// ``LoopRunner``); a protocol session added to the gateway needs the same treatment (see
    /// ``ProxySession``).
    private static func runLoop(
        backend: IOBackendKind, context: LoopContext, shared: Session.Shared, mailbox: SessionMailbox<Session.Event>,
        ready: Semaphore, failures: borrowing Mutex<[SystemError]>
    ) {
        if Session.self == PassthroughSession.self {
            LoopRunner.run(
                PassthroughSession.self, backend: backend, context: context, shared: (),
                mailbox: unsafeBitCast(mailbox, to: SessionMailbox<Never>.self), ready: ready, failures: failures)
        } else if Session.self == TLSRelaySession.self {
            LoopRunner.run(
                TLSRelaySession.self, backend: backend, context: context,
                shared: unsafeBitCast(shared, to: TLSRelayConfiguration.self),
                mailbox: unsafeBitCast(mailbox, to: SessionMailbox<Never>.self), ready: ready, failures: failures)
        } else {
            LoopRunner.run(
                Session.self, backend: backend, context: context, shared: shared, mailbox: mailbox,
                ready: ready, failures: failures)
        }
    }
}

/// Creates and runs a loop on the calling thread.
///
/// The loops are internal generics; the optimizer specializes them only where every generic
/// parameter is concrete. This runner is deliberately outside the generic ``ProxyServer``: a
/// generic method there would also depend on the server's `Session` parameter, which Swift
/// does not partially specialize, and the loops would run unspecialized, looking up type
/// metadata on every slot access. `perf/gate.sh` checks the release binary for the
/// specialized loops.
enum LoopRunner {
    static func run<S: ProxySession & ~Copyable>(
        _ session: S.Type, backend: IOBackendKind, context: LoopContext, shared: S.Shared,
        mailbox: SessionMailbox<S.Event>, ready: Semaphore, failures: borrowing Mutex<[SystemError]>
    ) {
        switch backend {
        case .ioUring:
            do {
                var loop = try URingLoop<S>(context: context, shared: shared, mailbox: mailbox)
                ready.signal()
                loop.run()
            } catch {
                failures.withLock { $0.append(error) }
                for fd in context.listenerFDs { close(fd) }
                ready.signal()
            }
        case .epoll:
            do {
                var loop = try EpollLoop<S>(context: context, shared: shared, mailbox: mailbox)
                ready.signal()
                loop.run()
            } catch {
                failures.withLock { $0.append(error) }
                for fd in context.listenerFDs { close(fd) }
                ready.signal()
            }
        }
    }
}

extension ProxyServer where Session.Shared == Void {
    /// A server whose sessions share nothing (a transparent TCP proxy).
    public convenience init(configuration: ProxyConfiguration, listeners: [ListenerSpec]) {
        self.init(configuration: configuration, listeners: listeners, accessLog: NullAccessLog(), shared: ())
    }

    /// A server whose sessions share nothing, with an access log.
    public convenience init(configuration: ProxyConfiguration, listeners: [ListenerSpec], accessLog: some AccessLog) {
        self.init(configuration: configuration, listeners: listeners, accessLog: accessLog, shared: ())
    }
}
