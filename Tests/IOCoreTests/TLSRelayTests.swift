import CAllocCounter
import COpenSSL
import COpenSSLMemory
import Glibc
import Testing
@testable import IOCore

/// TLS on the loops, through ``TLSRelaySession``: termination, origination, bad peers, reload
/// and allocation, on both backends, against real sockets and OpenSSL clients.
@Suite struct TLSRelayTests {
    @Test(arguments: IOBackendKind.allCases)
    func terminatesTLSForBothVersions(backend: IOBackendKind) throws {
        let certificates = try TestCertificates()
        let echo = try TestServer.echo()
        let log = RecordingAccessLog()
        let (server, address) = try startTLSRelay(
            backend: backend, upstream: echo.address,
            listener: TLSRelayListener(clientTLS: TLSContextSource(try certificates.serverContext())), log: log)
        defer { #expect(!log.records.contains { $0.closeReason != .shutdown && $0.closeReason != .completed }, "closed early: \(log.records)") }
        for maxVersion in [TLS1_3_VERSION, TLS1_2_VERSION] {
            let client = try TestTLSClient(to: address, caFile: certificates.path("ca.crt"), maxVersion: maxVersion)
            #expect(client.version == (maxVersion == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"))
            for round in 0..<100 {
                #expect(try client.roundTrip(makePayload(64, seed: UInt64(round + 1))))
            }
            // Several records per buffer and records across buffers, both ways.
            #expect(try client.roundTrip(makePayload(1 << 20)))
        }
        server.shutdown(deadline: .seconds(1))
        server.waitUntilStopped()
        try echo.stop()
    }

    /// A client that comes back resumes its session from the ticket (no full handshake).
    @Test(arguments: IOBackendKind.allCases)
    func clientsResumeTheirSessions(backend: IOBackendKind) throws {
        let certificates = try TestCertificates()
        let echo = try TestServer.echo()
        let (server, address) = try startTLSRelay(
            backend: backend, upstream: echo.address,
            listener: TLSRelayListener(clientTLS: TLSContextSource(try certificates.serverContext())))
        for maxVersion in [TLS1_3_VERSION, TLS1_2_VERSION] {
            let first = try TestTLSClient(to: address, caFile: certificates.path("ca.crt"), maxVersion: maxVersion)
            #expect(try first.roundTrip(Array("first".utf8)))
            #expect(!first.resumed)
            let session = try #require(first.session())
            defer { SSL_SESSION_free(session) }
            let second = try TestTLSClient(to: address, caFile: certificates.path("ca.crt"), maxVersion: maxVersion, resuming: session)
            #expect(second.resumed, "TLS \(maxVersion == TLS1_3_VERSION ? "1.3" : "1.2") session not resumed")
            #expect(try second.roundTrip(Array("second".utf8)))
        }
        server.shutdown(deadline: .seconds(1))
        server.waitUntilStopped()
        try echo.stop()
    }

    @Test(arguments: IOBackendKind.allCases)
    func badPeersCloseOnlyTheirOwnConnection(backend: IOBackendKind) throws {
        let certificates = try TestCertificates()
        let echo = try TestServer.echo()
        let log = RecordingAccessLog()
        let (server, address) = try startTLSRelay(
            backend: backend, upstream: echo.address,
            listener: TLSRelayListener(
                clientTLS: TLSContextSource(try certificates.serverContext()), handshakeTimeout: .milliseconds(300)),
            log: log)
        let healthy = try TestTLSClient(to: address, caFile: certificates.path("ca.crt"))
        #expect(try healthy.roundTrip(Array("before".utf8)))

        // Garbage instead of a ClientHello.
        let garbage = try TestSocket.connect(to: address)
        try garbage.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try garbage.readToEnd()
        // A client that stops in the middle of its hello: the handshake timeout closes it.
        let stalled = try TestSocket.connect(to: address)
        try stalled.sendAll([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
        _ = try stalled.readToEnd()
        // A TLS 1.2 renegotiation mid-session.
        let renegotiating = try TestTLSClient(to: address, caFile: certificates.path("ca.crt"), maxVersion: TLS1_2_VERSION)
        #expect(try renegotiating.roundTrip(Array("reneg".utf8)))
        _ = renegotiating.renegotiate()
        #expect(renegotiating.isClosedByPeer())
        // An alert in clear mid-session (a record the TLS 1.3 session cannot accept).
        let alerting = try TestTLSClient(to: address, caFile: certificates.path("ca.crt"))
        #expect(try alerting.roundTrip(Array("alert".utf8)))
        try alerting.socket.sendAll([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
        #expect(alerting.isClosedByPeer())

        // The healthy session never noticed.
        #expect(try healthy.roundTrip(Array("after".utf8)))
        #expect(
            eventually { log.records.filter { $0.closeReason == .tlsFailed(side: .client) }.count == 4 },
            "close reasons: \(log.records.map(\.closeReason))")
        server.shutdown(deadline: .seconds(1))
        server.waitUntilStopped()
        try echo.stop()
    }

    @Test(arguments: IOBackendKind.allCases)
    func aReloadedCertificateServesNewConnectionsOnly(backend: IOBackendKind) throws {
        let certificates = try TestCertificates()
        let echo = try TestServer.echo()
        let source = TLSContextSource(try certificates.serverContext())
        let (server, address) = try startTLSRelay(backend: backend, upstream: echo.address, listener: TLSRelayListener(clientTLS: source))
        let open = try TestTLSClient(to: address, caFile: certificates.path("ca.crt"))
        #expect(try open.roundTrip(Array("one".utf8)))

        source.replace(with: try TLSContext.server(
            certificateFile: certificates.path("other-server.crt"), keyFile: certificates.path("other-server.key")))
        // New connections get the certificate of the other CA...
        #expect(throws: TestTLSClient.Failure.self) { try TestTLSClient(to: address, caFile: certificates.path("ca.crt")) }
        let renewed = try TestTLSClient(to: address, caFile: certificates.path("other-ca.crt"))
        #expect(try renewed.roundTrip(Array("two".utf8)))
        // ...and the open session goes on with its own.
        #expect(try open.roundTrip(Array("three".utf8)))
        server.shutdown(deadline: .seconds(1))
        server.waitUntilStopped()
        try echo.stop()
    }

    /// A relay that originates TLS to a second relay that terminates it: verify-full passes
    /// with the right CA and name, and fails closed with a wrong CA or a wrong name.
    @Test(arguments: IOBackendKind.allCases)
    func originatesVerifiedTLSUpstream(backend: IOBackendKind) throws {
        let certificates = try TestCertificates()
        let echo = try TestServer.echo()
        let (inner, innerAddress) = try startTLSRelay(
            backend: backend, upstream: echo.address,
            listener: TLSRelayListener(clientTLS: TLSContextSource(try certificates.serverContext())))
        func outer(caFile: String, serverName: String, log: RecordingAccessLog = RecordingAccessLog()) throws -> (ProxyServer<TLSRelaySession>, SocketAddress) {
            try startTLSRelay(
                backend: backend, upstream: innerAddress,
                listener: TLSRelayListener(upstreamTLS: try TLSContext.client(caFile: caFile), upstreamServerName: serverName),
                log: log)
        }
        let (good, goodAddress) = try outer(caFile: certificates.path("ca.crt"), serverName: "localhost")
        let client = try TestSocket.connect(to: goodAddress)
        try client.sendAll(makePayload(300_000))
        #expect(try client.read(exactly: 300_000) == makePayload(300_000))

        for (caFile, name) in [(certificates.path("other-ca.crt"), "localhost"), (certificates.path("ca.crt"), "db.invalid")] {
            let log = RecordingAccessLog()
            let (bad, badAddress) = try outer(caFile: caFile, serverName: name, log: log)
            let refused = try TestSocket.connect(to: badAddress)
            try refused.send("must not arrive in clear")
            #expect(try refused.readToEnd().isEmpty)
            #expect(eventually { log.records.first?.closeReason == .tlsFailed(side: .upstream) })
            bad.shutdown(deadline: .zero)
            bad.waitUntilStopped()
        }
        for server in [good, inner] {
            server.shutdown(deadline: .seconds(1))
            server.waitUntilStopped()
        }
        try echo.stop()
    }

    /// Once the handshake is done, relaying records allocates nothing on the loop thread.
    @Test(arguments: IOBackendKind.allCases)
    func steadyStateTLSDoesNotAllocate(backend: IOBackendKind) throws {
        let certificates = try TestCertificates()
        let echo = try TestServer.echo()
        let log = RecordingAccessLog()
        let (server, address) = try startTLSRelay(
            backend: backend, upstream: echo.address,
            listener: TLSRelayListener(clientTLS: TLSContextSource(try certificates.serverContext())), log: log) {
            $0.testing.threadAllocationCounter = rg_thread_allocation_count
        }
        defer { #expect(!log.records.contains { $0.closeReason != .shutdown }, "closed early: \(log.records.map(\.closeReason))") }
        let clients = try (0..<4).map { _ in try TestTLSClient(to: address, caFile: certificates.path("ca.crt")) }
        let message = makePayload(64)
        let big = makePayload(200_000)
        func burst(_ rounds: Int) throws {
            for _ in 0..<rounds {
                for client in clients { #expect(try client.roundTrip(message)) }
            }
            for client in clients { #expect(try client.roundTrip(big)) }
        }
        try burst(50)
        let before = settledStatistics(server)
        try burst(500)
        let after = settledStatistics(server)
        let forwarded = after.messagesForwarded - before.messagesForwarded
        let allocations = after.threadAllocations - before.threadAllocations
        #expect(forwarded >= 4000, "forwarded \(forwarded) messages")
        #expect(rg_openssl_memory_installed() == 1, "OpenSSL allocates through the record cache")
        #expect(allocations == 0, "\(allocations) heap allocations on the loop thread for \(forwarded) messages")
        server.shutdown(deadline: .seconds(1))
        server.waitUntilStopped()
        try echo.stop()
    }

    private func settledStatistics(_ server: ProxyServer<TLSRelaySession>) -> LoopStatistics.Snapshot {
        var previous = server.loopStatistics[0]
        while true {
            usleep(30_000)
            let current = server.loopStatistics[0]
            if current.messagesForwarded == previous.messagesForwarded && current.threadAllocations == previous.threadAllocations {
                return current
            }
            previous = current
        }
    }
}
