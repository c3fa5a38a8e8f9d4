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

/// A perfect hash table from keyword spelling to keyword, built once: no two keywords share
/// a slot, so a lookup is one hash, two loads and one comparison, with no probing and no
/// branch.
///
/// Keys are up to 16 bytes held in two words with bit 5 (0x20) of every byte set, so a lookup
/// hashes and compares integers and never allocates. Setting that bit lower-cases ASCII
/// letters and maps no other byte onto a letter, and keywords are letters only, so an equal
/// key means the same word case-insensitively, and the key of a word with a digit, `_`, `$`
/// or a byte over 0x7F never equals a keyword's. Where the text has 16 readable bytes from
/// the word's start, the key is two unaligned loads and a mask.
///
/// The multiplier was searched offline so that the 194 keywords fall into distinct slots of
/// 2,048; building the table checks it (a new keyword may need a new multiplier).
@usableFromInline
enum SQLKeywordTable {
    /// 2,048 one-byte slots, each 0 (no keyword) or a keyword's ordinal plus one.
    @usableFromInline static let slotBits = 11
    @usableFromInline static let slotCount = 1 << slotBits
    /// The hash's multipliers; ``multiplier`` makes the hash collision-free on the keywords.
    @usableFromInline static let multiplier: UInt64 = 0x9DEC_6DCD_0A2C_66B7
    @usableFromInline static let highMultiplier: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    /// The longest keyword ("characteristics") has 15 bytes; the shortest has 2.
    @usableFromInline static let maximumLength = 15

