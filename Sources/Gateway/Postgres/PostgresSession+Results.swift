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
        case .connecting, .cancelling:
            upstreamTLSAnswer(buffer, io: &io)
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

    /// What becomes of one upstream message.
    enum ResultDisposition {
        /// Send its first `count` bytes (all of them, or a row shortened by masking).
        case send(Int)
        /// Send nothing (the gateway's own responses, a discarded result).
        case drop
        /// Send the policy's error for a refused statement instead.
        case refusal
        /// Send an error ending the result instead (a limit, or a row that cannot be masked).
        case endResult(StaticString, String)
    }

    /// Forwards results zero-copy, masking rows in place where they landed: counts
    /// ReadyForQuery, follows ParameterStatus, pairs responses with requests, and puts the
    /// policy's error in place of the server's answer to a refusal's stand-in.
    mutating func results(_ buffer: UnsafeRawBufferPointer, offset base: Int = 0, io: inout SessionIO<GatewaySessionEvent>) {
        // The loop hands the session the receive buffer itself: masking writes into it.
        let bytes = UnsafeMutableRawBufferPointer(mutating: buffer)
        var cursor = 0
        var runStart = 0
        while phase == .ready {
            let start = cursor
            switch upstreamDecoder.next(in: buffer, at: &cursor) {
            case .needMoreData:
                if cursor > runStart { io.forward((base + runStart)..<(base + cursor)) }
                return
            case .frame(let frame):
                let message = UnsafeMutableRawBufferPointer(rebasing: bytes[frame.offset..<(frame.offset + frame.length)])
                let disposition = resultMessage(message)
                if case .send(let count) = disposition, count > 0 {
                    sentToClient(UnsafeRawBufferPointer(rebasing: message[0..<count]), io: &io)
                    if count == frame.length { continue }
                }
                if frame.offset > runStart { io.forward((base + runStart)..<(base + frame.offset)) }
                runStart = cursor
                if case .send(let count) = disposition, count > 0 {
                    io.forward((base + frame.offset)..<(base + frame.offset + count))
                } else {
                    answer(disposition, io: &io)
                }
            case .reassembled(let frame):
                if start > runStart { io.forward((base + runStart)..<(base + start)) }
                runStart = cursor
                let message = UnsafeMutableRawBufferPointer(rebasing: upstreamDecoder.reassembled[0..<frame.length])
                let disposition = resultMessage(message)
                if case .send(let count) = disposition {
                    if count > 0 {
                        sentToClient(UnsafeRawBufferPointer(rebasing: message[0..<count]), io: &io)
                        io.write(UnsafeRawBufferPointer(rebasing: message[0..<count]), to: .client)
                    }
                } else {
                    answer(disposition, io: &io)
                }
            case .part(let part):
                if part.isBuffered {
                    // An inspected message crossing the edge: it is handled whole once
                    // reassembled, so its bytes here stay behind.
                    if start > runStart { io.forward((base + runStart)..<(base + start)) }
                    runStart = cursor
                    continue
                }
                if part.isFirst {
                    let disposition = resultMessageStarts(part.kind?.typeByte ?? 0, length: part.messageLength ?? 0)
                    droppingParts = true
                    if case .send = disposition { droppingParts = false }
                    if case .endResult = disposition {
                        if start > runStart { io.forward((base + runStart)..<(base + start)) }
                        runStart = cursor
                        answer(disposition, io: &io)
                    }
                }
                if droppingParts {
                    if start > runStart { io.forward((base + runStart)..<(base + start)) }
                    runStart = cursor
                } else {
                    sentPartToClient(part, in: buffer, io: &io)
                }
            case .singleByte:
                if start > runStart { io.forward((base + runStart)..<(base + start)) }
                fail(.fatal, "08P01", "upstream protocol violation", io: &io)
                return
            case .protocolError(let error):
                if start > runStart { io.forward((base + runStart)..<(base + start)) }
                if case .messageTooLarge = error {
                    fail(.fatal, "54000", "a result message is longer than the gateway inspects (\(Self.maxMaskedMessageLength >> 20) MiB)", io: &io)
                } else {
                    fail(.fatal, "08P01", "upstream protocol violation", io: &io)
                }
                return
            }
        }
    }

    /// Sends what a disposition other than `.send` puts in place of a message.
    mutating func answer(_ disposition: ResultDisposition, io: inout SessionIO<GatewaySessionEvent>) {
        switch disposition {
        case .send, .drop:
            break
        case .refusal:
            answerRefusal(io: &io)
        case .endResult(let state, let message):
            sendError(.error, state, message, io: &io)
        }
    }

    /// Handles one whole upstream message (masked in place) and says what to send.
    mutating func resultMessage(_ message: UnsafeMutableRawBufferPointer) -> ResultDisposition {
        let type = message[0]
        let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[5...])
        let request = responses.received(type)
        if request == .gatewayQuery {
            catalogMessage(type, body: body)
            return .drop
        }
        switch type {
        case PostgresMessageType.Backend.readyForQuery:
            readyForQuery(status: body.isEmpty ? UInt8(ascii: "I") : body[0])
            return .send(message.count)
        case PostgresMessageType.Backend.parameterStatus:
            parameterChanged(body)
            return .send(message.count)
        default:
            break
        }
        if discardingResult { return .drop }
        switch type {
        case PostgresMessageType.Backend.dataRow:
            if let end = countRow(bytes: message.count) { return end }
            guard let kept = maskRow(message) else { return endResult(unmaskable: "a result row could not be masked") }
            return .send(kept)
        case PostgresMessageType.Backend.rowDescription:
            guard rowDescription(body) else { return endResult(unmaskable: "the result's columns could not be read for masking") }
            return request == .gatewayDescribe ? .drop : .send(message.count)
        case PostgresMessageType.Backend.noData:
            columns.removeAll()
            return request == .gatewayDescribe ? .drop : .send(message.count)
        case PostgresMessageType.Backend.errorResponse:
            if !refusals.isEmpty && PostgresRefusal.isStandInError(body) { return .refusal }
            maskNotice(message)
            return .send(message.count)
        case PostgresMessageType.Backend.noticeResponse:
            maskNotice(message)
            return .send(message.count)
        case PostgresMessageType.Backend.copyOutResponse:
            guard copyOutStarts(body) else { return endResult(unmaskable: "this COPY cannot be masked (binary, or its columns are unknown)") }
            return .send(message.count)
        case PostgresMessageType.Backend.copyData:
            if let end = countRow(bytes: message.count) { return end }
            guard maskCopyRow(message) else { return endResult(unmaskable: "a COPY row could not be masked") }
            return .send(message.count)
        default:
            return streamedMessage(type, length: message.count)
        }
    }

    /// Handles the start of an upstream message that streams through in parts (not masked).
    mutating func resultMessageStarts(_ type: UInt8, length: Int) -> ResultDisposition {
        let request = responses.received(type)
        if request == .gatewayQuery || discardingResult { return .drop }
        return streamedMessage(type, length: length)
    }

    /// A message the session does not read: rows count against the limits; the end of a
    /// result resets them.
    mutating func streamedMessage(_ type: UInt8, length: Int) -> ResultDisposition {
        switch type {
        case PostgresMessageType.Backend.dataRow, PostgresMessageType.Backend.copyData:
            if let end = countRow(bytes: length) { return end }
        case PostgresMessageType.Backend.commandComplete, PostgresMessageType.Backend.portalSuspended,
             PostgresMessageType.Backend.emptyQueryResponse:
            resultRows = 0
            resultBytes = 0
        case PostgresMessageType.Backend.copyDone:
            copyMasking = .none
            updateInspection()
        default:
            break
        }
        return .send(length)
    }

    /// Counts a row against the limits; the error that ends the result when one is passed.
    mutating func countRow(bytes: Int) -> ResultDisposition? {
        resultRows &+= 1
        resultBytes &+= bytes
        if resultRows > maxRows {
            return endResult("54000", "the result exceeds max_rows (\(maxRows)) of the gateway policy; the rest was discarded")
        }
        if resultBytes > maxBytes {
            return endResult("54000", "the result exceeds max_bytes (\(maxBytes)) of the gateway policy; the rest was discarded")
        }
        return nil
    }

    /// Ends the current result with an error: everything up to ReadyForQuery is dropped.
    mutating func endResult(_ state: StaticString, _ message: String) -> ResultDisposition {
        discardingResult = true
        return .endResult(state, message)
    }

    mutating func endResult(unmaskable message: String) -> ResultDisposition {
        endResult("42501", "\(message); the rest of the result was withheld by the gateway")
    }

    /// Counts a ReadyForQuery; refusals whose batch it ends without their stand-in's error
    /// were skipped by the server after an earlier error, which the client has seen instead.
    mutating func readyForQuery(status: UInt8) {
        readySeen &+= 1
        transactionStatus = status
        discardingResult = false
        resultRows = 0
        resultBytes = 0
        if case .none = copyMasking {} else {
            copyMasking = .none
            updateInspection()
        }
        while let first = refusals.first, first.mark <= readySeen { refusals.removeFirst() }
    }

    mutating func answerRefusal(io: inout SessionIO<GatewaySessionEvent>) {
        let refusal = refusals.removeFirst()
        if let message = refusal.message {
            sendError(.error, "42501", message, io: &io)
        } else {
            sendRefusal(refusal.decision, classes: refusal.classes, io: &io)
        }
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
