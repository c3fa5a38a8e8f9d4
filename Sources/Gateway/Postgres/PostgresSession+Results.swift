import Codecs
import Foundation
import IOCore

extension PostgresSession {
    // MARK: Upstream → client

    mutating func receivedFromUpstream(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        switch phase {
        case .upstreamLogin:
            loginMessages(buffer, io: &io)
        case .ready:
            results(buffer, io: &io)
        default:
            return
        }
    }

    mutating func loginMessages(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        var cursor = 0
        while phase == .upstreamLogin {
            let start = cursor
            switch upstreamDecoder.next(in: buffer, at: &cursor) {
            case .needMoreData:
                return
            case .frame(let frame):
                let step = login!.receive(type: frame.kind.typeByte, body: frame.body(in: buffer))
                guard loginStep(step, frame: frame.bytes(in: buffer), io: &io) else { return }
            case .reassembled(let frame):
                let copy = UnsafeRawBufferPointer(upstreamDecoder.reassembled)
                let step = login!.receive(type: frame.kind.typeByte, body: frame.body(in: copy))
                guard loginStep(step, frame: frame.bytes(in: copy), io: &io) else { return }
            case .part(let part):
                if !part.isBuffered {
                    fail(.fatal, "08P01", "upstream sent an oversized message during login", io: &io)
                }
            case .singleByte, .protocolError:
                fail(.fatal, "08P01", "upstream protocol violation during login", io: &io)
            }
            _ = start
        }
        if phase == .ready && cursor < buffer.count {
            // The server's first results never share a buffer with its ReadyForQuery after login,
            // but if they do, treat the rest as results.
            results(UnsafeRawBufferPointer(rebasing: buffer[cursor...]), offset: cursor, io: &io)
        }
    }

    /// Forwards results zero-copy: counts ReadyForQuery, follows ParameterStatus, and puts
    /// the policy's error in place of the server's answer to a refusal's stand-in.
    mutating func results(_ buffer: UnsafeRawBufferPointer, offset base: Int = 0, io: inout SessionIO<GatewaySessionEvent>) {
        var cursor = 0
        var runStart = 0
        while true {
            let start = cursor
            switch upstreamDecoder.next(in: buffer, at: &cursor) {
            case .needMoreData:
                if cursor > runStart { io.forward((base + runStart)..<(base + cursor)) }
                return
            case .frame(let frame):
                let body = frame.body(in: buffer)
                switch frame.kind.typeByte {
                case PostgresMessageType.Backend.readyForQuery:
                    readyForQuery(status: body.first ?? UInt8(ascii: "I"))
                case PostgresMessageType.Backend.parameterStatus:
                    parameterChanged(body)
                case PostgresMessageType.Backend.errorResponse:
                    if !refusals.isEmpty && PostgresRefusal.isStandInError(body) {
                        io.forward((base + runStart)..<(base + frame.offset))
                        runStart = cursor
                        answerRefusal(io: &io)
                    }
                default:
                    break
                }
            case .part(let part):
                if part.isBuffered {
                    // An inspected message crossing the edge: it is sent whole (or replaced)
                    // once reassembled, so its bytes here stay behind.
                    io.forward((base + runStart)..<(base + start))
                    runStart = cursor
                }
            case .reassembled(let frame):
                let copy = UnsafeRawBufferPointer(upstreamDecoder.reassembled)
                let body = frame.body(in: copy)
                io.forward((base + runStart)..<(base + start))
                runStart = cursor
                switch frame.kind.typeByte {
                case PostgresMessageType.Backend.readyForQuery:
                    readyForQuery(status: body.first ?? UInt8(ascii: "I"))
                case PostgresMessageType.Backend.parameterStatus:
                    parameterChanged(body)
                case PostgresMessageType.Backend.errorResponse where !refusals.isEmpty && PostgresRefusal.isStandInError(body):
                    answerRefusal(io: &io)
                    continue
                default:
                    break
                }
                io.write(frame.bytes(in: copy), to: .client)
            case .singleByte, .protocolError:
                if start > runStart { io.forward((base + runStart)..<(base + start)) }
                fail(.fatal, "08P01", "upstream protocol violation", io: &io)
                return
            }
        }
    }

    /// Counts a ReadyForQuery; refusals whose batch it ends without their stand-in's error
    /// were skipped by the server after an earlier error, which the client has seen instead.
    mutating func readyForQuery(status: UInt8) {
        readySeen &+= 1
        transactionStatus = status
        while let first = refusals.first, first.mark <= readySeen { refusals.removeFirst() }
    }

    mutating func answerRefusal(io: inout SessionIO<GatewaySessionEvent>) {
        let refusal = refusals.removeFirst()
        sendRefusal(refusal.decision, classes: refusal.classes, io: &io)
    }

    mutating func parameterChanged(_ body: UnsafeRawBufferPointer) {
        guard let nameEnd = body.firstIndex(of: 0) else { return }
        let name = body[..<nameEnd]
        let rest = body[(nameEnd + 1)...]
        guard let valueEnd = rest.firstIndex(of: 0) else { return }
        if name.elementsEqual("standard_conforming_strings".utf8) {
            classifier.options.standardConformingStrings = rest[..<valueEnd].elementsEqual("on".utf8)
        }
    }
}
