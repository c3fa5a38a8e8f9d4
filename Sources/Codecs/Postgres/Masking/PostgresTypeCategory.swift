/// How a column's data type is treated by masking, from its type OID.
public enum PostgresTypeCategory: UInt8, Sendable, Hashable {
    /// Character types whose text and binary forms are the same UTF-8 bytes:
    /// text, varchar, bpchar, name, "char", unknown.
    case text
    /// json (binary = text) and jsonb (binary = version byte 1 + text).
    case json
    /// int2, int4, int8, oid: binary forms are big-endian integers.
    case integer
    /// Types whose binary form cannot hold free text or long digit strings: bool, float4,
    /// float8, date, time, timetz, timestamp, timestamptz, interval, uuid.
    case scalar
    /// Arrays of character types (text[], varchar[], bpchar[], name[], "char"[]): their text
    /// form is the array literal, their binary form a header and length-prefixed UTF-8
    /// elements; both can be scanned in place element by element.
    case textArray
    /// Everything else (numeric, bytea, other arrays, composites, extension types, ...).
    case other

    /// Well-known OIDs from pg_type.dat (stable across PostgreSQL versions).
    public enum OID {
        public static let bool: UInt32 = 16
        public static let bytea: UInt32 = 17
        public static let char: UInt32 = 18
        public static let name: UInt32 = 19
        public static let int8: UInt32 = 20
        public static let int2: UInt32 = 21
        public static let int4: UInt32 = 23
        public static let text: UInt32 = 25
        public static let oid: UInt32 = 26
        public static let json: UInt32 = 114
        public static let float4: UInt32 = 700
        public static let float8: UInt32 = 701
        public static let unknown: UInt32 = 705
        public static let bpchar: UInt32 = 1042
        public static let varchar: UInt32 = 1043
        public static let date: UInt32 = 1082
        public static let time: UInt32 = 1083
        public static let timestamp: UInt32 = 1114
        public static let timestamptz: UInt32 = 1184
        public static let interval: UInt32 = 1186
        public static let timetz: UInt32 = 1266
        public static let numeric: UInt32 = 1700
        public static let uuid: UInt32 = 2950
        public static let jsonb: UInt32 = 3802
        public static let charArray: UInt32 = 1002
        public static let nameArray: UInt32 = 1003
        public static let textArray: UInt32 = 1009
        public static let bpcharArray: UInt32 = 1014
        public static let varcharArray: UInt32 = 1015
    }

    @inlinable
    public init(typeOID: UInt32) {
        switch typeOID {
        case OID.text, OID.varchar, OID.bpchar, OID.name, OID.char, OID.unknown: self = .text
        case OID.json, OID.jsonb: self = .json
        case OID.textArray, OID.varcharArray, OID.bpcharArray, OID.nameArray, OID.charArray: self = .textArray
        case OID.int2, OID.int4, OID.int8, OID.oid: self = .integer
        case OID.bool, OID.float4, OID.float8, OID.date, OID.time, OID.timetz, OID.timestamp,
             OID.timestamptz, OID.interval, OID.uuid: self = .scalar
        default: self = .other
        }
    }
}
