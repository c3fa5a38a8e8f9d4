/// Up to ``capacity`` relation references, stored inline (no heap allocation).
///
/// When a statement names more relations than fit, ``isOverflowed`` is set and the extra
/// ones are dropped: policy must then treat the relation list as unknown.
public struct SQLRelationList: Sendable, RandomAccessCollection {
    /// How many references fit.
    public static let capacity = 16

    /// A stored reference: its ranges and flags as plain integers (stored and compared
    /// without the optional schema's packing), and its ``SQLRelationList/key(_:in:)``.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var key: UInt64
        @usableFromInline var nameStart: Int32
        @usableFromInline var nameCount: Int32
        @usableFromInline var schemaStart: Int32
        @usableFromInline var schemaCount: Int32
        /// ``hasSchema``, ``schemaQuoted``, ``nameQuoted``, ``modified``.
        @usableFromInline var flags: UInt8

        @inlinable static var hasSchema: UInt8 { 1 }
        @inlinable static var schemaQuoted: UInt8 { 2 }
        @inlinable static var nameQuoted: UInt8 { 4 }
        @inlinable static var modified: UInt8 { 8 }

        @inlinable @inline(__always)
        init(_ reference: RelationReference, key: UInt64) {
            self.key = key
            nameStart = reference.name.start
            nameCount = reference.name.count
            var flags: UInt8 = reference.nameQuoted ? Self.nameQuoted : 0
            if reference.isModified { flags |= Self.modified }
            if let schema = reference.schema {
                schemaStart = schema.start
                schemaCount = schema.count
                flags |= reference.schemaQuoted ? Self.hasSchema | Self.schemaQuoted : Self.hasSchema
            } else {
                schemaStart = 0
                schemaCount = 0
                if reference.schemaQuoted { flags |= Self.schemaQuoted }
            }
            self.flags = flags
        }