    /// A key's two words.
    @usableFromInline
    struct Slot: Sendable {
        @usableFromInline var low: UInt64
        @usableFromInline var high: UInt64
    }

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
            low = UInt64(littleEndian: (address + start).loadUnaligned(as: UInt64.self))
            high = UInt64(littleEndian: (address + (start &+ 8)).loadUnaligned(as: UInt64.self))
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
        return key(low: low, high: high, count: count)
    }

    /// The key of a word of `count` bytes whose first sixteen bytes (those past the word
    /// ignored) are `low`, `high`: folded and masked to `count` bytes (all sixteen when
    /// longer, which no keyword's key equals), without branching on the length.
    @inlinable @inline(__always)
    static func key(low: UInt64, high: UInt64, count: Int) -> (UInt64, UInt64) {
        let fold: UInt64 = 0x2020_2020_2020_2020
        let bits = UInt64(truncatingIfNeeded: count) &* 8
        return ((low | fold) & byteMask(bits: bits), (high | fold) & byteMask(bits: bits > 64 ? bits &- 64 : 0))
    }

    /// ``key(low:high:count:)`` with the masks read from `table` (``keyMasksIndex``): two
    /// loads rather than two variable shifts and the tests around them.
    @inlinable @inline(__always)
    static func key(low: UInt64, high: UInt64, count: Int, in table: UnsafePointer<Slot>) -> (UInt64, UInt64) {
        let fold: UInt64 = 0x2020_2020_2020_2020
        let mask = table[keyMasksIndex &+ Swift.min(count, 16)]
        return ((low | fold) & mask.low, (high | fold) & mask.high)
    }

    /// A mask of the low `bits` bits of a word (all of them from 64 on; `<<` gives 0 then).
    @inlinable @inline(__always)
    static func byteMask(bits: UInt64) -> UInt64 {
        (1 << bits) &- 1
    }

    @inlinable @inline(__always)
    static func hash(low: UInt64, high: UInt64) -> Int {
        let h = (low ^ (high &* highMultiplier)) &* multiplier
        return Int(truncatingIfNeeded: h >> UInt64(64 &- slotBits))
    }

    /// The table in memory that is never freed, so that a lexer can fetch the address once
    /// (one lazy-global check per lexer, not per identifier): the keys by ordinal plus one
    /// (a zero key first, for empty slots), the ``slotCount`` one-byte slots at
    /// ``slotsOffset``, the keywords by ordinal plus one (nil first) at ``keywordsOffset``,
    /// the 256 ``SQLByteClass`` entries at ``byteClassesOffset``, then the 17 key masks at
    /// ``keyMasksIndex``.
    @usableFromInline
    nonisolated(unsafe) static let table: UnsafePointer<Slot> = {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: (keyMasksIndex &+ 17) &* MemoryLayout<Slot>.stride, alignment: 16)
        let keys = raw.bindMemory(to: Slot.self, capacity: keywordCapacity)
        let slots = (raw + slotsOffset).bindMemory(to: UInt8.self, capacity: slotCount)
        let keywords = (raw + keywordsOffset).bindMemory(to: Optional<SQLKeyword>.self, capacity: keywordCapacity)
        keys.initialize(repeating: Slot(low: 0, high: 0), count: keywordCapacity)
        slots.initialize(repeating: 0, count: slotCount)
        keywords.initialize(repeating: nil, count: keywordCapacity)
        precondition(SQLKeyword.allCases.count < keywordCapacity, "too many keywords for one-byte slots")
        for (ordinal, keyword) in SQLKeyword.allCases.enumerated() {
            var spelling = keyword.spelling
            let (low, high) = spelling.withUTF8 { utf8 in
                let bytes = UnsafeRawBufferPointer(utf8)
                return pack(bytes, start: 0, end: bytes.count) ?? (0, 0)
            }
            precondition(low != 0, "keyword does not fit the table")
            let index = hash(low: low, high: high)
            precondition(slots[index] == 0, "keyword hash collision: search a new multiplier")
            slots[index] = UInt8(truncatingIfNeeded: ordinal &+ 1)
            keys[ordinal &+ 1] = Slot(low: low, high: high)
            keywords[ordinal &+ 1] = keyword
        }
        (raw + byteClassesOffset).initializeMemory(as: UInt8.self, from: SQLByteClass.table, count: 256)
        precondition((byteClassesOffset &+ 256) % MemoryLayout<Slot>.stride == 0, "key masks must follow the byte classes")
        let masks = (raw + keyMasksIndex &* MemoryLayout<Slot>.stride).bindMemory(to: Slot.self, capacity: 17)
        for count in 0...16 {
            let bits = UInt64(count) &* 8
            masks[count] = Slot(low: byteMask(bits: bits), high: byteMask(bits: bits > 64 ? bits &- 64 : 0))
        }
        return UnsafePointer(keys)
    }()

    /// Room for the keywords plus the empty entry (ordinals fit a byte).
    @inlinable static var keywordCapacity: Int { 256 }
    /// Where the slots start, in bytes from ``table``.
    @inlinable static var slotsOffset: Int { keywordCapacity &* MemoryLayout<Slot>.stride }
    /// Where the keywords start, in bytes from ``table``.
    @inlinable static var keywordsOffset: Int { slotsOffset &+ slotCount }
    /// Where the 256 ``SQLByteClass`` bytes start, in bytes from ``table`` (they share its
    /// allocation, so that one fetch serves the lexer's byte dispatch and its keyword lookups).
    @inlinable static var byteClassesOffset: Int { keywordsOffset &+ keywordCapacity }
    /// The 256 ``SQLByteClass`` entries of `table` (``table``, fetched by the caller).
    @inlinable @inline(__always)
    static func byteClasses(in table: UnsafePointer<Slot>) -> UnsafePointer<UInt8> {
        (UnsafeRawPointer(table) + byteClassesOffset).assumingMemoryBound(to: UInt8.self)
    }
    /// Where, in ``Slot``s from ``table``, the key masks for words of 0 to 16 bytes start (the
    /// low `count` bytes of the two words; all sixteen for 16), after the byte classes.
    @inlinable static var keyMasksIndex: Int { (byteClassesOffset &+ 256) / MemoryLayout<Slot>.stride }

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

    /// The keyword whose key (see ``key(low:high:count:)``) is `low`, `high`, in `table`:
    /// the slot's keyword when its key is equal, else nil (no branch).
    @inlinable @inline(__always)
    static func lookup(low: UInt64, high: UInt64, in table: UnsafePointer<Slot>) -> SQLKeyword? {
        let raw = UnsafeRawPointer(table)
        let ordinal = Int(raw.load(fromByteOffset: slotsOffset &+ hash(low: low, high: high), as: UInt8.self))
        let candidate = table[ordinal]
        let keyword = raw.load(fromByteOffset: keywordsOffset &+ ordinal, as: Optional<SQLKeyword>.self)
        return (candidate.low ^ low) | (candidate.high ^ high) == 0 ? keyword : nil
    }
}
