import CLibURing
import Glibc

/// A joinable pthread running one closure (loop threads, the logging thread).
package struct NativeThread: @unchecked Sendable {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private let handle: pthread_t

    /// Starts a thread named `name` (at most 15 bytes are kept) running `body`.
    package init(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let box = Unmanaged<Box>.fromOpaque(argument).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError("pthread_create", errno: rc)
        }
        _ = rg_set_thread_name(thread, String(name.utf8.prefix(15)) ?? "ringgate")
        handle = thread
    }

    /// Lets the thread clean up after itself; it can no longer be joined.
    package func detach() {
        pthread_detach(handle)
    }

    /// Waits for the thread to end.
    package func join() {
        pthread_join(handle, nil)
    }
}

/// A counting semaphore for start-up hand-shakes (not for the data path).
final class Semaphore: @unchecked Sendable {
    private let storage = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() { sem_init(storage, 0, 0) }

    deinit {
        sem_destroy(storage)
        storage.deallocate()
    }

    func signal() { sem_post(storage) }

    func wait() {
        while sem_wait(storage) != 0 {}
    }
}
