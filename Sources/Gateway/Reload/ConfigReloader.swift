import Crypto
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a reload attempt did.
public enum ReloadOutcome: Sendable, Equatable {
    /// A new snapshot with this version is now in force.
    case applied(version: String)
    /// The configuration compiled to the policy already in force.
    case unchanged(version: String)
    /// The configuration failed validation; the previous policy stays in force.
    case rejected([ConfigDiagnostic])
}

/// What asked for a reload (logged and audited).
public enum ReloadTrigger: String, Sendable {
    case signal = "SIGHUP"
    case fileChange = "file-change"
    case api
}

/// Loads the configuration file into a ``PolicyStore`` on request: SIGHUP, a changed file, or
/// a direct call (the control API). Runs entirely off the data path, on its own threads.
public final class ConfigReloader: Sendable {
    public let path: String
    public let store: PolicyStore
    private let logger: Logger
    private let audit: (any AuditSink)?
    /// Called with every configuration that loaded and validated (also when its policy did not
    /// change: the revocation file or a JWKS file may have), on the reloading thread.
    private let configurationLoaded = Mutex<(@Sendable (GatewayConfiguration) -> Void)?>(nil)
    fileprivate let pollHook = Mutex<(@Sendable () -> Void)?>(nil)
    /// The configuration the listeners were started with (the store's first snapshot).
    private let running: GatewayConfiguration
    private let restartRequired = Mutex(RestartRequiredChanges(items: []))

    /// What the last successful load changed that needs a restart to take effect (empty when
    /// the running listeners match the file).
    public var pendingRestart: RestartRequiredChanges { restartRequired.withLock { $0 } }

    /// Sets what runs after each successful load (identity verifiers are rebuilt there).
    public func onConfigurationLoaded(_ body: @escaping @Sendable (GatewayConfiguration) -> Void) {
        configurationLoaded.withLock { $0 = body }
    }

    /// Calls `body` on the watcher thread at every poll (other files to watch: certificates).
    public func onPoll(_ body: @escaping @Sendable () -> Void) {
        pollHook.withLock { $0 = body }
    }

    fileprivate struct FileStamp: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private struct State {
        var stamp: FileStamp?
        var contentHash: [UInt8] = []
        /// A change seen by the last poll and not yet loaded: loaded only if the next poll sees
        /// the same stamp and content (the writer has finished).
        var pending: (stamp: FileStamp?, hash: [UInt8])?
        var signalInstalled = false
        var signalNumber: Int32 = SIGHUP
        var watcherRunning = false
    }

    private let state = Mutex(State())
    /// Serializes reloads so a signal and a file change never compile concurrently.
    private let reloadLock = Mutex(())
    private let stopWatching = Atomic<Bool>(false)
    private let watcherDone = Atomic<Bool>(true)

    /// A configuration file as read at one moment: the typed configuration and the file's
    /// identity (stat stamp and content hash) taken *before* reading, so an edit racing the read
    /// is seen by the next poll rather than lost.
    public struct LoadedFile: Sendable {
        public let path: String
        public let configuration: GatewayConfiguration
        fileprivate let stamp: FileStamp?
        fileprivate let contentHash: [UInt8]
    }

    /// Reads and validates `path` once; hand the result to ``init(loaded:logger:audit:)``.
    public static func readFile(path: String) throws(ConfigValidationError) -> LoadedFile {
        let stamp = Self.stamp(path)
        let hash = Self.contentHash(path) ?? []
        let configuration = try ConfigLoader.load(path: path)
        return LoadedFile(path: path, configuration: configuration, stamp: stamp, contentHash: hash)
    }

    /// Loads `path`, publishes its snapshot in a new store, and returns a reloader for it.
    public static func start(path: String, logger: Logger, audit: (any AuditSink)? = nil) throws(ConfigValidationError) -> ConfigReloader {
        ConfigReloader(loaded: try readFile(path: path), logger: logger, audit: audit)
    }

    /// A reloader whose store starts with the snapshot compiled from `loaded`, and whose file
    /// watcher treats `loaded` as the version already in force (no redundant first reload).
    public convenience init(loaded: LoadedFile, logger: Logger, audit: (any AuditSink)? = nil) {
        self.init(
            path: loaded.path, store: PolicyStore(PolicySnapshot(compiling: loaded.configuration)), logger: logger,
            audit: audit)
        state.withLock { state in
            state.stamp = loaded.stamp
            state.contentHash = loaded.contentHash
        }
    }

