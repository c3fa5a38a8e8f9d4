import Codecs
import Synchronization

/// An immutable, compiled policy: what the data path evaluates every statement against.
///
/// Identities, groups, resources and relation names are interned to small integers; group
/// membership is a bitset; rules are indexed by (resource, statement class) and sorted by
/// severity, then file order, so the first candidate whose scope matches is the decision (the
/// most severe matching rule: deny wins). `opaque`, unless a rule names it, takes the most
/// severe decision of any class (``opaqueFallback(resource:subject:)``). ``evaluate(identity:resource:classes:relations:in:statementLength:)``
/// allocates nothing. Snapshots are swapped whole by ``PolicyStore``; they never change.
public final class PolicySnapshot: Sendable {
    /// Content hash of the canonical compiled configuration (SHA-256, first 16 hex digits).
    public let version: String
    /// The configuration this snapshot was compiled from.
    public let configuration: GatewayConfiguration

    let serial: UInt64
    let groupNames: [String]
    let groupIndex: [String: Int32]
    /// Grant name to its group (after the declared groups; see ``subject(identity:groups:provider:grants:)``).
    let grantIndex: [String: Int32]
    let groupWordCount: Int
    /// For each group, the bitset of groups its members belong to (itself and every group that
    /// includes it, transitively): `groupClosure[g * groupWordCount ..< (g + 1) * groupWordCount]`.
    let groupClosure: [UInt64]
    let identityIndex: [String: Int32]
    /// Direct membership expanded: `identityGroups[i * groupWordCount ...]`.
    let identityGroups: [UInt64]
    let resourceIndex: [String: Int32]
    let resourceDefaults: [PolicyAction]
    let resourceHasRelationRules: [Bool]

    let compiledRules: [CompiledRule]
    let ruleIdentities: [Int32]
    let ruleGroups: [Int32]
    let ruleRelations: [CompiledRelation]
    let identifiers: IdentifierTable

    /// `candidates[candidateOffsets[r * classSlots + c] ..< candidateOffsets[r * classSlots + c + 1]]`.
    let candidateOffsets: [Int32]
    let candidates: [RuleCandidate]
    /// Rules matching each resource that set `max_statement_length`: `lengthRules[lengthOffsets[r] ..< lengthOffsets[r + 1]]`.
    let lengthOffsets: [Int32]
    let lengthRules: [Int32]
    /// Every rule matching each resource, most specific first: `resourceRules[resourceRuleOffsets[r] ...]`.
    let resourceRuleOffsets: [Int32]
    let resourceRules: [Int32]

    /// Statement class bits the index covers; unknown bits are treated as ``StatementClass/opaque``.
    static let classSlots = 16
    static let opaqueSlot = 15

    private static let serials = Atomic<UInt64>(0)

    init(parts: CompiledPolicyParts) {
        self.serial = Self.serials.add(1, ordering: .relaxed).newValue
        self.version = parts.version
        self.configuration = parts.configuration
        self.groupNames = parts.groupNames
        self.groupIndex = parts.groupIndex
        self.grantIndex = parts.grantIndex
        self.groupWordCount = parts.groupWordCount
        self.groupClosure = parts.groupClosure
        self.identityIndex = parts.identityIndex
        self.identityGroups = parts.identityGroups
        self.resourceIndex = parts.resourceIndex
        self.resourceDefaults = parts.resourceDefaults
        self.resourceHasRelationRules = parts.resourceHasRelationRules
        self.compiledRules = parts.compiledRules
        self.ruleIdentities = parts.ruleIdentities
        self.ruleGroups = parts.ruleGroups
        self.ruleRelations = parts.ruleRelations
        self.identifiers = parts.identifiers
        self.candidateOffsets = parts.candidateOffsets
        self.candidates = parts.candidates
        self.lengthOffsets = parts.lengthOffsets
        self.lengthRules = parts.lengthRules
        self.resourceRuleOffsets = parts.resourceRuleOffsets
        self.resourceRules = parts.resourceRules
    }

    /// Compiles a validated configuration.
    public convenience init(compiling configuration: GatewayConfiguration) {
        self.init(parts: PolicyCompiler(configuration).build())
    }

