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
/// Keys are up to 16 ASCII bytes held in two words with bit 5 (0x20) of every byte set, so a
/// lookup hashes and compares integers and never allocates. Setting that bit lower-cases
/// ASCII letters and maps nothing else onto a letter, and keywords are letters only, so an
/// equal key means the same word case-insensitively. Where the text has 16 readable bytes
/// from the word's start, the key is built with two unaligned loads and a mask.
@usableFromInline
enum SQLKeywordTable {
    /// 1,024 slots for about 200 keywords: most probes end at the first slot, hit or miss.
    @usableFromInline static let slotBits = 10
    @usableFromInline static let slotCount = 1 << slotBits
    /// The longest keyword ("characteristics") has 15 bytes; the shortest has 2.
    @usableFromInline static let maximumLength = 15

    /// A key's two words. An empty slot has a zero low word (no key's is: every key byte has
    /// bit 5 set). The keywords are kept apart (one byte each), so that a slot is 16 bytes.
    @usableFromInline
    struct Slot: Sendable {
        @usableFromInline var low: UInt64
        @usableFromInline var high: UInt64
    }

    /// The slots and, slot by slot, their keywords (nil for an empty slot).
    @usableFromInline
    static let slots: (keys: [Slot], keywords: [SQLKeyword?]) = {
        var slots = [Slot](repeating: Slot(low: 0, high: 0), count: slotCount)
        var keywords = [SQLKeyword?](repeating: nil, count: slotCount)
        for keyword in SQLKeyword.allCases {
            var spelling = keyword.spelling
            let (low, high) = spelling.withUTF8 { utf8 in
                let bytes = UnsafeRawBufferPointer(utf8)
                return pack(bytes, start: 0, end: bytes.count) ?? (0, 0)
            }
            precondition(low != 0, "keyword does not fit the table")
            var index = hash(low: low, high: high)
            while slots[index].low != 0 { index = (index &+ 1) & (slotCount &- 1) }
            slots[index] = Slot(low: low, high: high)
            keywords[index] = keyword
        }
        return (slots, keywords)
    }()

    /// The key of `base[start..<end]`: its bytes with bit 5 set, little-endian in two words;
    /// nil when the length cannot be a keyword's.
    @inlinable @inline(__always)
    static func pack(_ base: UnsafeRawBufferPointer, start: Int, end: Int) -> (UInt64, UInt64)? {
        let count = end &- start
        guard count >= 2, count <= maximumLength, start >= 0, end <= base.count,
              let address = base.baseAddress else { return nil }
        var low: UInt64
        var high: UInt64
        if start &+ 16 <= base.count {
            low = (address + start).loadUnaligned(as: UInt64.self)
            high = (address + (start &+ 8)).loadUnaligned(as: UInt64.self)
            #if _endian(big)
            low = low.byteSwapped
            high = high.byteSwapped
            #endif
        } else {
            // Near the end of the text: gather byte by byte.
            low = 0
            high = 0
            var index = 0
            while index < count {
                let byte = UInt64(address.load(fromByteOffset: start &+ index, as: UInt8.self))
                if index < 8 {
                    low |= byte << (UInt64(index) &* 8)
                } else {
                    high |= byte << (UInt64(index &- 8) &* 8)
                }
                index &+= 1
            }
        }
        // Keep `count` bytes (2...15) and fold them, without branching on the length (word
        // lengths vary too much to predict).
        let fold: UInt64 = 0x2020_2020_2020_2020
        let bits = UInt64(truncatingIfNeeded: count) &* 8
        low = (low | fold) & byteMask(bits: bits)
        high = (high | fold) & byteMask(bits: bits > 64 ? bits &- 64 : 0)
        return (low, high)
    }

    /// A mask of the low `bits` bits of a word (all of them from 64 on; `<<` gives 0 then).
    @inlinable @inline(__always)
    static func byteMask(bits: UInt64) -> UInt64 {
        (1 << bits) &- 1
    }

    @inlinable @inline(__always)
    static func hash(low: UInt64, high: UInt64) -> Int {
        let h = (low ^ (high &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> UInt64(64 &- slotBits)) & (slotCount &- 1)
    }

    /// The table in memory that is never freed, so that a lexer can fetch the address once
    /// (one lazy-global check per lexer, not per identifier) and probe through it: the
    /// ``slotCount`` slots, then their keywords at ``keywordsOffset``.
    @usableFromInline
    nonisolated(unsafe) static let table: UnsafePointer<Slot> = {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteClassesOffset &+ 256, alignment: 16)
        raw.initializeMemory(as: Slot.self, from: slots.keys, count: slotCount)
        (raw + keywordsOffset).initializeMemory(as: Optional<SQLKeyword>.self, from: slots.keywords, count: slotCount)
        (raw + byteClassesOffset).initializeMemory(as: UInt8.self, from: SQLByteClass.table, count: 256)
        return UnsafePointer(raw.assumingMemoryBound(to: Slot.self))
    }()

    /// Where the keywords start, in bytes from ``table``.
    @inlinable static var keywordsOffset: Int { slotCount &* MemoryLayout<Slot>.stride }
    /// Where the 256 ``SQLByteClass`` bytes start, in bytes from ``table`` (they share its
    /// allocation, so that one fetch serves the lexer's byte dispatch and its keyword lookups).
    @inlinable static var byteClassesOffset: Int { keywordsOffset &+ slotCount }

    @inlinable
    static func lookup(_ bytes: UnsafeRawBufferPointer) -> SQLKeyword? {
        lookup(bytes, start: 0, end: bytes.count)
    }

    /// The keyword spelled by `base[start..<end]`, reading (never past `base`'s end) up to 16
    /// bytes from `start`.
    @inlinable
    static func lookup(_ base: UnsafeRawBufferPointer, start: Int, end: Int) -> SQLKeyword? {
        lookup(base, start: start, end: end, in: table)
    }

    /// Like ``lookup(_:start:end:)``, probing `table` (``table``, fetched by the caller).
    @inlinable @inline(__always)
    static func lookup(_ base: UnsafeRawBufferPointer, start: Int, end: Int,
                       in table: UnsafePointer<Slot>) -> SQLKeyword? {
        guard let (low, high) = pack(base, start: start, end: end) else { return nil }
        return lookup(low: low, high: high, in: table)
    }

    /// The keyword whose key (see ``pack(_:start:end:)``) is `low`, `high`, probing `table`.
    @inlinable @inline(__always)
    static func lookup(low: UInt64, high: UInt64, in table: UnsafePointer<Slot>) -> SQLKeyword? {
        var index = hash(low: low, high: high)
        while true {
            let slot = table[index]
            // A hit or an empty slot (whose keyword is nil) ends the probe: one branch, taken
            // for most words whether they are keywords or not.
            if (slot.low ^ low) | (slot.high ^ high) == 0 || slot.low == 0 {
                return UnsafeRawPointer(table).load(fromByteOffset: keywordsOffset &+ index, as: SQLKeyword?.self)
            }
            index = (index &+ 1) & (slotCount &- 1)
        }
    }
}