    public init(path: String, store: PolicyStore, logger: Logger, audit: (any AuditSink)? = nil) {
        self.path = path
        self.store = store
        self.running = store.snapshot.configuration
        self.logger = logger
        self.audit = audit
    }

    deinit {
        stopWatching.store(true, ordering: .relaxed)
        removeSignalHandler()
    }

    /// Reads, validates and compiles the file; publishes it if valid, keeps the old policy if not.
    @discardableResult
    public func reload(trigger: ReloadTrigger) -> ReloadOutcome {
        reloadLock.withLock { _ in
            let stamp = Self.stamp(path)
            let hash = Self.contentHash(path) ?? []
            let outcome: ReloadOutcome
            var restart: RestartRequiredChanges?
            do throws(ConfigValidationError) {
                let config = try ConfigLoader.load(path: path)
                if let body = configurationLoaded.withLock({ $0 }) { body(config) }
                let changes = RestartRequiredChanges.between(running, config)
                restartRequired.withLock { $0 = changes }
                restart = changes
                let snapshot = PolicySnapshot(compiling: config)
                if snapshot.version == store.snapshot.version {
                    outcome = .unchanged(version: snapshot.version)
                } else {
                    store.publish(snapshot)
                    outcome = .applied(version: snapshot.version)
                }
            } catch {
                outcome = .rejected(error.diagnostics)
            }
            state.withLock { state in
                state.stamp = stamp
                state.contentHash = hash
            }
            report(outcome, trigger: trigger, restart: restart ?? RestartRequiredChanges(items: []))
            return outcome
        }
    }

    /// Logs and audits a reload. Settings that need a restart are logged as a warning and named
    /// in the `policy_reloaded` event's message (`restart_required=...`), also when the policy
    /// itself did not change.
    private func report(_ outcome: ReloadOutcome, trigger: ReloadTrigger, restart: RestartRequiredChanges) {
        let current = store.snapshot.version
        var message = "trigger=\(trigger.rawValue)"
        if !restart.isEmpty {
            message += "; restart_required=\(restart.summary)"
            logger.warning(
                "reloaded configuration changes settings that need a restart; they are not applied",
                metadata: ["trigger": "\(trigger.rawValue)", "restart_required": "\(restart.summary)"])
        }
        switch outcome {
        case .applied(let version):
            logger.notice("policy reloaded", metadata: ["trigger": "\(trigger.rawValue)", "policy_version": "\(version)"])
            audit?.record(AuditEvent(kind: .policyReloaded, policyVersion: version, message: message))
        case .unchanged(let version):
            logger.info("policy unchanged", metadata: ["trigger": "\(trigger.rawValue)", "policy_version": "\(version)"])
            if !restart.isEmpty { audit?.record(AuditEvent(kind: .policyReloaded, policyVersion: version, message: message)) }
        case .rejected(let diagnostics):
            logger.error(
                "configuration rejected; previous policy stays in force",
                metadata: [
                    "trigger": "\(trigger.rawValue)", "policy_version": "\(current)",
                    "errors": "\(diagnostics.map(\.description).joined(separator: "; "))",
                ])
            audit?.record(
                AuditEvent(
                    kind: .policyRejected, policyVersion: current,
                    message: diagnostics.map(\.description).joined(separator: "\n")))
        }
    }

    // MARK: SIGHUP

