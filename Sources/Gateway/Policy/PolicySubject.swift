/// A caller resolved against one ``PolicySnapshot``: its interned identity and the bitset of
/// every group it belongs to (config membership and token groups, nested groups expanded).
///
/// Built once per connection (and again after a reload, by ``PolicySession``); evaluating
/// against it allocates nothing.
public struct PolicySubject: Sendable, Hashable {
    /// The caller as authenticated (kept to re-resolve after a reload).
    public let name: String
    /// Interned identity, or -1 when no rule or group names it.
    public let identity: Int32
    /// Group membership bitset, one bit per interned group.
    let groupWords: [UInt64]
    /// The serial of the snapshot that resolved this subject.
    let snapshotSerial: UInt64
    /// All group words OR-ed together: bit `g & 63` for every group `g` (see ``RuleCandidate``).
    let groupBloom: UInt64

    init(name: String, identity: Int32, groupWords: [UInt64], snapshotSerial: UInt64) {
        self.name = name
        self.identity = identity
        self.groupWords = groupWords
        self.snapshotSerial = snapshotSerial
        self.groupBloom = groupWords.reduce(0, |)
    }

    @inline(__always)
    func isMember(of group: Int32) -> Bool {
        let word = Int(group) >> 6
        guard word < groupWords.count else { return false }
        return groupWords[word] & (1 << UInt64(group & 63)) != 0
    }
}

/// A resource interned in one ``PolicySnapshot``; -1 when the snapshot has no such resource.
public struct PolicyResourceID: Sendable, Hashable {
    public let rawValue: Int32
    let snapshotSerial: UInt64

    init(rawValue: Int32, snapshotSerial: UInt64) {
        self.rawValue = rawValue
        self.snapshotSerial = snapshotSerial
    }
}
