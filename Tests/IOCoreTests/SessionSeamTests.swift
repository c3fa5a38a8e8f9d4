import Glibc
import Testing
@testable import IOCore

/// A line protocol that exercises every request of the seam: the client logs in with
/// `LOGIN` (the upstream is connected only then), `DROP...` lines are refused with a
/// synthesized answer, `HOLD...` lines wait for a mailbox event, `WAIT` sets a deadline,
/// `QUIT` closes after flushing a goodbye. Everything else is forwarded zero-copy.
struct LineGateSession: ProxySession {
    enum Event: Sendable { case release, drop }

    /// Bytes of the current line's first four (its verdict is not known before them).
    private var head: [UInt8] = []
    private var verdict: Verdict = .undecided
    private var loggedIn = false
    private enum Verdict { case undecided, forward, refuse, hold, login, wait, quit }

    init(context: SessionContext, shared: Void) {}

    mutating func start(io: inout SessionIO<Event>) {}

    mutating func received(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<Event>) {
        guard side == .client else {
            io.forwardAll()
            return
        }
        var index = 0
        while index < bytes.count {
            if verdict == .undecided {
                head.append(bytes[index])
                index += 1
                if head.count == 4 || head.last == 0x0A { decide(&io) }
                continue
            }
            let newline = bytes[index...].firstIndex(of: 0x0A)
            let end = newline.map { $0 + 1 } ?? bytes.count
            switch verdict {
            case .forward: io.forward(index..<end)
            case .hold: io.hold(index..<end)
            default: break
            }
            index = end
            if newline != nil { endLine(&io) }
        }
    }

    private mutating func decide(_ io: inout SessionIO<Event>) {
        switch String(decoding: head, as: UTF8.self) {
        case "LOGI": verdict = .login
        case "DROP": verdict = .refuse
        case "HOLD": verdict = .hold
        case "WAIT": verdict = .wait
        case "QUIT": verdict = .quit
        default: verdict = .forward
        }
        if !loggedIn && verdict != .login { verdict = .refuse }
        let copy = head
        copy.withUnsafeBytes { raw in
            switch verdict {
            case .forward: _ = io.write(raw, to: .upstream)
            default: break
            }
        }
        if verdict == .hold {
            // The first bytes were copied already; hold them with the rest.
            copy.withUnsafeBytes { raw in _ = io.write(raw, to: .upstream) }
            io.pauseReading(.upstream)
        }
        if head.last == 0x0A { endLine(&io) }
    }

    private mutating func endLine(_ io: inout SessionIO<Event>) {
        switch verdict {
        case .login:
            loggedIn = true
            io.connectUpstream()
        case .refuse: answer("DENIED\n", &io)
        case .wait: io.setDeadline(after: 1_000_000_000)
        case .quit:
            answer("BYE\n", &io)
            io.close(.sessionTerminated, flush: true)
        default: break
        }
        head.removeAll(keepingCapacity: true)
        verdict = .undecided
    }

    private func answer(_ text: String, _ io: inout SessionIO<Event>) {
        var text = text
        text.withUTF8 { _ = io.write(UnsafeRawBufferPointer($0), to: .client) }
    }

    mutating func handle(_ event: SessionEvent<Event>, io: inout SessionIO<Event>) {
        switch event {
        case .connected: answer("OK\n", &io)
        case .connectFailed: 
            answer("NO UPSTREAM\n", &io)
            io.close(.sessionTerminated, flush: true)
        case .deadline: answer("TIMEOUT\n", &io)
        case .custom(.release):
            io.releaseHeld()
            io.resumeReading(.upstream)
        case .custom(.drop):
            io.dropHeld()
            io.resumeReading(.upstream)
            answer("DROPPED\n", &io)
        case .closed, .tlsEstablished, .tlsFailed: break
        }
    }
}