    /// Reloads on `SIGHUP` (or `signalNumber`). The handler only writes a byte to a pipe
    /// (async-signal-safe); a dedicated thread reads the pipe and reloads, off the data path.
    /// One reloader per process owns the signal; installing again is a no-op.
    public func installSignalHandler(signalNumber: Int32 = SIGHUP) {
        let alreadyInstalled = state.withLock { state in
            defer { state.signalInstalled = true }
            return state.signalInstalled
        }
        guard !alreadyInstalled else { return }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            logger.error("cannot create the reload signal pipe", metadata: ["errno": "\(errno)"])
            state.withLock { $0.signalInstalled = false }
            return
        }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        let readEnd = fds[0]
        guard reloadSignalPipe.compareExchange(expected: -1, desired: fds[1], ordering: .acquiringAndReleasing).exchanged else {
            logger.error("another configuration reloader already handles the reload signal")
            close(fds[0])
            close(fds[1])
            state.withLock { $0.signalInstalled = false }
            return
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = reloadSignalHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(signalNumber, &action, nil)
        let thread = Thread { [weak self] in
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count < 0, errno == EINTR { continue }
                if count <= 0 || byte == 0 { break }
                // Coalesce a burst of signals into one reload.
                self?.reload(trigger: .signal)
            }
            close(readEnd)
        }
        thread.name = "ringgate.reload.signal"
        thread.start()
        state.withLock { $0.signalNumber = signalNumber }
    }

    /// Restores the default disposition of the signal and stops the signal thread.
    public func removeSignalHandler() {
        let number = state.withLock { state -> Int32? in
            defer { state.signalInstalled = false }
            return state.signalInstalled ? state.signalNumber : nil
        }
        guard let number else { return }
        signal(number, SIG_DFL)
        let writeEnd = reloadSignalPipe.exchange(-1, ordering: .acquiringAndReleasing)
        if writeEnd >= 0 {
            var stop: UInt8 = 0
            _ = write(writeEnd, &stop, 1)
            close(writeEnd)
        }
    }

    // MARK: File watching

    /// Polls the file every `interval` on a dedicated thread; a change of inode, size or
    /// modification time followed by a change of content hash triggers a reload.
    public func startWatching(interval: Duration = .seconds(1)) {
        let alreadyRunning = state.withLock { state in
            defer { state.watcherRunning = true }
            return state.watcherRunning
        }
        guard !alreadyRunning else { return }
        stopWatching.store(false, ordering: .relaxed)
        watcherDone.store(false, ordering: .relaxed)
        let micros = max(1_000, interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
        let thread = Thread { [weak self] in
            while let reloader = self, !reloader.stopWatching.load(ordering: .relaxed) {
                reloader.pollOnce()
                if let hook = reloader.pollHook.withLock({ $0 }) { hook() }
                usleep(UInt32(clamping: micros))
            }
            self?.watcherDone.store(true, ordering: .relaxed)
        }
        thread.name = "ringgate.reload.watch"
        thread.start()
    }

    /// Stops the polling thread (returns once it has finished).
    public func stopWatchingFile() {
        stopWatching.store(true, ordering: .relaxed)
        while !watcherDone.load(ordering: .relaxed) { usleep(1_000) }
        state.withLock { $0.watcherRunning = false }
    }

    /// One poll: reloads if the file changed since the last load *and* is unchanged since the
    /// previous poll (same stat stamp and content), so a file still being written is never
    /// loaded half-way. A change is therefore applied on the second poll that sees it; writing
    /// the new file elsewhere and renaming it over the old one publishes it atomically.
    /// Exposed for tests and tools.
    @discardableResult
    public func pollOnce() -> ReloadOutcome? {
        let stamp = Self.stamp(path)
        let previous = state.withLock { ($0.stamp, $0.contentHash) }
        guard stamp != previous.0 else {
            state.withLock { $0.pending = nil }
            return nil
        }
        guard let hash = Self.contentHash(path), hash != previous.1 else {
            state.withLock {
                $0.stamp = stamp
                $0.pending = nil
            }
            return nil
        }
        let settled = state.withLock { state -> Bool in
            if let pending = state.pending, pending.stamp == stamp, pending.hash == hash {
                state.pending = nil
                return true
            }
            state.pending = (stamp, hash)
            return false
        }
        guard settled else { return nil }
        return reload(trigger: .fileChange)
    }

    private static func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
    }

    private static func contentHash(_ path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Array(SHA256.hash(data: data))
    }
}

/// Write end of the pipe the reload signal handler writes to (-1: none installed).
private let reloadSignalPipe = Atomic<Int32>(-1)

/// The signal handler: async-signal-safe (an atomic load and a non-blocking write).
private func reloadSignalHandler(_: Int32) {
    let savedErrno = errno
    let fd = reloadSignalPipe.load(ordering: .acquiring)
    if fd >= 0 {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }
    errno = savedErrno
}