    /// The rules, in file order; ``Decision/rule`` indexes this.
    public var rules: [PolicyRule] { configuration.policies }

    /// The id (`policies[].id`) of the rule that made `decision`, if a rule did.
    public func ruleID(of decision: Decision) -> String? {
        let index = Int(decision.rule)
        return rules.indices.contains(index) ? rules[index].id : nil
    }

    // MARK: Resolution (per connection, may allocate)

    /// Resolves a caller: its configured memberships plus the groups its token carried
    /// (names no group declares are ignored), nested groups expanded. `identity` is matched
    /// under the case rule of ``IdentityName``; `groups` must be the groups policy may bind
    /// (``VerifiedIdentity/groups``, never the untrusted ``VerifiedIdentity/claimedGroups``).
    /// `provider` is the identity provider that issued them (``VerifiedIdentity/groupProvider``):
    /// a group that lists `providers` binds only a token group from one of them; `nil` (a gateway
    /// token's groups) binds any group. `grants` are the names of the grants the caller holds
    /// on the resource right now (``ActiveGrants``); rules naming them then apply.
    public func subject(identity: String, groups: [String] = [], provider: String? = nil, grants: [String] = []) -> PolicySubject {
        var words = Array(repeating: UInt64(0), count: groupWordCount)
        let id = identityIndex[IdentityName.canonical(identity)] ?? -1
        if id >= 0 {
            let base = Int(id) * groupWordCount
            for w in 0..<groupWordCount { words[w] |= identityGroups[base + w] }
        }
        for group in groups {
            guard let g = groupIndex[group] else { continue }
            if let provider {
                let allowed = configuration.groups[Int(g)].providers
                guard allowed.isEmpty || allowed.contains(provider) else { continue }
            }
            let base = Int(g) * groupWordCount
            for w in 0..<groupWordCount { words[w] |= groupClosure[base + w] }
        }
        for grant in grants {
            guard let g = grantIndex[grant] else { continue }
            words[Int(g) >> 6] |= 1 << UInt64(g & 63)
        }
        return PolicySubject(name: identity, identity: id, groupWords: words, snapshotSerial: serial)
    }

    /// The interned id of a resource (an invalid id when the snapshot has none by that name).
    public func resource(named name: String) -> PolicyResourceID {
        PolicyResourceID(rawValue: resourceIndex[name] ?? -1, snapshotSerial: serial)
    }

    /// Names of the groups `subject` belongs to, in declaration order.
    public func groupNames(of subject: PolicySubject) -> [String] {
        groupNames.indices.filter { subject.isMember(of: Int32($0)) }.map { groupNames[$0] }
    }

    // MARK: Evaluation (data path: no allocation)

    /// Decides one statement.
    ///
    /// This unbound form checks each candidate rule's identity/group scope as it goes (a group
    /// bloom filter skips most); it suits one-off decisions (`ringgate explain`). Per
    /// connection, bind once with ``bind(_:to:)`` and evaluate the ``PolicyBinding``: only the
    /// caller's rules remain, so its cost does not grow with the rule set. Both allocate nothing.
    ///
    /// - Parameters:
    ///   - subject: the caller, resolved by this snapshot.
    ///   - resource: the resource, resolved by this snapshot.
    ///   - classes: what the statement does (from the SQL classifier); empty counts as opaque.
    ///   - relations: the relations it names, as byte ranges into `text`.
    ///   - text: the statement text the ranges point into.
    ///   - statementLength: the statement's length in bytes.
    public func evaluate(
        identity subject: PolicySubject, resource: PolicyResourceID, classes: StatementClass,
        relations: UnsafeBufferPointer<RelationReference>, in text: UnsafeRawBufferPointer, statementLength: Int
    ) -> Decision {
        guard subject.snapshotSerial == serial, resource.snapshotSerial == serial else {
            return Decision(action: .deny, reason: .staleSubject)
        }
        let r = Int(resource.rawValue)
        guard r >= 0, r < resourceDefaults.count else { return Decision(action: .deny, reason: .unknownResource) }

        // Statement length: the strictest matching limit.
        var lengthIndex = Int(lengthOffsets[r])
        let lengthEnd = Int(lengthOffsets[r + 1])
        while lengthIndex < lengthEnd {
            let ruleIndex = lengthRules[lengthIndex]
            let rule = compiledRules[Int(ruleIndex)]
            if statementLength > rule.maxStatementLength, subjectMatches(rule, subject) {
                return Decision(action: .deny, reason: .statementTooLong, rule: ruleIndex)
            }
            lengthIndex += 1
        }

        var cache = RelationCache()
        let useRelations = resourceHasRelationRules[r]
        var bits = classes.rawValue
        let knownMask = UInt32((1 << Self.classSlots) - 1)
        if bits == 0 || bits & ~knownMask != 0 { bits = (bits & knownMask) | StatementClass.opaque.rawValue }

        var result = Decision(action: .allow, reason: .resourceDefault)
        var decided = false
        while bits != 0 {
            let slot = bits.trailingZeroBitCount
            bits &= bits &- 1
            let decision = decide(
                slot: slot, resource: r, subject: subject, relations: relations, text: text,
                useRelations: useRelations, cache: &cache)
            if !decided || decision.action > result.action {
                result = decision
                decided = true
                if decision.action == .deny { break }
            }
        }
        return result
    }

