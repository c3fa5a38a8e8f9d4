/// A streaming, zero-copy splitter of PostgreSQL protocol 3.0 byte streams into messages.
///
/// Feed it each receive buffer as it arrives; buffers may be cut anywhere and hold many
/// messages. `next(in:at:)` reports one event at a time and advances the cursor:
///
/// ```swift
/// var cursor = 0
/// loop: while true {
///     switch decoder.next(in: buffer, at: &cursor) {
///     case .needMoreData: break loop
///     case .frame(let frame): ...          // whole message inside `buffer`
///     case .part(let part): ...            // bytes of a message crossing the buffer edge
///     case .reassembled(let frame): ...    // inspected message, now whole in `decoder.reassembled`
///     case .singleByte(let answer): ...    // 'S' / 'N' after an SSLRequest
///     case .protocolError(let error): ...  // close the session
///     }
/// }
/// ```
///
/// Nothing is copied except inspected messages (see `PostgresFrameDecoderConfiguration`)
/// that cross a buffer edge; they are reassembled in one scratch buffer that grows on
/// demand up to `maxInspectedLength` and is reused, so steady-state decoding allocates
/// nothing. Lengths below the minimum, negative, or above the limits are protocol
/// errors; the decoder never traps on input and never buffers without bound.
///
/// After the `.frame` of an SSLRequest or GSSENCRequest that the server accepted, the
/// bytes that follow are TLS or GSSAPI records, not protocol messages: stop feeding the
/// raw stream and feed the decrypted one instead (the decoder stays in the startup phase
/// and expects the StartupMessage next). Nothing may follow a CancelRequest.
public struct PostgresFrameDecoder: ~Copyable {
    @usableFromInline enum Phase: UInt8 { case startup, regular, closed, failed }
    @usableFromInline enum Progress: UInt8 { case boundary, header, body }

    public let configuration: PostgresFrameDecoderConfiguration
    /// Types reassembled when they cross a buffer edge; starts as the configuration's set.
    /// A session may change it between messages, for example stop inspecting DataRow while
    /// the current result masks nothing, so large rows stream through without a limit
    /// other than `maxMessageLength`. A change applies from the next message header on.
    public var inspectedTypes: PostgresMessageTypeSet
    @usableFromInline var phase: Phase
    @usableFromInline var progress: Progress = .boundary
    @usableFromInline var failure: PostgresProtocolError = .decoderFailed
    @usableFromInline var awaitingSingleByte = false
    @usableFromInline var pendingReassembled: PostgresFrame?

    // Message in progress (when `progress != .boundary`).
    @usableFromInline var header: (UInt64) = 0
    @usableFromInline var headerFilled = 0
    @usableFromInline var currentKind: PostgresFrameKind?
    @usableFromInline var currentLength = 0
    @usableFromInline var remaining = 0
    @usableFromInline var buffering = false

    // Scratch buffer for reassembly.
    @usableFromInline var scratch: UnsafeMutableRawPointer?
    @usableFromInline var scratchCapacity = 0
    @usableFromInline var scratchCount = 0

    public init(configuration: PostgresFrameDecoderConfiguration) {
        self.configuration = configuration
        self.inspectedTypes = configuration.inspectedTypes
        self.phase = configuration.sender == .frontend ? .startup : .regular
    }

    deinit {
        scratch?.deallocate()
    }

