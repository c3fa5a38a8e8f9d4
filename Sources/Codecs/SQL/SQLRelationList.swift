/// Up to ``capacity`` relation references, stored inline (no heap allocation).
///
/// When a statement names more relations than fit, ``isOverflowed`` is set and the extra
/// ones are dropped: policy must then treat the relation list as unknown.
public struct SQLRelationList: Sendable, RandomAccessCollection {
    /// How many references fit.
    public static let capacity = 16

    @usableFromInline var storage: InlineArray<16, RelationReference>
    /// Each stored reference's ``key(_:in:)``, compared before any bytes.
    @usableFromInline var keys: InlineArray<16, UInt64>
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
        keys = InlineArray(repeating: 0)
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
        add(reference, key: Self.key(reference, in: text), in: text)
    }

    /// ``add(_:in:)`` with `reference`'s ``key(_:in:)`` already computed.
    @inlinable
    mutating func add(_ reference: RelationReference, key: UInt64, in text: UnsafeRawBufferPointer) {
        let count = storedCount
        // Newest first (a relation named again is most often one named recently); the list
        // holds no two equal relations, so the order finds the same one.
        var index = count
        while index > 0 {
            index &-= 1
            // Equal relations have equal keys: only an equal key needs the bytes compared.
            if keys[index] == key && Self.sameRelation(storage[index], reference, in: text) {
                if reference.isModified { storage[index].isModified = true }
                return
            }
        }
        guard count < Self.capacity else {
            overflowed = true
            return
        }
        storage[count] = reference
        keys[count] = key
        storedCount = count &+ 1
    }

    /// Adds every reference of `other`.
    @inlinable
    public mutating func add(contentsOf other: SQLRelationList, in text: UnsafeRawBufferPointer) {
        var index = 0
        while index < other.count {
            add(other.storage[index], key: other.keys[index], in: text)
            index &+= 1
        }
        if other.overflowed { overflowed = true }
    }

    /// Adds every relation of the statement summary at `statement`, read in place (taking the
    /// list by value copied its storage first).
    @inlinable
    mutating func add(relationsOf statement: UnsafePointer<SQLStatementSummary>, in text: UnsafeRawBufferPointer) {
        let count = statement.pointee.relations.storedCount
        var index = 0
        while index < count {
            add(statement.pointee.relations.storage.span[index], key: statement.pointee.relations.keys[index], in: text)
            index &+= 1
        }
        if statement.pointee.relations.overflowed { overflowed = true }
    }

    /// A summary of `reference` that equal references (in the sense of
    /// ``sameRelation(_:_:in:)``) share: the name's length and its first and last bytes
    /// (folded unless quoted), whether there is a schema and its length's low byte. Different
    /// keys mean different relations; equal keys need the bytes compared.
    @inlinable @inline(__always)
    static func key(_ reference: RelationReference, in text: UnsafeRawBufferPointer) -> UInt64 {
        let name = reference.name
        var key = UInt64(UInt32(bitPattern: name.count))
        if name.count > 0, name.start >= 0, Int(name.end) <= text.count {
            let first = fold(text[Int(name.start)], quoted: reference.nameQuoted)
            let last = fold(text[Int(name.end &- 1)], quoted: reference.nameQuoted)
            key |= UInt64(first) << 32 | UInt64(last) << 40
        }
        if let schema = reference.schema {
            key |= 1 << 63 | UInt64(UInt8(truncatingIfNeeded: schema.count)) << 48
        }
        return key
    }

    /// `byte` as ``sameName(_:_:_:_:in:)`` compares it: upper-case ASCII letters folded to
    /// lower case unless quoted.
    @inlinable @inline(__always)
    static func fold(_ byte: UInt8, quoted: Bool) -> UInt8 {
        !quoted && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
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
