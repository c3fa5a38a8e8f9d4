/// Who, what and when a recording is about: the payload of its first record.
///
/// Encoded as fields `[u8 tag][u32 length][value]`; a reader skips tags it does not know, so
/// fields can be added without a new version. Holds no secret: never the token, the upstream
/// password or a statement.
public struct RecordingHeader: Sendable, Hashable {
    enum Tag: UInt8 {
        case sessionID = 1, startMicroseconds = 2, identity = 3, group = 4, resource = 5, database = 6
        case clientAddress = 7, upstreamUser = 8, policyVersion = 9, gatewayVersion = 10
    }

    public var sessionID: UInt64
    /// Wall-clock start, microseconds since 1970-01-01T00:00:00Z; record times count from here.
    public var startMicroseconds: Int64
    public var identity: String
    public var groups: [String]
    public var resource: String
    public var database: String
    public var clientAddress: String?
    public var upstreamUser: String?
    /// The policy version in force when the session started (decisions carry their own).
    public var policyVersion: String
    public var gatewayVersion: String

    public init(
        sessionID: UInt64, startMicroseconds: Int64, identity: String, groups: [String], resource: String,
        database: String, clientAddress: String?, upstreamUser: String?, policyVersion: String,
        gatewayVersion: String = RingGateVersion.string
    ) {
        self.sessionID = sessionID
        self.startMicroseconds = startMicroseconds
        self.identity = identity
        self.groups = groups
        self.resource = resource
        self.database = database
        self.clientAddress = clientAddress
        self.upstreamUser = upstreamUser
        self.policyVersion = policyVersion
        self.gatewayVersion = gatewayVersion
    }

    /// The header record's payload.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        func field(_ tag: Tag, _ value: [UInt8]) {
            out.append(tag.rawValue)
            out.append(contentsOf: BigEndian.bytes(UInt32(value.count)))
            out.append(contentsOf: value)
        }
        field(.sessionID, BigEndian.bytes(sessionID))
        field(.startMicroseconds, BigEndian.bytes(UInt64(bitPattern: startMicroseconds)))
        field(.identity, Array(identity.utf8))
        for group in groups { field(.group, Array(group.utf8)) }
        field(.resource, Array(resource.utf8))
        field(.database, Array(database.utf8))
        if let clientAddress { field(.clientAddress, Array(clientAddress.utf8)) }
        if let upstreamUser { field(.upstreamUser, Array(upstreamUser.utf8)) }
        field(.policyVersion, Array(policyVersion.utf8))
        field(.gatewayVersion, Array(gatewayVersion.utf8))
        return out
    }

    /// Reads a header record's payload; nil when a field is cut off or a required one is missing.
    public init?(decoding payload: some Collection<UInt8>) {
        let bytes = Array(payload)
        var index = 0
        var sessionID: UInt64?
        var start: Int64?
        var identity: String?
        var resource: String?
        var groups: [String] = []
        var database = ""
        var clientAddress: String?
        var upstreamUser: String?
        var policyVersion = ""
        var gatewayVersion = ""
        while index < bytes.count {
            guard index + 5 <= bytes.count else { return nil }
            let tag = bytes[index]
            let length = Int(BigEndian.uint32(bytes, at: index + 1))
            index += 5
            guard length <= bytes.count - index else { return nil }
            let value = Array(bytes[index..<(index + length)])
            index += length
            let text = String(decoding: value, as: UTF8.self)
            switch Tag(rawValue: tag) {
            case .sessionID? where length == 8: sessionID = BigEndian.uint64(value, at: 0)
            case .startMicroseconds? where length == 8: start = Int64(bitPattern: BigEndian.uint64(value, at: 0))
            case .identity?: identity = text
            case .group?: groups.append(text)
            case .resource?: resource = text
            case .database?: database = text
            case .clientAddress?: clientAddress = text
            case .upstreamUser?: upstreamUser = text
            case .policyVersion?: policyVersion = text
            case .gatewayVersion?: gatewayVersion = text
            default: continue
            }
        }
        guard let sessionID, let start, let identity, let resource else { return nil }
        self.init(
            sessionID: sessionID, startMicroseconds: start, identity: identity, groups: groups, resource: resource,
            database: database, clientAddress: clientAddress, upstreamUser: upstreamUser,
            policyVersion: policyVersion, gatewayVersion: gatewayVersion)
    }

    /// The file name of this session's recording: start time (UTC), resource, process and session.
    public func fileName(processID: Int32) -> String {
        let seconds = startMicroseconds / 1_000_000
        let micros = startMicroseconds % 1_000_000
        let (year, month, day) = Self.civilDate(daysSinceEpoch: seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let stamp = "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))T\(pad(secondOfDay / 3600, 2))\(pad(secondOfDay / 60 % 60, 2))"
            + "\(pad(secondOfDay % 60, 2)).\(pad(Int(micros), 6))Z"
        return "\(stamp)-\(resource)-\(processID)-\(sessionID).\(RecordingFormat.fileExtension)"
    }

    /// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithm).
    static func civilDate(daysSinceEpoch: Int64) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }
}

/// Big-endian integers to and from bytes (off the data path).
enum BigEndian {
    static func bytes(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func bytes(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func bytes(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    static func uint16(_ bytes: some Collection<UInt8>, at offset: Int) -> UInt16 {
        let start = bytes.index(bytes.startIndex, offsetBy: offset)
        return bytes[start...].prefix(2).reduce(0) { $0 << 8 | UInt16($1) }
    }

    static func uint32(_ bytes: some Collection<UInt8>, at offset: Int) -> UInt32 {
        let start = bytes.index(bytes.startIndex, offsetBy: offset)
        return bytes[start...].prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func uint64(_ bytes: some Collection<UInt8>, at offset: Int) -> UInt64 {
        let start = bytes.index(bytes.startIndex, offsetBy: offset)
        return bytes[start...].prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