        @inlinable
        var reference: RelationReference {
            RelationReference(
                schema: flags & Self.hasSchema != 0 ? ByteRange(start: schemaStart, count: schemaCount) : nil,
                schemaQuoted: flags & Self.schemaQuoted != 0,
                name: ByteRange(start: nameStart, count: nameCount), nameQuoted: flags & Self.nameQuoted != 0,
                isModified: flags & Self.modified != 0)
        }
    }

    @usableFromInline var storage: InlineArray<16, Entry>
    @usableFromInline var storedCount: Int
    @usableFromInline var overflowed: Bool

    /// How many references are stored.
    @inlinable public var count: Int { storedCount }
    /// More relations were named than fit; the list is incomplete.
    @inlinable public var isOverflowed: Bool { overflowed }

    @inlinable
    public init() {
        storage = InlineArray(repeating: Entry(
            RelationReference(schema: nil, schemaQuoted: false, name: ByteRange(start: 0, count: 0),
                              nameQuoted: false, isModified: false), key: 0))
        storedCount = 0
        overflowed = false
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> RelationReference {
        precondition(position >= 0 && position < count, "relation index out of range")
        return storage[position].reference
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
        add(Entry(reference, key: Self.key(reference, in: text)), in: text)
    }

    /// ``add(_:in:)`` for a stored entry (its key computed).
    @inlinable @inline(__always)
    mutating func add(_ entry: Entry, in text: UnsafeRawBufferPointer) {
        let count = storedCount
        // Newest first (a relation named again is most often one named recently); the list
        // holds no two equal relations, so the order finds the same one.
        var index = count
        while index > 0 {
            index &-= 1
            // Equal relations have equal keys: only an equal key needs the bytes compared.
            if storage[index].key == entry.key && Self.sameRelation(storage[index], entry, in: text) {
                storage[index].flags |= entry.flags & Entry.modified
                return
            }
        }
        guard count < Self.capacity else {
            overflowed = true
            return
        }
        storage[count] = entry
        storedCount = count &+ 1
    }

    /// Adds every reference of `other`.
    @inlinable
    public mutating func add(contentsOf other: SQLRelationList, in text: UnsafeRawBufferPointer) {
        add(entries: other.storage.span, count: other.storedCount, overflowed: other.overflowed, in: text)
    }

    /// Adds every relation of the statement summary at `statement`, read in place (taking the
    /// list by value copied its storage first).
    @inlinable
    mutating func add(relationsOf statement: UnsafePointer<SQLStatementSummary>, in text: UnsafeRawBufferPointer) {
        add(entries: statement.pointee.relations.storage.span, count: statement.pointee.relations.storedCount,
            overflowed: statement.pointee.relations.overflowed, in: text)
    }

    /// Adds the first `count` of another list's `entries` and its overflow flag.
    @inlinable @inline(__always)
    mutating func add(entries: Span<Entry>, count: Int, overflowed otherOverflowed: Bool, in text: UnsafeRawBufferPointer) {
        var index = 0
        if count > 0 && storedCount == 0 {  // (count first: most statements name none)
            // An empty list (the first statement's relations, most often the only ones) takes
            // the entries as they are: a list holds no two equal relations.
            while index < count {
                storage[index] = entries[index]
                index &+= 1
            }
            storedCount = count
        } else {
            while index < count {
                add(entries[index], in: text)
                index &+= 1
            }
        }
        if otherOverflowed { overflowed = true }
    }

    /// A summary of `reference` that equal references (in the sense of
    /// ``sameRelation(_:_:in:)``) share: the name's length and its first and last bytes
    /// (folded unless quoted), whether there is a schema and its length's low byte. Different
    /// keys mean different relations; equal keys need the bytes compared.
    @inlinable @inline(__always)
    static func key(_ reference: RelationReference, in text: UnsafeRawBufferPointer) -> UInt64 {
        let name = reference.name
        var key = UInt64(UInt32(bitPattern: name.count))
        if name.count > 0, name.start >= 0, Int(name.start) &+ Int(name.count) <= text.count {
            let first = fold(text[Int(name.start)], quoted: reference.nameQuoted)
            let last = fold(text[Int(name.start) &+ Int(name.count) &- 1], quoted: reference.nameQuoted)
            key |= UInt64(first) << 32 | UInt64(last) << 40
        }
        if let schema = reference.schema {
            key |= 1 << 63 | UInt64(UInt8(truncatingIfNeeded: schema.count)) << 48
        }
        return key
    }

    /// `byte` as ``sameName(_:_:_:_:_:_:in:)`` compares it: upper-case ASCII letters folded
    /// to lower case unless quoted.
    @inlinable @inline(__always)
    static func fold(_ byte: UInt8, quoted: Bool) -> UInt8 {
        // Without branches: bit 5 where the byte is A-Z and the name unquoted.
        let upper: UInt8 = byte &- 0x41 < 26 ? 0x20 : 0
        return byte | (quoted ? 0 : upper)
    }

    /// Marks every reference as read-only (as EXPLAIN without ANALYZE leaves them).
    @inlinable
    mutating func clearModified() {
        var index = 0
        while index < count {
            storage[index].flags &= ~Entry.modified
            index &+= 1
        }
    }

    /// Whether two entries name the same relation: the same name, and both no schema or the
    /// same schema (see ``sameName(_:_:_:_:_:_:in:)``).
    @inlinable
    static func sameRelation(_ a: Entry, _ b: Entry, in text: UnsafeRawBufferPointer) -> Bool {
        guard sameName(a.nameStart, a.nameCount, a.flags & Entry.nameQuoted != 0,
                       b.nameStart, b.nameCount, b.flags & Entry.nameQuoted != 0, in: text) else { return false }
        switch (a.flags & Entry.hasSchema != 0, b.flags & Entry.hasSchema != 0) {
        case (false, false): return true
        case (true, true):
            return sameName(a.schemaStart, a.schemaCount, a.flags & Entry.schemaQuoted != 0,
                            b.schemaStart, b.schemaCount, b.flags & Entry.schemaQuoted != 0, in: text)
        default: return false
        }
    }

    /// Compares identifiers as PostgreSQL would after folding unquoted ones to lower case
    /// (false when either lies outside `text`).
    @inlinable
    static func sameName(_ aStart: Int32, _ aCount: Int32, _ aQuoted: Bool,
                         _ bStart: Int32, _ bCount: Int32, _ bQuoted: Bool, in text: UnsafeRawBufferPointer) -> Bool {
        guard aCount == bCount, aStart >= 0, bStart >= 0,
              Int(aStart) &+ Int(aCount) <= text.count, Int(bStart) &+ Int(bCount) <= text.count else { return false }
        var index = 0
        let count = Int(aCount)
        let a = Int(aStart)
        let b = Int(bStart)
        while index < count {
            let x = fold(text[a &+ index], quoted: aQuoted)
            let y = fold(text[b &+ index], quoted: bQuoted)
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