    /// Bytes of the most recently reassembled message (valid until the next call to `next`).
    public var reassembled: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: scratch, count: pendingOrLastReassembledLength)
    }

    @usableFromInline var pendingOrLastReassembledLength = 0

    /// Current capacity of the scratch buffer (never above `maxInspectedLength` or the
    /// startup limit).
    public var scratchBufferCapacity: Int { scratchCapacity }

    /// Whether the stream is between messages (no partial message held).
    public var isAtMessageBoundary: Bool { progress == .boundary }

    /// The next byte the server sends is a bare answer to SSLRequest / GSSENCRequest
    /// (backend decoders); it is reported as `.singleByte`.
    public mutating func expectSingleByteResponse() {
        awaitingSingleByte = true
    }

    /// Decodes the next event from `buffer` starting at `cursor` and advances `cursor`
    /// past the bytes the event covers.
    public mutating func next(in buffer: UnsafeRawBufferPointer, at cursor: inout Int) -> PostgresFrameEvent {
        if let frame = pendingReassembled {
            pendingReassembled = nil
            return .reassembled(frame)
        }
        if phase == .failed { return .protocolError(failure) }
        guard cursor >= 0, cursor < buffer.count else { return .needMoreData }
        if phase == .closed { return fail(.unexpectedMessage(type: buffer[cursor])) }

        switch progress {
        case .boundary:
            return startMessage(in: buffer, at: &cursor)
        case .header:
            return continueHeader(in: buffer, at: &cursor)
        case .body:
            return continueBody(in: buffer, at: &cursor, partStart: cursor, isFirst: false)
        }
    }

    // MARK: - Steps

    @usableFromInline
    mutating func fail(_ error: PostgresProtocolError) -> PostgresFrameEvent {
        phase = .failed
        failure = error
        return .protocolError(error)
    }

    @usableFromInline var headerSize: Int { phase == .startup ? 8 : 5 }

    @usableFromInline
    mutating func startMessage(in buffer: UnsafeRawBufferPointer, at cursor: inout Int) -> PostgresFrameEvent {
        if awaitingSingleByte {
            awaitingSingleByte = false
            let answer = buffer[cursor]
            cursor += 1
            return .singleByte(answer)
        }
        let available = buffer.count - cursor
        let size = headerSize
        if available >= size {
            var packed: UInt64 = 0
            var i = 0
            while i < size {
                packed |= UInt64(buffer[cursor + i]) << UInt64(56 - 8 * i)
                i += 1
            }
            let (kind, length, error) = parseHeader(packed)
            if let error { return fail(error) }
            guard let kind else { return fail(.decoderFailed) }
            if available >= length {
                let frame = PostgresFrame(kind: kind, offset: cursor, length: length)
                cursor += length
                finishedMessage(kind)
                return .frame(frame)
            }
            // The message crosses the buffer edge.
            currentKind = kind
            currentLength = length
            remaining = length
            headerFilled = size
            if mustBuffer(kind) {
                if let error = reserveScratch(length) { return fail(error) }
                buffering = true
                scratchCount = 0
            } else {
                buffering = false
            }
            progress = .body
            return continueBody(in: buffer, at: &cursor, partStart: cursor, isFirst: true)
        }
        // Even the header crosses the edge: keep its bytes inline. Whether the message is
        // reassembled is decided now (the type byte is known; startup packets always are),
        // so every part of one message reports the same `isBuffered`.
        header = 0
        headerFilled = 0
        currentKind = phase == .startup ? nil : .message(buffer[cursor])
        if let kind = currentKind { buffering = mustBuffer(kind) } else { buffering = true }
        let start = cursor
        absorbHeaderBytes(buffer, at: &cursor, count: available)
        if let error = startupLengthError() { return fail(error) }
        progress = .header
        return .part(PostgresFramePart(kind: currentKind, offset: start, count: available, messageLength: nil,
                                       isFirst: true, isLast: false, isBuffered: buffering))
    }

    @usableFromInline
    mutating func absorbHeaderBytes(_ buffer: UnsafeRawBufferPointer, at cursor: inout Int, count: Int) {
        var i = 0
        while i < count {
            header |= UInt64(buffer[cursor + i]) << UInt64(56 - 8 * headerFilled)
            headerFilled += 1
            i += 1
        }
        cursor += count
    }

    /// A startup packet's length is judged as soon as its four bytes are in, so a packet that
    /// declares fewer than 8 bytes is refused at once instead of waiting for bytes never sent.
    @usableFromInline
    func startupLengthError() -> PostgresProtocolError? {
        guard phase == .startup, headerFilled >= 4 else { return nil }
        let length = Int32(bitPattern: UInt32(truncatingIfNeeded: header >> 32))
        if length < 8 { return .lengthTooSmall(type: 0, length: length) }
        if Int(length) > configuration.maxStartupLength {
            return .messageTooLarge(type: 0, length: Int(length), limit: configuration.maxStartupLength)
        }
        return nil
    }

    @usableFromInline
    mutating func continueHeader(in buffer: UnsafeRawBufferPointer, at cursor: inout Int) -> PostgresFrameEvent {
        let size = headerSize
        let take = min(size - headerFilled, buffer.count - cursor)
        let start = cursor
        absorbHeaderBytes(buffer, at: &cursor, count: take)
        if let error = startupLengthError() { return fail(error) }
        guard headerFilled == size else {
            return .part(PostgresFramePart(kind: currentKind, offset: start, count: take, messageLength: nil,
                                           isFirst: false, isLast: false, isBuffered: buffering))
        }
        let (kind, length, error) = parseHeader(header)
        if let error { return fail(error) }
        guard let kind else { return fail(.decoderFailed) }
        currentKind = kind
        currentLength = length
        remaining = length - size
        if buffering {
            if let error = reserveScratch(length) { return fail(error) }
            if let scratch {
                var i = 0
                while i < size {
                    scratch.storeBytes(of: UInt8(truncatingIfNeeded: header >> UInt64(56 - 8 * i)), toByteOffset: i, as: UInt8.self)
                    i += 1
                }
            }
            scratchCount = size
        }
        progress = .body
        return continueBody(in: buffer, at: &cursor, partStart: start, isFirst: false)
    }

    /// Consumes body bytes from `cursor`; the reported part starts at `partStart`
    /// (which may include header bytes consumed just before).
    @usableFromInline
    mutating func continueBody(in buffer: UnsafeRawBufferPointer, at cursor: inout Int, partStart: Int, isFirst: Bool) -> PostgresFrameEvent {
        let take = min(remaining, buffer.count - cursor)
        if buffering, take > 0, let scratch, let source = buffer.baseAddress {
            (scratch + scratchCount).copyMemory(from: source + cursor, byteCount: take)
            scratchCount += take
        }
        cursor += take
        remaining -= take
        let isLast = remaining == 0
        let part = PostgresFramePart(kind: currentKind, offset: partStart, count: cursor - partStart,
                                     messageLength: currentLength, isFirst: isFirst, isLast: isLast,
                                     isBuffered: buffering)
        if isLast, let kind = currentKind {
            if buffering {
                pendingReassembled = PostgresFrame(kind: kind, offset: 0, length: currentLength)
                pendingOrLastReassembledLength = currentLength
            }
            progress = .boundary
            buffering = false
            finishedMessage(kind)
        }
        return .part(part)
    }

    /// Validates a complete header (big-endian bytes packed from the top of `packed`). Returns the kind and total length, or an error.
    @usableFromInline
    func parseHeader(_ packed: UInt64) -> (PostgresFrameKind?, Int, PostgresProtocolError?) {
        if phase == .startup {
            let length = Int32(bitPattern: UInt32(truncatingIfNeeded: packed >> 32))
            let code = Int32(bitPattern: UInt32(truncatingIfNeeded: packed))
            guard length >= 8 else { return (nil, 0, .lengthTooSmall(type: 0, length: length)) }
            let total = Int(length)
            guard total <= configuration.maxStartupLength else {
                return (nil, 0, .messageTooLarge(type: 0, length: total, limit: configuration.maxStartupLength))
            }
            let kind: PostgresFrameKind
            switch code {
            case PostgresMessageType.StartupCode.sslRequest: kind = .sslRequest
            case PostgresMessageType.StartupCode.gssEncRequest: kind = .gssEncRequest
            case PostgresMessageType.StartupCode.cancelRequest: kind = .cancelRequest
            default:
                guard code >> 16 == 3 else { return (nil, 0, .unsupportedStartupCode(code)) }
                kind = .startup
            }
            switch kind {
            case .sslRequest, .gssEncRequest:
                guard total == 8 else { return (nil, 0, .invalidField(type: 0)) }
            case .cancelRequest:
                guard total == 16 else { return (nil, 0, .invalidField(type: 0)) }
            default:
                break
            }
            return (kind, total, nil)
        }
        let type = UInt8(truncatingIfNeeded: packed >> 56)
        let length = Int32(bitPattern: UInt32(truncatingIfNeeded: packed >> 24))
        guard length >= 4 else { return (nil, 0, .lengthTooSmall(type: type, length: length)) }
        let total = Int(length) + 1
        guard total <= configuration.maxMessageLength else {
            return (nil, 0, .messageTooLarge(type: type, length: total, limit: configuration.maxMessageLength))
        }
        if inspectedTypes.contains(type), total > configuration.maxInspectedLength {
            return (nil, 0, .messageTooLarge(type: type, length: total, limit: configuration.maxInspectedLength))
        }
        return (.message(type), total, nil)
    }

    @usableFromInline
    func mustBuffer(_ kind: PostgresFrameKind) -> Bool {
        switch kind {
        case .message(let type): return inspectedTypes.contains(type)
        default: return true
        }
    }

    /// Makes sure the scratch buffer holds `length` bytes; grows geometrically so a
    /// session reallocates at most a handful of times over its life.
    @usableFromInline
    mutating func reserveScratch(_ length: Int) -> PostgresProtocolError? {
        if length <= scratchCapacity { return nil }
        let ceiling = max(configuration.maxInspectedLength, configuration.maxStartupLength)
        guard length <= ceiling else {
            return .messageTooLarge(type: currentKind?.typeByte ?? 0, length: length, limit: ceiling)
        }
        var capacity = max(scratchCapacity, 4096)
        while capacity < length { capacity = capacity * 2 }
        capacity = min(capacity, ceiling)
        scratch?.deallocate()
        scratch = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        scratchCapacity = capacity
        return nil
    }

    @usableFromInline
    mutating func finishedMessage(_ kind: PostgresFrameKind) {
        progress = .boundary
        headerFilled = 0
        header = 0
        switch kind {
        case .startup: phase = .regular
        case .cancelRequest: phase = .closed
        case .sslRequest, .gssEncRequest, .message: break
        }
    }
}
