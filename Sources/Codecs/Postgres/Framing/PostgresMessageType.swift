/// Type bytes of regular (post-startup) PostgreSQL protocol 3.0 messages.
///
/// Several bytes mean different messages in each direction (`D` is Describe from the
/// frontend and DataRow from the backend), so constants are grouped by sender.
public enum PostgresMessageType {
    /// Messages a frontend (client) sends.
    public enum Frontend {
        public static let bind: UInt8 = UInt8(ascii: "B")
        public static let close: UInt8 = UInt8(ascii: "C")
        public static let copyData: UInt8 = UInt8(ascii: "d")
        public static let copyDone: UInt8 = UInt8(ascii: "c")
        public static let copyFail: UInt8 = UInt8(ascii: "f")
        public static let describe: UInt8 = UInt8(ascii: "D")
        public static let execute: UInt8 = UInt8(ascii: "E")
        public static let flush: UInt8 = UInt8(ascii: "H")
        public static let functionCall: UInt8 = UInt8(ascii: "F")
        public static let parse: UInt8 = UInt8(ascii: "P")
        /// PasswordMessage, SASLInitialResponse and SASLResponse all use `p`; the
        /// authentication state tells them apart.
        public static let password: UInt8 = UInt8(ascii: "p")
        public static let query: UInt8 = UInt8(ascii: "Q")
        public static let sync: UInt8 = UInt8(ascii: "S")
        public static let terminate: UInt8 = UInt8(ascii: "X")
    }

    /// Messages a backend (server) sends.
    public enum Backend {
        public static let authentication: UInt8 = UInt8(ascii: "R")
        public static let backendKeyData: UInt8 = UInt8(ascii: "K")
        public static let bindComplete: UInt8 = UInt8(ascii: "2")
        public static let closeComplete: UInt8 = UInt8(ascii: "3")
        public static let commandComplete: UInt8 = UInt8(ascii: "C")
        public static let copyData: UInt8 = UInt8(ascii: "d")
        public static let copyDone: UInt8 = UInt8(ascii: "c")
        public static let copyInResponse: UInt8 = UInt8(ascii: "G")
        public static let copyOutResponse: UInt8 = UInt8(ascii: "H")
        public static let copyBothResponse: UInt8 = UInt8(ascii: "W")
        public static let dataRow: UInt8 = UInt8(ascii: "D")
        public static let emptyQueryResponse: UInt8 = UInt8(ascii: "I")
        public static let errorResponse: UInt8 = UInt8(ascii: "E")
        public static let functionCallResponse: UInt8 = UInt8(ascii: "V")
        public static let negotiateProtocolVersion: UInt8 = UInt8(ascii: "v")
        public static let noData: UInt8 = UInt8(ascii: "n")
        public static let noticeResponse: UInt8 = UInt8(ascii: "N")
        public static let notificationResponse: UInt8 = UInt8(ascii: "A")
        public static let parameterDescription: UInt8 = UInt8(ascii: "t")
        public static let parameterStatus: UInt8 = UInt8(ascii: "S")
        public static let parseComplete: UInt8 = UInt8(ascii: "1")
        public static let portalSuspended: UInt8 = UInt8(ascii: "s")
        public static let readyForQuery: UInt8 = UInt8(ascii: "Z")
        public static let rowDescription: UInt8 = UInt8(ascii: "T")
    }

    /// Request codes carried by startup-phase packets (no type byte).
    public enum StartupCode {
        /// Protocol 3.0 (major 3 in the high 16 bits, minor 0).
        public static let protocol3: Int32 = 196_608
        public static let cancelRequest: Int32 = 80_877_102
        public static let sslRequest: Int32 = 80_877_103
        public static let gssEncRequest: Int32 = 80_877_104
    }
}

/// A set of message type bytes (256 bits, no allocation).
public struct PostgresMessageTypeSet: Sendable, Hashable {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64)

    @inlinable public init() { words = (0, 0, 0, 0) }

    @inlinable
    public init(_ types: UInt8...) {
        self.init()
        for t in types { insert(t) }
    }

    @inlinable
    public mutating func insert(_ type: UInt8) {
        let bit = UInt64(1) << UInt64(type & 63)
        switch type >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    @inlinable
    public mutating func remove(_ type: UInt8) {
        let bit = ~(UInt64(1) << UInt64(type & 63))
        switch type >> 6 {
        case 0: words.0 &= bit
        case 1: words.1 &= bit
        case 2: words.2 &= bit
        default: words.3 &= bit
        }
    }

    @inlinable
    public func contains(_ type: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(type & 63)
        switch type >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }
}