@Suite struct SessionSeamTests {
    typealias Harness = EmbeddedSession<LineGateSession>

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func upstreamIsConnectedOnlyAfterLogin() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("DROP TABLE t\n"), from: .client)
        let v1 = harness.connectRequested
        #expect(!v1, "an unauthenticated client costs no upstream connection")
        let v2 = harness.takeSent(to: .client)
        #expect(v2 == bytes("DENIED\n"))
        harness.receive(bytes("LOGIN me\nSELECT 1\n"), from: .client)
        let v3 = harness.connectRequested
        #expect(v3)
        let v4 = harness.takeSent(to: .upstream)
        #expect(v4.isEmpty, "bytes for the upstream wait for the connect")
        harness.completeConnect()
        let v5 = harness.takeSent(to: .client)
        #expect(v5 == bytes("OK\n"))
        let v6 = harness.takeSent(to: .upstream)
        #expect(v6 == bytes("SELECT 1\n"))
    }

    @Test func refusedLineInTheMiddleIsCutOutAndAnswered() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("LOGIN me\n"), from: .client)
        harness.completeConnect()
        _ = harness.takeSent(to: .client)
        harness.receive(bytes("SELECT 1\nDROP TABLE t\nSELECT 2\n"), from: .client)
        let v7 = harness.takeSent(to: .upstream)
        #expect(v7 == bytes("SELECT 1\nSELECT 2\n"))
        let v8 = harness.takeSent(to: .client)
        #expect(v8 == bytes("DENIED\n"))
        harness.receive(bytes("row\n"), from: .upstream)
        let v9 = harness.takeSent(to: .client)
        #expect(v9 == bytes("row\n"))
        let v10 = harness.buffersInUse
        #expect(v10 == 0, "every buffer went back")
    }

    @Test func sameBytesOutForEverySplit() throws {
        let script = bytes("LOGIN me\nSELECT a\nDROP x\nUPDATE b SET c = 1\nDROP y\nSELECT long line here\n")
        var reference: (client: [UInt8], upstream: [UInt8])?
        // Every single cut point, then every pair of cut points, and one byte per buffer.
        var splits: [[Int]] = (0...script.count).map { [$0] }
        for first in stride(from: 1, to: script.count, by: 3) {
            for second in stride(from: first + 1, to: script.count, by: 5) { splits.append([first, second]) }
        }
        splits.append(Array(1..<script.count))
        for cuts in splits {
            var harness = try Harness(shared: (), bufferSize: 512)
            harness.receive(Array(script.prefix(9)), from: .client)
            harness.completeConnect()
            harness.receive(Array(script.dropFirst(9)), from: .client, cuts: cuts.map { $0 - 9 })
            let out = (client: harness.takeSent(to: .client), upstream: harness.takeSent(to: .upstream))
            if let reference {
                #expect(out.client == reference.client && out.upstream == reference.upstream, "cuts \(cuts)")
            } else {
                reference = out
                #expect(out.upstream == bytes("SELECT a\nUPDATE b SET c = 1\nSELECT long line here\n"))
                #expect(out.client == bytes("OK\nDENIED\nDENIED\n"))
            }
        }
    }

    @Test func heldBytesWaitForAnEventAndStaleEventsAreDropped() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("LOGIN me\n"), from: .client)
        harness.completeConnect()
        _ = harness.takeSent(to: .client)
        harness.receive(bytes("HOLD DELETE FROM t\n"), from: .client)
        let v11 = harness.takeSent(to: .upstream)
        #expect(v11 == bytes("HOLD"), "only the undecided head was copied out")
        let v12 = harness.heldBytes
        #expect(v12 == 15)
        let v13 = harness.isReading(.upstream)
        #expect(!v13)
        harness.receive(bytes("late row\n"), from: .upstream)
        let v14 = harness.takeSent(to: .client)
        #expect(v14.isEmpty, "a paused side is not read")
        let captured = harness.replyAddress
        let address = try #require(captured)
        #expect(address.post(.release))
        harness.runMailbox()
        let v15 = harness.takeSent(to: .upstream)
        #expect(v15 == bytes(" DELETE FROM t\n"))
        let v16 = harness.takeSent(to: .client)
        #expect(v16 == bytes("late row\n"), "resumed reading delivers what waited")
        let v17 = harness.heldBytes
        #expect(v17 == 0)
    }

    @Test func droppedHoldIsAnswered() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("LOGIN me\n"), from: .client)
        harness.completeConnect()
        _ = harness.takeSent(to: .client)
        harness.receive(bytes("HOLD DROP\n"), from: .client)
        _ = harness.takeSent(to: .upstream)
        let captured = harness.replyAddress
        let address = try #require(captured)
        address.post(.drop)
        harness.runMailbox()
        let v18 = harness.takeSent(to: .upstream)
        #expect(v18.isEmpty)
        let v19 = harness.takeSent(to: .client)
        #expect(v19 == bytes("DROPPED\n"))
        let v20 = harness.buffersInUse
        #expect(v20 == 0)
    }

    @Test func deadlineFiresOnce() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("LOGIN me\n"), from: .client)
        harness.completeConnect()
        _ = harness.takeSent(to: .client)
        harness.receive(bytes("WAIT\n"), from: .client)
        let v21 = harness.deadline
        #expect(v21 != nil)
        harness.advance(by: 500_000_000)
        let v22 = harness.takeSent(to: .client)
        #expect(v22.isEmpty)
        harness.advance(by: 600_000_000)
        let v23 = harness.takeSent(to: .client)
        #expect(v23 == bytes("TIMEOUT\n"))
        harness.advance(by: 5_000_000_000)
        let v24 = harness.takeSent(to: .client)
        #expect(v24.isEmpty)
    }

    @Test func closeAfterFlushDeliversTheGoodbye() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("LOGIN me\n"), from: .client)
        harness.completeConnect()
        _ = harness.takeSent(to: .client)
        harness.receive(bytes("QUIT\nSELECT after quit\n"), from: .client)
        let v25 = harness.takeSent(to: .client)
        #expect(v25 == bytes("BYE\n"))
        let v26 = harness.takeSent(to: .upstream)
        #expect(v26.isEmpty, "nothing after QUIT is read")
        let v27 = harness.closeReason
        #expect(v27 == .sessionTerminated)
        let v28 = harness.buffersInUse
        #expect(v28 == 0)
    }

    @Test func connectFailureIsTheSessionsToAnswer() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("LOGIN me\n"), from: .client)
        harness.failConnect(errno: ECONNREFUSED)
        let v29 = harness.takeSent(to: .client)
        #expect(v29 == bytes("NO UPSTREAM\n"))
        let v30 = harness.closeReason
        #expect(v30 == .sessionTerminated)
    }

    @Test func staleHandleIsDropped() throws {
        var harness = try Harness(shared: ())
        harness.receive(bytes("LOGIN me\n"), from: .client)
        harness.completeConnect()
        _ = harness.takeSent(to: .client)
        harness.receive(bytes("HOLD x\n"), from: .client)
        let captured = harness.replyAddress
        let address = try #require(captured)
        harness.receive(bytes("QUIT\n"), from: .client)
        let v31 = harness.isOpen
        #expect(!v31)
        address.post(.release)
        harness.runMailbox()
        let v32 = harness.takeSent(to: .upstream)
        #expect(v32 == bytes("HOLD"), "an event for a closed connection does nothing")
    }

    @Test func passthroughForwardsEverythingAndConnectsAtStart() throws {
        var harness = try EmbeddedSession<PassthroughSession>(shared: ())
        let v33 = harness.connectRequested
        #expect(v33)
        harness.receive(bytes("early"), from: .client)
        harness.completeConnect()
        harness.receive(bytes("pong"), from: .upstream)
        let v34 = harness.takeSent(to: .upstream)
        #expect(v34 == bytes("early"))
        let v35 = harness.takeSent(to: .client)
        #expect(v35 == bytes("pong"))
        harness.receiveEOF(from: .client)
        let v36 = harness.shutDown.upstream
        #expect(v36)
    }

    /// Gets a reply address the way a session does (through its IO), via a mailbox event
    /// the harness delivers: the test session has none of its own, so use a one-off session.
    private func captureReplyAddress(_ harness: inout Harness) -> SessionReplyAddress<LineGateSession.Event>? {
        harness.replyAddress
    }
}