    @inline(__always)
    private func decide(
        slot: Int, resource r: Int, subject: PolicySubject, relations: UnsafeBufferPointer<RelationReference>,
        text: UnsafeRawBufferPointer, useRelations: Bool, cache: inout RelationCache
    ) -> Decision {
        let statementClass = StatementClass(rawValue: 1 << UInt32(slot))
        let key = r * Self.classSlots + slot
        var index = Int(candidateOffsets[key])
        let end = Int(candidateOffsets[key + 1])
        while index < end {
            let candidate = candidates[index]
            if !candidate.direct, candidate.groupBloom & subject.groupBloom == 0 {
                index += 1
                continue
            }
            let rule = compiledRules[Int(candidate.rule)]
            if subjectMatches(rule, subject),
                !candidate.hasRelations
                    || (useRelations
                        && relationsMatch(rule, requireAll: candidate.action == .allow, relations, text, &cache))
            {
                return Decision(action: candidate.action, reason: .rule, rule: candidate.rule, statementClass: statementClass)
            }
            index += 1
        }
        if slot == Self.opaqueSlot { return opaqueFallback(resource: r, subject: subject).decision }
        return Decision(action: resourceDefaults[r], reason: .resourceDefault, statementClass: statementClass)
    }

    /// The decision for an `opaque` statement that no rule naming `opaque` decides.
    ///
    /// The statement could be anything, so it gets the most severe decision `subject` would
    /// get for any other class on resource `r`, failing closed: relation-scoped `deny` and
    /// `review` rules count as if the statement touched every relation, relation-scoped
    /// `allow` rules never cover it, and a class no rule decides counts as `deny`
    /// (`opaque-unmatched`): a resource default never lets opaque through. Among equally
    /// severe outcomes the rule earliest in the file is reported (a rule before none).
    /// Allocates nothing. `slot` is the class that decided.
    func opaqueFallback(resource r: Int, subject: PolicySubject) -> (decision: Decision, slot: Int) {
        var action = PolicyAction.allow
        var rule = Int32.max
        var decidingSlot = 0
        for slot in 0..<Self.opaqueSlot {
            let key = r * Self.classSlots + slot
            var index = Int(candidateOffsets[key])
            let end = Int(candidateOffsets[key + 1])
            var slotAction = PolicyAction.deny
            var slotRule: Int32 = -1
            while index < end {
                let candidate = candidates[index]
                index += 1
                if candidate.hasRelations, candidate.action == .allow { continue }
                if !candidate.direct, candidate.groupBloom & subject.groupBloom == 0 { continue }
                if subjectMatches(compiledRules[Int(candidate.rule)], subject) {
                    slotAction = candidate.action
                    slotRule = candidate.rule
                    break
                }
            }
            if slotAction > action || (slotAction == action && slotRule >= 0 && (rule < 0 || slotRule < rule)) {
                action = slotAction
                rule = slotRule
                decidingSlot = slot
            }
        }
        let opaque = StatementClass.opaque
        if rule < 0 { return (Decision(action: .deny, reason: .opaqueUnmatched, statementClass: opaque), decidingSlot) }
        return (Decision(action: action, reason: .rule, rule: rule, statementClass: opaque), decidingSlot)
    }

