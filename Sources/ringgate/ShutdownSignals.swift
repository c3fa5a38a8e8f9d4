import Glibc
import IOCore

/// SIGTERM and SIGINT, for commands that run until told to stop (`serve`, `forward`).
///
/// The signals are blocked in the main thread before any other thread exists, so every
/// thread the process starts later (event loops, the concurrency runtime's pool) inherits the
/// mask and only the command's `sigwait` receives them. Commands that do not wait for them get
/// the default disposition back right after parsing.
enum ShutdownSignals {
    /// The set: SIGTERM and SIGINT.
    static var set: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        return signals
    }

    /// Blocks the set in the calling thread and ignores SIGPIPE (writes to a closed socket
    /// report EPIPE instead of killing the process).
    static func block() {
        var signals = set
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Restores delivery of the set to the calling thread.
    static func unblock() {
        var signals = set
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Waits for one signal of the set and returns its number.
    static func wait() -> Int32 {
        var signals = set
        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
        return received
    }
}

extension ShutdownSignals {
    /// Runs `body` on a detached thread once the next signal of the set arrives (a second
    /// SIGTERM/SIGINT during a drain closes what is left at once).
    static func onNextSignal(_ body: @escaping @Sendable () -> Void) {
        _ = try? NativeThread(name: "ringgate-signal") {
            _ = wait()
            body()
        }.detach()
    }
}

/// A command that waits for ``ShutdownSignals`` itself. `SendableMetatype`: its conformances
/// are never actor-isolated, so testing a parsed command for it does not tie the command to
/// the main actor (which made running it an unsafe send).
protocol OwnsShutdownSignals: SendableMetatype {}
