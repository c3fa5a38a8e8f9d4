/// Which side's messages a decoder reads, and its limits.
public struct PostgresFrameDecoderConfiguration: Sendable {
    /// The sender of the bytes being decoded.
    public enum Sender: Sendable, Hashable {
        /// A client: the stream starts in the startup phase (StartupMessage, SSLRequest,
        /// GSSENCRequest, CancelRequest have no type byte).
        case frontend
        /// A server: regular messages only.
        case backend
    }

    public var sender: Sender
    /// Types of regular messages that must be inspected whole: when one crosses a buffer
    /// edge, it is copied into the bounded scratch buffer. Startup-phase packets are
    /// always inspected.
    public var inspectedTypes: PostgresMessageTypeSet
    /// Largest inspected message (header included). A longer one is a protocol error:
    /// what cannot be inspected is not let through.
    public var maxInspectedLength: Int
    /// Largest regular message of any type (PostgreSQL's own limit is 1 GiB).
    public var maxMessageLength: Int
    /// Largest startup-phase packet (PostgreSQL accepts at most 10,000 bytes).
    public var maxStartupLength: Int

    public init(
        sender: Sender,
        inspectedTypes: PostgresMessageTypeSet = PostgresMessageTypeSet(),
        maxInspectedLength: Int = 1 << 20,
        maxMessageLength: Int = 1 << 30,
        maxStartupLength: Int = 10_000
    ) {
        self.sender = sender
        self.inspectedTypes = inspectedTypes
        self.maxInspectedLength = max(maxInspectedLength, 8)
        self.maxMessageLength = max(maxMessageLength, 5)
        self.maxStartupLength = max(maxStartupLength, 16)
    }

    /// A frontend decoder that inspects Query and Parse (for classification) and
    /// reassembles them up to `maxInspectedLength`.
    public static func frontend(maxInspectedLength: Int = 1 << 20) -> Self {
        Self(sender: .frontend,
             inspectedTypes: PostgresMessageTypeSet(PostgresMessageType.Frontend.query, PostgresMessageType.Frontend.parse),
             maxInspectedLength: maxInspectedLength)
    }

    /// A backend decoder that inspects RowDescription, DataRow, CopyOutResponse,
    /// CopyData, ParameterStatus and Authentication (for masking and session state).
    public static func backend(maxInspectedLength: Int = 1 << 20) -> Self {
        Self(sender: .backend,
             inspectedTypes: PostgresMessageTypeSet(
                PostgresMessageType.Backend.rowDescription, PostgresMessageType.Backend.dataRow,
                PostgresMessageType.Backend.copyOutResponse, PostgresMessageType.Backend.copyData,
                PostgresMessageType.Backend.parameterStatus, PostgresMessageType.Backend.authentication),
             maxInspectedLength: maxInspectedLength)
    }
}
