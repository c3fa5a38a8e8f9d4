/// A violation of the PostgreSQL frontend/backend protocol found while decoding,
/// inspecting, masking or encoding.
///
/// Errors are plain values: hostile input never traps, it yields one of these and the
/// session is expected to close. No case carries payload bytes, so an error can be
/// logged without leaking message contents.
public enum PostgresProtocolError: Error, Sendable, Hashable {
    /// A length field is below the protocol minimum (4 for regular messages, 8 for startup packets).
    case lengthTooSmall(type: UInt8, length: Int32)
    /// A message is longer than the configured limit for its kind.
    case messageTooLarge(type: UInt8, length: Int, limit: Int)
    /// A startup-phase packet carried a code that is neither protocol 3.x nor a known request.
    case unsupportedStartupCode(Int32)
    /// A message body ended before a field it announces.
    case truncated(type: UInt8)
    /// A message body had bytes left over after its last field.
    case trailingBytes(type: UInt8)
    /// A count or length field is negative or impossible.
    case invalidField(type: UInt8)
    /// A message of this type was not expected here (for example a DataRow whose
    /// column count differs from the RowDescription, or bytes after a CancelRequest).
    case unexpectedMessage(type: UInt8)
    /// A RowDescription announced more columns than the column table can hold.
    case tooManyColumns(count: Int, limit: Int)
    /// An encoder's output buffer is too small for the message.
    case outputBufferTooSmall(needed: Int)
    /// A COPY row did not end inside its CopyData message, or binary COPY must be masked.
    case unsupportedCopyData
    /// The decoder already failed; it stays failed.
    case decoderFailed
}
