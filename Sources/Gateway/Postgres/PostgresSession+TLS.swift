import Codecs
import IOCore

extension PostgresSession {
    // MARK: Client leg

    /// An SSLRequest: answered `S` and the handshake started when the resource has TLS for
    /// clients, `N` otherwise (the client may go on in plaintext where that is allowed).
    mutating func clientRequestedTLS(io: inout SessionIO<GatewaySessionEvent>) {
        guard let source = resource.clientTLS, !io.isTLS(.client) else {
            var no = UInt8(ascii: "N")
            io.write(UnsafeRawBufferPointer(start: &no, count: 1), to: .client)
            return
        }
        var yes = UInt8(ascii: "S")
        io.write(UnsafeRawBufferPointer(start: &yes, count: 1), to: .client)
        io.startTLS(.client, context: source.context)
        clientTLSJustAccepted = true
    }

    /// The connection's first bytes are a TLS record, not a startup packet: PostgreSQL 17's
    /// direct negotiation (`sslnegotiation=direct`). Returns true when it was handled.
    mutating func clientOpenedWithTLS(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) -> Bool {
        guard phase == .startup, !io.isTLS(.client), bytesFromClient == UInt64(buffer.count),
              buffer.first == 0x16 else { return false }
        guard let source = resource.clientTLS else {
            // Nothing sensible can be said in clear to a TLS client.
            phase = .failed
            io.close(.tlsFailed(side: .client))
            return true
        }
        directTLS = true
        io.startTLS(.client, context: source.context, replaying: 0..<buffer.count)
        return true
    }

    mutating func tlsEstablished(_ side: ProxySide, io: inout SessionIO<GatewaySessionEvent>) {
        switch side {
        case .client:
            // PostgreSQL 17 accepts a direct TLS connection only with ALPN `postgresql`.
            if directTLS, io.tlsInfo(.client)?.alpn != Self.alpnProtocol {
                fail(.fatal, "08P01", "direct TLS connection without ALPN protocol \(Self.alpnProtocol)", io: &io)
            }
        case .upstream:
            guard phase == .connecting || phase == .cancelling else { return }
            upstreamReady(io: &io)
        }
    }

    mutating func tlsFailed(_ side: ProxySide, _ failure: TLSFailure, io: inout SessionIO<GatewaySessionEvent>) {
        switch side {
        case .client:
            // The client's TLS is broken: nothing more can reach it.
            phase = .failed
            io.close(.tlsFailed(side: .client))
        case .upstream:
            let message = "could not establish TLS with the upstream server of resource \(resource.name) "
                + "(\(resource.upstreamDescription)): \(failure)"
            shared.log.error("\(message)")
            if phase == .cancelling {
                phase = .failed
                io.close(.tlsFailed(side: .upstream))
            } else {
                fail(.fatal, "08006", message, io: &io)
            }
        }
    }

    /// The ALPN protocol name of PostgreSQL's direct TLS negotiation.
    static let alpnProtocol = "postgresql"

    // MARK: Upstream leg

    /// Asks the server for TLS (an SSLRequest); its one-byte answer comes to ``upstreamTLSAnswer``.
    mutating func requestUpstreamTLS(io: inout SessionIO<GatewaySessionEvent>) {
        var writer = WireWriter(scratch)
        PostgresFrontendEncoder.sslRequest(&writer)
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .upstream)
        upstreamDecoder.expectSingleByteResponse()
        awaitingUpstreamTLSAnswer = true
    }

    /// The server's answer to the SSLRequest: `S` starts the handshake; anything else fails
    /// the session (the resource's `tls` setting is never silently dropped).
    mutating func upstreamTLSAnswer(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        guard awaitingUpstreamTLSAnswer, let context = resource.upstreamTLS else { return }
        awaitingUpstreamTLSAnswer = false
        var cursor = 0
        let event = upstreamDecoder.next(in: buffer, at: &cursor)
        guard case .singleByte(let answer) = event, answer == UInt8(ascii: "S"), cursor == buffer.count else {
            let refused: Bool
            if case .singleByte(let answer) = event, answer == UInt8(ascii: "N") { refused = true } else { refused = false }
            let message = refused
                ? "the upstream server of resource \(resource.name) (\(resource.upstreamDescription)) does not accept TLS, which the resource requires"
                : "the upstream server of resource \(resource.name) (\(resource.upstreamDescription)) answered the TLS request with a protocol violation"
            shared.log.error("\(message)")
            if phase == .cancelling {
                phase = .failed
                io.close(.tlsFailed(side: .upstream))
            } else {
                fail(.fatal, "08006", message, io: &io)
            }
            return
        }
        io.startTLS(.upstream, context: context, serverName: resource.upstreamServerName)
    }
}
