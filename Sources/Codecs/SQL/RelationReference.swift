/// A half-open byte range `[start, start + count)` into the text a codec inspected.
///
/// Codecs report positions, not copies, so inspection allocates nothing; the caller still
/// holds the bytes and resolves the range when (and only if) it needs them.
public struct ByteRange: Sendable, Hashable {
    public var start: Int32
    public var count: Int32

    @inlinable
    public init(start: Int32, count: Int32) {
        self.start = start
        self.count = count
    }

    @inlinable public var end: Int32 { start + count }
    @inlinable public var isEmpty: Bool { count == 0 }
}

/// A relation (table, view, ...) named by a statement, as written in the statement text.
///
/// Unquoted identifiers compare case-insensitively (PostgreSQL folds them to lower case);
/// quoted ones compare exactly, with doubled quotes (`""`) standing for one quote.
public struct RelationReference: Sendable, Hashable {
    /// The schema qualifier, when the statement wrote one (`public` in `public.users`).
    public var schema: ByteRange?
    /// Whether the schema was written as a quoted identifier.
    public var schemaQuoted: Bool
    /// The relation name, without quotes.
    public var name: ByteRange
    /// Whether the name was written as a quoted identifier.
    public var nameQuoted: Bool
    /// Whether this statement modifies the relation (target of INSERT/UPDATE/DELETE/MERGE,
    /// TRUNCATE, DROP, ALTER, COPY FROM) rather than only reading it.
    public var isModified: Bool

    @inlinable
    public init(schema: ByteRange?, schemaQuoted: Bool, name: ByteRange, nameQuoted: Bool, isModified: Bool) {
        self.schema = schema
        self.schemaQuoted = schemaQuoted
        self.name = name
        self.nameQuoted = nameQuoted
        self.isModified = isModified
    }
}

extension RelationReference {
    /// `schema.name` as written in `text` (quoted parts keep their case), for audit records.
    public func displayName(in text: UnsafeRawBufferPointer) -> String {
        func part(_ range: ByteRange) -> String {
            let start = max(0, min(Int(range.start), text.count))
            let end = max(start, min(Int(range.end), text.count))
            return String(decoding: UnsafeRawBufferPointer(rebasing: text[start..<end]), as: UTF8.self)
        }
        if let schema { return part(schema) + "." + part(name) }
        return part(name)
    }
}
