/// The PostgreSQL keywords the classifier looks at, spelled in lower case.
///
/// Not the whole keyword list: only words that start statements or mark clauses whose
/// presence changes a statement's effect. Any other identifier lexes with no keyword.
public enum SQLKeyword: Sendable, Hashable, CaseIterable {
    case abort, access, aggregate, all, alter, always, analyse, analyze, and, `as`, atomic
    case authorization, begin, binary, by, call, cascade, `case`, cast, chain, characteristics
    case checkpoint, `class`, close, cluster, collation, comment, commit, concurrently
    case configuration, conflict, constraint, constraints, conversion, copy, create, cross
    case current, cycle, data, database, deallocate, declare, `default`, delete, dictionary, discard
    case distinct, `do`, domain, drop, end, event, except, execute, exists, explain
    case `extension`, `false`, family, fetch, first, `for`, foreign, freeze, from, full
    case function, functions, global, grant, group, having, `if`, `import`, `in`, index, inner
    case insert, intersect, `into`, `is`, join, key, label, language, large, lateral, left
    case limit, listen, load, local, lock, mapping, materialized, merge, method, move, names
    case natural, no, not, nothing, notify, object, of, off, offset, on, only, `operator`, or
    case order, outer, owned, parser, policy, prepare, prepared, privileges, procedural
    case procedure, procedures, program, publication, reassign, recursive, refresh, reindex
    case release, rename, replace, reset, restrict, returning, revoke, right, role, rollback
    case routine, routines, rows, rule, savepoint, schema, search, security, select, sequence
    case server, session, set, share, show, start, statistics, stdin, stdout, subscription
    case system, table, tables, tablespace, temp, template, temporary, text, then, to
    case transaction, transform, trigger, `true`, truncate, trusted, type, union, unlisten
    case unique, unlogged, update, user, using, vacuum, values, verbose, view, when, `where`, window
    case with, work, wrapper

    /// The keyword in lower case (its case name).
    public var spelling: String { String(describing: self) }

    /// The keyword spelled by `bytes` (ASCII letters compared case-insensitively, as
    /// PostgreSQL folds unquoted identifiers), or nil.
    @inlinable
    public static func lookup(_ bytes: UnsafeRawBufferPointer) -> SQLKeyword? {
        SQLKeywordTable.lookup(bytes)
    }
}

/// An open-addressing hash table from keyword spelling to keyword, built once.
///
/// Keys are up to 16 lower-case ASCII bytes packed into two words, so a lookup hashes and
/// compares integers and never allocates.
@usableFromInline
enum SQLKeywordTable {
    @usableFromInline static let slotCount = 1024

    @usableFromInline
    struct Slot: Sendable {
        @usableFromInline var low: UInt64
        @usableFromInline var high: UInt64
        @usableFromInline var length: UInt8
        @usableFromInline var keyword: SQLKeyword?
    }

    @usableFromInline
    static let slots: [Slot] = {
        var slots = [Slot](repeating: Slot(low: 0, high: 0, length: 0, keyword: nil), count: slotCount)
        for keyword in SQLKeyword.allCases {
            var spelling = keyword.spelling
            let (low, high, length) = spelling.withUTF8 { utf8 in
                pack(UnsafeRawBufferPointer(utf8)) ?? (0, 0, 0)
            }
            var index = hash(low: low, high: high, length: length)
            while slots[index].keyword != nil { index = (index &+ 1) & (slotCount &- 1) }
            slots[index] = Slot(low: low, high: high, length: length, keyword: keyword)
        }
        return slots
    }()

    /// Packs up to 16 bytes, lower-casing ASCII letters; nil when longer or when a byte
    /// is not an ASCII letter or underscore (no keyword contains one).
    @inlinable
    static func pack(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt8)? {
        let count = bytes.count
        guard count > 0, count <= 16 else { return nil }
        var low: UInt64 = 0
        var high: UInt64 = 0
        var index = 0
        while index < count {
            var byte = bytes[index]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            guard (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F else { return nil }
            if index < 8 {
                low |= UInt64(byte) << (UInt64(index) &* 8)
            } else {
                high |= UInt64(byte) << (UInt64(index &- 8) &* 8)
            }
            index &+= 1
        }
        return (low, high, UInt8(truncatingIfNeeded: count))
    }

    @inlinable
    static func hash(low: UInt64, high: UInt64, length: UInt8) -> Int {
        var h = low &* 0x9E37_79B9_7F4A_7C15
        h ^= (high &+ UInt64(length)) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & (slotCount &- 1)
    }

    @inlinable
    static func lookup(_ bytes: UnsafeRawBufferPointer) -> SQLKeyword? {
        guard let (low, high, length) = pack(bytes) else { return nil }
        var index = hash(low: low, high: high, length: length)
        return slots.withUnsafeBufferPointer { table in
            while true {
                let slot = table[index]
                guard let keyword = slot.keyword else { return nil }
                if slot.low == low && slot.high == high && slot.length == length { return keyword }
                index = (index &+ 1) & (slotCount &- 1)
            }
        }
    }
}
