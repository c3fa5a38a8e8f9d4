import Synchronization

/// Wakes waiters for the change feed. A waiter passes the generation it saw before looking
/// for changes, so a signal between looking and waiting is never lost.
final class ChangeSignal: Sendable {
    private enum Waiter {
        /// Allocated, not yet suspended.
        case arriving
        /// Timed out or cancelled before it suspended.
        case woken
        case suspended(CheckedContinuation<Void, Never>)
    }

    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// Bumped by every ``signal()``.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Waiters suspended right now (tests use it to know a waiter is waiting).
    var suspendedWaiters: Int {
        state.withLock { state in
            state.waiters.values.reduce(0) { count, waiter in
                if case .suspended = waiter { return count + 1 }
                return count
            }
        }
    }

    /// Wakes every waiter.
    func signal() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters {
                guard case .suspended(let continuation) = waiter else { continue }
                woken.append(continuation)
                state.waiters[id] = .woken
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns at the next signal after `generation` (at once if there was one), after
    /// `timeout`, or when the task is cancelled.
    func wait(after generation: UInt64, timeout: Duration) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            state.waiters[state.nextWaiter] = .arriving
            return state.nextWaiter
        }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.wake(id)
        }
        defer {
            timer.cancel()
            _ = state.withLock { $0.waiters.removeValue(forKey: id) }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let suspended = state.withLock { state -> Bool in
                    guard case .arriving = state.waiters[id], state.generation == generation else { return false }
                    state.waiters[id] = .suspended(continuation)
                    return true
                }
                if !suspended { continuation.resume() }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state.waiters[id] {
            case .suspended(let continuation):
                state.waiters[id] = .woken
                return continuation
            case .arriving:
                state.waiters[id] = .woken
                return nil
            case .woken, nil:
                return nil
            }
        }
        continuation?.resume()
    }
}