    @inline(__always)
    func subjectMatches(_ rule: CompiledRule, _ subject: PolicySubject) -> Bool {
        if rule.everyone { return true }
        if subject.identity >= 0 {
            var i = Int(rule.identityStart)
            let end = i + Int(rule.identityCount)
            while i < end {
                if ruleIdentities[i] == subject.identity { return true }
                i += 1
            }
        }
        var g = Int(rule.groupStart)
        let groupEnd = g + Int(rule.groupCount)
        while g < groupEnd {
            if subject.isMember(of: ruleGroups[g]) { return true }
            g += 1
        }
        return false
    }

    /// `allow` rules scoped to relations need every relation of the statement in scope (and at
    /// least one); `deny` and `review` rules need any one.
    func relationsMatch(
        _ rule: CompiledRule, requireAll: Bool, _ relations: UnsafeBufferPointer<RelationReference>,
        _ text: UnsafeRawBufferPointer, _ cache: inout RelationCache
    ) -> Bool {
        guard !relations.isEmpty else { return false }
        for index in relations.indices {
            let resolved = cache.resolve(index, relations, text, identifiers)
            var inScope = false
            var p = Int(rule.relationStart)
            let end = p + Int(rule.relationCount)
            while p < end {
                if Self.relation(ruleRelations[p], covers: resolved) {
                    inScope = true
                    break
                }
                p += 1
            }
            if requireAll, !inScope { return false }
            if !requireAll, inScope { return true }
        }
        return requireAll
    }

    /// Whether a pattern covers a statement's relation. An unqualified reference in the
    /// statement matches a qualified `schema.name` pattern by name (the session's search_path
    /// is unknown, so the conservative reading is that it may be that relation); it does not
    /// match `schema.*`.
    @inline(__always)
    static func relation(_ pattern: CompiledRelation, covers relation: ResolvedRelation) -> Bool {
        if pattern.name >= 0 {
            guard relation.name == pattern.name else { return false }
            return pattern.schema < 0 || relation.schema == -1 || relation.schema == pattern.schema
        }
        return relation.schema >= 0 && relation.schema == pattern.schema
    }
}

/// Relation ids resolved for one statement, memoized for the first 16 relations (on the stack).
struct RelationCache {
    private var entries = InlineArray<16, ResolvedRelation>(repeating: .unresolved)
    private var filled: UInt32 = 0

    @inline(__always)
    mutating func resolve(
        _ index: Int, _ relations: UnsafeBufferPointer<RelationReference>, _ text: UnsafeRawBufferPointer,
        _ identifiers: IdentifierTable
    ) -> ResolvedRelation {
        if index < 16, filled & (1 << UInt32(index)) != 0 { return entries[index] }
        let reference = relations[index]
        var resolved = ResolvedRelation(schema: -1, name: -2)
        if let schema = reference.schema {
            resolved.schema = Self.slice(schema, text).flatMap { identifiers.lookup($0, quoted: reference.schemaQuoted) } ?? -2
        }
        resolved.name = Self.slice(reference.name, text).flatMap { identifiers.lookup($0, quoted: reference.nameQuoted) } ?? -2
        if index < 16 {
            entries[index] = resolved
            filled |= 1 << UInt32(index)
        }
        return resolved
    }

    /// The bytes a range names, or `nil` when it lies outside the text (hostile or stale ranges).
    @inline(__always)
    static func slice(_ range: ByteRange, _ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let start = Int(range.start)
        let count = Int(range.count)
        guard start >= 0, count > 0, count <= text.count, start <= text.count - count else { return nil }
        return UnsafeRawBufferPointer(rebasing: text[start..<(start + count)])
    }
}
