/// What a frame is: a regular message with its type byte, or one of the packets of the
/// startup phase (which have no type byte).
public enum PostgresFrameKind: Sendable, Hashable {
    /// A regular message; the payload is its type byte (`Q`, `D`, ...).
    case message(UInt8)
    /// A StartupMessage (protocol 3.x) with its parameters.
    case startup
    /// An SSLRequest (code 80877103).
    case sslRequest
    /// A GSSENCRequest (code 80877104).
    case gssEncRequest
    /// A CancelRequest (code 80877102) with process ID and secret key.
    case cancelRequest

    /// The type byte of a regular message, 0 for startup-phase packets.
    @inlinable
    public var typeByte: UInt8 {
        if case .message(let type) = self { return type }
        return 0
    }

    /// Bytes before the body: 5 (type + length) for regular messages, 4 (length) for
    /// startup-phase packets, whose body starts with the request code.
    @inlinable
    public var headerLength: Int {
        if case .message = self { return 5 }
        return 4
    }
}

/// A whole message located in a buffer: `[offset, offset + length)` holds the header and body.
public struct PostgresFrame: Sendable, Hashable {
    public var kind: PostgresFrameKind
    /// Offset of the first header byte in the buffer the event refers to.
    public var offset: Int
    /// Total message length in bytes, header included.
    public var length: Int

    @inlinable
    public init(kind: PostgresFrameKind, offset: Int, length: Int) {
        self.kind = kind
        self.offset = offset
        self.length = length
    }

    /// Offset of the body (after type byte and length, or after the startup length).
    @inlinable public var bodyOffset: Int { offset + kind.headerLength }
    /// Body length in bytes.
    @inlinable public var bodyLength: Int { length - kind.headerLength }

    /// The whole message's bytes inside `buffer` (the buffer the event refers to).
    @inlinable
    public func bytes(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)])
    }

    /// The body's bytes inside `buffer`.
    @inlinable
    public func body(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[bodyOffset..<(offset + length)])
    }
}

/// Bytes of a message that crosses the edge of a receive buffer.
///
/// A proxy that only forwards can send `[offset, offset + count)` of the current buffer
/// as it arrives. When `isBuffered` is true (the same for every part of one message) the
/// bytes are also being collected in the decoder's bounded scratch buffer and a
/// `.reassembled` event with the whole message follows the last part: forward that
/// instead of the parts (after inspecting or masking it).
public struct PostgresFramePart: Sendable, Hashable {
    /// The message's kind; `nil` only while a startup-phase packet's 8-byte header is incomplete.
    public var kind: PostgresFrameKind?
    /// Offset of these bytes in the current buffer.
    public var offset: Int
    /// Number of bytes of the message in the current buffer.
    public var count: Int
    /// The whole message's length, once its header is complete.
    public var messageLength: Int?
    /// Whether these are the message's first bytes.
    public var isFirst: Bool
    /// Whether these are the message's last bytes.
    public var isLast: Bool
    /// Whether the message is being reassembled for inspection.
    public var isBuffered: Bool

    @inlinable
    public init(kind: PostgresFrameKind?, offset: Int, count: Int, messageLength: Int?, isFirst: Bool, isLast: Bool, isBuffered: Bool) {
        self.kind = kind
        self.offset = offset
        self.count = count
        self.messageLength = messageLength
        self.isFirst = isFirst
        self.isLast = isLast
        self.isBuffered = isBuffered
    }
}

/// One step of decoding.
public enum PostgresFrameEvent: Sendable, Hashable {
    /// Everything in the buffer was consumed; call again with the next receive buffer.
    case needMoreData
    /// A whole message lies inside the current buffer (zero copy).
    case frame(PostgresFrame)
    /// Part of a message that crosses a buffer edge.
    case part(PostgresFramePart)
    /// An inspected message that crossed buffer edges is complete in the decoder's scratch
    /// buffer (`PostgresFrameDecoder.reassembled`); the frame's offset is 0 there.
    case reassembled(PostgresFrame)
    /// The single-byte answer to an SSLRequest or GSSENCRequest (`S`, `G` or `N`), see
    /// `PostgresFrameDecoder.expectSingleByteResponse()`.
    case singleByte(UInt8)
    /// The stream violates the protocol; the decoder stays failed.
    case protocolError(PostgresProtocolError)
}
