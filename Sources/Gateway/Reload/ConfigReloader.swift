import Crypto
import Dispatch
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

    private struct FileStamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private struct State {
        var stamp: FileStamp?
        var contentHash: [UInt8] = []
        var signalSource: SignalSourceBox?
        var watcherRunning = false
    }

    private let state = Mutex(State())
    /// Serializes reloads so a signal and a file change never compile concurrently.
    private let reloadLock = Mutex(())
    private let stopWatching = Atomic<Bool>(false)
    private let watcherDone = Atomic<Bool>(true)

    /// Loads `path`, publishes its snapshot in a new store, and returns a reloader for it.
    public static func start(path: String, logger: Logger, audit: (any AuditSink)? = nil) throws(ConfigValidationError) -> ConfigReloader {
        let config = try ConfigLoader.load(path: path)
        let store = PolicyStore(PolicySnapshot(compiling: config))
        let reloader = ConfigReloader(path: path, store: store, logger: logger, audit: audit)
        reloader.state.withLock { state in
            state.stamp = Self.stamp(path)
            state.contentHash = Self.contentHash(path) ?? []
        }
        return reloader
    }

    public init(path: String, store: PolicyStore, logger: Logger, audit: (any AuditSink)? = nil) {
        self.path = path
        self.store = store
        self.logger = logger
        self.audit = audit
    }

    deinit {
        stopWatching.store(true, ordering: .relaxed)
        state.withLock { $0.signalSource?.source.cancel() }
    }

    /// Reads, validates and compiles the file; publishes it if valid, keeps the old policy if not.
    @discardableResult
    public func reload(trigger: ReloadTrigger) -> ReloadOutcome {
        reloadLock.withLock { _ in
            let stamp = Self.stamp(path)
            let hash = Self.contentHash(path) ?? []
            let outcome: ReloadOutcome
            do throws(ConfigValidationError) {
                let config = try ConfigLoader.load(path: path)
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
            report(outcome, trigger: trigger)
            return outcome
        }
    }

    private func report(_ outcome: ReloadOutcome, trigger: ReloadTrigger) {
        let current = store.snapshot.version
        switch outcome {
        case .applied(let version):
            logger.notice("policy reloaded", metadata: ["trigger": "\(trigger.rawValue)", "policy_version": "\(version)"])
            audit?.record(AuditEvent(kind: .policyReloaded, policyVersion: version, message: "trigger=\(trigger.rawValue)"))
        case .unchanged(let version):
            logger.info("policy unchanged", metadata: ["trigger": "\(trigger.rawValue)", "policy_version": "\(version)"])
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

    /// Reloads on `SIGHUP` (or `signalNumber`). The signal is set to be ignored for the default
    /// handler and delivered to a dispatch source on its own queue, off the data path.
    public func installSignalHandler(signalNumber: Int32 = SIGHUP) {
        state.withLock { state in
            guard state.signalSource == nil else { return }
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: DispatchQueue(label: "ringgate.reload.signal"))
            source.setEventHandler { [weak self] in
                self?.reload(trigger: .signal)
            }
            source.resume()
            state.signalSource = SignalSourceBox(source: source)
        }
    }

    /// Stops reacting to the signal.
    public func removeSignalHandler() {
        state.withLock { state in
            state.signalSource?.source.cancel()
            state.signalSource = nil
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

    /// One poll: reloads if the file changed since the last load. Exposed for tests and tools.
    @discardableResult
    public func pollOnce() -> ReloadOutcome? {
        let stamp = Self.stamp(path)
        let previous = state.withLock { ($0.stamp, $0.contentHash) }
        guard stamp != previous.0 else { return nil }
        guard let hash = Self.contentHash(path), hash != previous.1 else {
            state.withLock { $0.stamp = stamp }
            return nil
        }
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

/// Holds the dispatch source (a reference type owned under the reloader's lock).
private struct SignalSourceBox: @unchecked Sendable {
    let source: any DispatchSourceSignal
}
