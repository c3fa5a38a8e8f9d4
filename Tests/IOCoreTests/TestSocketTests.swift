import Glibc
import Synchronization
import Testing
@testable import IOCore

/// The test client itself: the data-path tests depend on it not failing for reasons of its own.
@Suite struct TestSocketTests {
    /// A signal during a blocking connect (the reload tests SIGHUP the whole test process) is
    /// not a failed connect: the client waits for the handshake the kernel carries on with.
    @Test func connectSurvivesASignalWhileBlocked() throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART  // as the gateway's own SIGHUP handler: connect with a timeout is still not restarted
        sigaction(SIGUSR2, &action, nil)

        // A listener with backlog 0 that does not accept: one connection fills its queue, so the
        // next connect blocks, resending its SYN until the queue has room.
        let any = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        let listener = try Socket.makeListener(any, backlog: 0)
        defer { Glibc.close(listener) }
        let address = try #require(Socket.localAddress(listener))
        let first = try TestSocket.connect(to: address)

        let finished = Flag()
        let connecting = Flag()
        let connector = TestThread {
            defer { finished.value.store(true, ordering: .releasing) }
            // Threads started from a test inherit the runner's mask, which may block the signal.
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            sigaddset(&unblocked, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
            connecting.value.store(true, ordering: .releasing)
            _ = try TestSocket.connect(to: address, timeoutSeconds: 10)
        }
        // Interrupt it repeatedly while it is blocked (from just before its connect, so a slow
        // thread start cannot make the signals land early), then make room in the queue.
        #expect(eventually { connecting.value.load(ordering: .acquiring) })
        for _ in 0..<6 {
            usleep(50_000)
            connector.send(signal: SIGUSR2)
        }
        let stillBlocked = !finished.value.load(ordering: .acquiring)
        #expect(stillBlocked, "connect should still be blocked on the full queue")
        var acceptPoll = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        _ = poll(&acceptPoll, 1, 1000)
        let accepted = accept(listener, nil, nil)
        #expect(accepted >= 0)
        defer { if accepted >= 0 { Glibc.close(accepted) } }
        try connector.join()
        first.close()
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}
