/// Up to ``capacity`` relation references, stored inline (no heap allocation).
///
/// When a statement names more relations than fit, ``isOverflowed`` is set and the extra
/// ones are dropped: policy must then treat the relation list as unknown.
public struct SQLRelationList: Sendable, RandomAccessCollection {
    /// How many references fit.
    public static let capacity = 16

    @usableFromInline var storage: InlineArray<16, RelationReference>
    @usableFromInline var storedCount: Int
    @usableFromInline var overflowed: Bool

    /// How many references are stored.
    @inlinable public var count: Int { storedCount }
    /// More relations were named than fit; the list is incomplete.
    @inlinable public var isOverflowed: Bool { overflowed }

    @inlinable
    public init() {
        storage = InlineArray(repeating: RelationReference(
            schema: nil, schemaQuoted: false,
            name: ByteRange(start: 0, count: 0), nameQuoted: false, isModified: false))
        storedCount = 0
        overflowed = false
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> RelationReference {
        precondition(position >= 0 && position < count, "relation index out of range")
        return storage[position]
    }

    /// Removes every reference.
    @inlinable
    public mutating func removeAll() {
        storedCount = 0
        overflowed = false
    }

    /// Adds `reference` unless `text` shows an equal one is already listed (then only its
    /// ``RelationReference/isModified`` is merged). Sets ``isOverflowed`` when full.
    @inlinable
    public mutating func add(_ reference: RelationReference, in text: UnsafeRawBufferPointer) {
        var index = 0
        while index < count {
            if Self.sameRelation(storage[index], reference, in: text) {
                if reference.isModified { storage[index].isModified = true }
                return
            }
            index &+= 1
        }
        guard count < Self.capacity else {
            overflowed = true
            return
        }
        storage[storedCount] = reference
        storedCount &+= 1
    }

    /// Adds every reference of `other`.
    @inlinable
    public mutating func add(contentsOf other: SQLRelationList, in text: UnsafeRawBufferPointer) {
        var index = 0
        while index < other.count {
            add(other.storage[index], in: text)
            index &+= 1
        }
        if other.overflowed { overflowed = true }
    }

    /// Adds every relation of the statement summary at `statement`, read in place (taking the
    /// list by value copied its 384 bytes of storage first).
    @inlinable
    mutating func add(relationsOf statement: UnsafePointer<SQLStatementSummary>, in text: UnsafeRawBufferPointer) {
        let count = statement.pointee.relations.storedCount
        var index = 0
        while index < count {
            add(statement.pointee.relations.storage.span[index], in: text)
            index &+= 1
        }
        if statement.pointee.relations.overflowed { overflowed = true }
    }

    /// Marks every reference as read-only (as EXPLAIN without ANALYZE leaves them).
    @inlinable
    mutating func clearModified() {
        var index = 0
        while index < count {
            storage[index].isModified = false
            index &+= 1
        }
    }

    @inlinable
    static func sameRelation(_ a: RelationReference, _ b: RelationReference, in text: UnsafeRawBufferPointer) -> Bool {
        guard sameName(a.name, a.nameQuoted, b.name, b.nameQuoted, in: text) else { return false }
        switch (a.schema, b.schema) {
        case (nil, nil): return true
        case let (x?, y?): return sameName(x, a.schemaQuoted, y, b.schemaQuoted, in: text)
        default: return false
        }
    }

    /// Compares identifiers as PostgreSQL would after folding unquoted ones to lower case.
    @inlinable
    static func sameName(_ a: ByteRange, _ aQuoted: Bool, _ b: ByteRange, _ bQuoted: Bool, in text: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count, a.start >= 0, b.start >= 0,
              Int(a.end) <= text.count, Int(b.end) <= text.count else { return false }
        var index: Int32 = 0
        while index < a.count {
            var x = text[Int(a.start &+ index)]
            var y = text[Int(b.start &+ index)]
            if !aQuoted && x >= 0x41 && x <= 0x5A { x |= 0x20 }
            if !bQuoted && y >= 0x41 && y <= 0x5A { y |= 0x20 }
            if x != y { return false }
            index &+= 1
        }
        return true
    }
}

/// A set of ``DropObjectKind`` values, stored as bits.
public struct DropObjectKindSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The set holding just `kind`.
    @inlinable
    public init(_ kind: DropObjectKind) { self.rawValue = 1 << UInt32(kind.rawValue) }

    /// Whether `kind` is in the set.
    @inlinable
    public func contains(_ kind: DropObjectKind) -> Bool { contains(DropObjectKindSet(kind)) }

    /// Adds `kind`.
    @inlinable
    public mutating func insert(_ kind: DropObjectKind) { formUnion(DropObjectKindSet(kind)) }
}
