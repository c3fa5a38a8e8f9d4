import Codecs
import Foundation
import IOCore

extension PostgresSession {
    // MARK: Client → gateway

    mutating func receivedFromClient(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        if held != nil {
            // What the client sends while a statement waits for approval waits behind it.
            guard deferredInput.count + buffer.count <= Self.maxDeferredBytes else {
                fail(.fatal, "54000", "too much data sent while a statement waits for approval", io: &io)
                return
            }
            deferredInput.append(contentsOf: buffer)
            return
        }
        if phase == .startup && clientOpenedWithTLS(buffer, io: &io) { return }
        var cursor = 0
        while phase != .failed {
            let event = clientDecoder.next(in: buffer, at: &cursor)
            switch event {
            case .needMoreData:
                return
            case .frame(let frame):
                clientMessage(frame, body: frame.body(in: buffer), range: frame.offset..<(frame.offset + frame.length), io: &io)
            case .reassembled(let frame):
                let copy = UnsafeRawBufferPointer(clientDecoder.reassembled)
                clientMessage(frame, body: frame.body(in: copy), range: nil, io: &io)
            case .part(let part):
                // A message that is not inspected, crossing a buffer edge (a large Bind, CopyData).
                if part.isBuffered { continue }
                if phase == .ready {
                    statementPart(part, in: buffer, io: &io)
                } else {
                    fail(.fatal, "08P01", "unexpected message during authentication", io: &io)
                }
            case .singleByte:
                fail(.fatal, "08P01", "invalid frontend message", io: &io)
            case .protocolError(let error):
                fail(.fatal, "08P01", "invalid frontend message: \(error)", io: &io)
            }
            if held != nil {
                deferredInput.append(contentsOf: buffer[cursor...])
                return
            }
            if clientTLSJustAccepted {
                clientTLSJustAccepted = false
                // What follows an accepted SSLRequest must be TLS: bytes that came with it in
                // clear could be an attacker's (CVE-2021-23214).
                if cursor < buffer.count {
                    phase = .failed
                    io.close(.tlsFailed(side: .client))
                }
                return
            }
            if phase == .verifying && cursor < buffer.count {
                // Nothing may follow the password before the login finished (no unclassified bytes get through).
                fail(.fatal, "08P01", "unexpected data before authentication completed", io: &io)
            }
        }
    }

    mutating func clientMessage(
        _ frame: PostgresFrame, body: UnsafeRawBufferPointer, range: Range<Int>?, io: inout SessionIO<GatewaySessionEvent>
    ) {
        switch phase {
        case .startup:
            startupPacket(frame.kind, body: body, io: &io)
        case .awaitingPassword:
            guard frame.kind == .message(PostgresMessageType.Frontend.password),
                  let view = try? PasswordMessageView(body: body) else {
                fail(.fatal, "08P01", "expected a password message", io: &io)
                return
            }
            passwordReceived(String(decoding: view.password, as: UTF8.self), io: &io)
        case .ready:
            statementMessage(frame.kind.typeByte, body: body, whole: frame, range: range, io: &io)
        case .verifying, .connecting, .upstreamLogin:
            fail(.fatal, "08P01", "unexpected message during authentication", io: &io)
        case .cancelling, .failed:
            return
        }
    }

    /// Forwards a whole client message: zero copy from the buffer, or a copy of the reassembled one.
    func forwardMessage(_ frame: PostgresFrame, range: Range<Int>?, io: inout SessionIO<GatewaySessionEvent>) {
        if let range, let replaying {
            io.write(UnsafeRawBufferPointer(rebasing: replaying[range]), to: .upstream)
        } else if let range {
            io.forward(range)
        } else {
            let copy = UnsafeRawBufferPointer(clientDecoder.reassembled)
            io.write(UnsafeRawBufferPointer(rebasing: copy[frame.offset..<(frame.offset + frame.length)]), to: .upstream)
        }
    }
}
