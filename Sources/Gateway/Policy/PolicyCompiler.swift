import Codecs
import Crypto

/// Everything a ``PolicySnapshot`` holds, built by ``PolicyCompiler``.
struct CompiledPolicyParts {
    var version: String
    var configuration: GatewayConfiguration
    var groupNames: [String]
    var groupIndex: [String: Int32]
    var grantIndex: [String: Int32]
    var groupWordCount: Int
    var groupClosure: [UInt64]
    var identityIndex: [String: Int32]
    var identityGroups: [UInt64]
    var resourceIndex: [String: Int32]
    var resourceDefaults: [PolicyAction]
    var resourceHasRelationRules: [Bool]
    var compiledRules: [CompiledRule]
    var ruleIdentities: [Int32]
    var ruleGroups: [Int32]
    var ruleRelations: [CompiledRelation]
    var identifiers: IdentifierTable
    var candidateOffsets: [Int32]
    var candidates: [RuleCandidate]
    var lengthOffsets: [Int32]
    var lengthRules: [Int32]
    var resourceRuleOffsets: [Int32]
    var resourceRules: [Int32]
}

/// Turns a validated ``GatewayConfiguration`` into the flat, interned tables of a snapshot.
///
/// Precedence is encoded in the order of each (resource, class) candidate list: severity
/// (deny, then review, then allow), then file order. The evaluator takes the first candidate
/// whose identity/group (and relation) scope matches, which is the most severe matching rule,
/// the earliest of equals: a deny or review is never overridden by an allow, whatever the
/// resource patterns' specificity. (Specificity only orders masks and limits.)
struct PolicyCompiler {
    let configuration: GatewayConfiguration

    init(_ configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    func build() -> CompiledPolicyParts {
        let config = configuration

        // Groups and the transitive closure "group g's members are also members of h". Each
        // grant is one more group after the declared ones (`grant:NAME`), reachable only
        // through `grantIndex` (never by a token's group names) and including no other group.
        let groupNames = config.groups.map(\.name) + config.grants.map { "grant:" + $0.name }
        var groupIndex: [String: Int32] = [:]
        for (index, group) in config.groups.enumerated() where groupIndex[group.name] == nil { groupIndex[group.name] = Int32(index) }
        var grantIndex: [String: Int32] = [:]
        for (index, grant) in config.grants.enumerated() where grantIndex[grant.name] == nil {
            grantIndex[grant.name] = Int32(config.groups.count + index)
        }
        let words = max(1, (groupNames.count + 63) / 64)
        var parents = Array(repeating: [Int](), count: groupNames.count)
        for (h, group) in config.groups.enumerated() {
            for child in group.includes { if let c = groupIndex[child] { parents[Int(c)].append(h) } }
        }
        var closure = Array(repeating: UInt64(0), count: groupNames.count * words)
        for g in groupNames.indices {
            var stack = [g]
            var seen = Set<Int>()
            while let h = stack.popLast() {
                guard seen.insert(h).inserted else { continue }
                closure[g * words + h / 64] |= 1 << UInt64(h % 64)
                stack.append(contentsOf: parents[h])
            }
        }

        // Identities named anywhere, and their expanded memberships.
        var identityIndex: [String: Int32] = [:]
        // Keys are canonical (``IdentityName``): e-mail identities lowercased, others as written.
        func intern(_ identity: String) -> Int32 {
            let key = IdentityName.canonical(identity)
            if let id = identityIndex[key] { return id }
            let id = Int32(identityIndex.count)
            identityIndex[key] = id
            return id
        }
        for group in config.groups { for member in group.members { _ = intern(member) } }
        for rule in config.policies { for identity in rule.identities where identity != "*" { _ = intern(identity) } }
        var identityGroups = Array(repeating: UInt64(0), count: identityIndex.count * words)
        for (g, group) in config.groups.enumerated() {
            for member in group.members {
                guard let id = identityIndex[IdentityName.canonical(member)] else { continue }
                for w in 0..<words { identityGroups[Int(id) * words + w] |= closure[g * words + w] }
            }
        }

        // Relation identifiers.
        let patterns = config.policies.map { rule in rule.relations.compactMap { try? RelationPattern(parsing: $0) } }
        let identifiers = IdentifierTable(patterns.joined().flatMap { [$0.schema, $0.name].compactMap { $0 } })

        // Rules.
        var compiledRules: [CompiledRule] = []
        var ruleIdentities: [Int32] = []
        var ruleGroups: [Int32] = []
        var ruleRelations: [CompiledRelation] = []
        for (index, rule) in config.policies.enumerated() {
            let identities = rule.identities.filter { $0 != "*" }.map(intern)
            let groups = Self.groups(of: rule, groupIndex, grantIndex)
            let relations = patterns[index].map {
                CompiledRelation(schema: $0.schema.flatMap(identifiers.id(of:)) ?? -1, name: $0.name.flatMap(identifiers.id(of:)) ?? -1)
            }
            compiledRules.append(
                CompiledRule(
                    everyone: rule.identities.contains("*"), identityStart: Int32(ruleIdentities.count),
                    identityCount: Int32(identities.count), groupStart: Int32(ruleGroups.count), groupCount: Int32(groups.count),
                    relationStart: Int32(ruleRelations.count), relationCount: Int32(relations.count),
                    maxStatementLength: rule.limits.maxStatementLength ?? Int.max))
            ruleIdentities.append(contentsOf: identities)
            ruleGroups.append(contentsOf: groups)
            ruleRelations.append(contentsOf: relations)
        }

        // Per-resource indexes.
        let globs = config.policies.map { rule in rule.resources.compactMap { try? GlobPattern($0) } }
        var resourceIndex: [String: Int32] = [:]
        var candidateOffsets: [Int32] = [0]
        var candidates: [RuleCandidate] = []
        var lengthOffsets: [Int32] = [0]
        var lengthRules: [Int32] = []
        var resourceRuleOffsets: [Int32] = [0]
        var resourceRules: [Int32] = []
        var hasRelationRules: [Bool] = []
        // Per rule, the class bits each action decides (a class under several actions of one
        // rule counts once, at its most severe) and whether it is relation-scoped.
        let actionBits: [(deny: UInt32, review: UInt32, allow: UInt32)] = config.policies.map { rule in
            let deny = rule.deny.rawValue
            let review = rule.review.rawValue & ~deny
            return (deny, review, rule.allow.rawValue & ~deny & ~review)
        }
        let scoped = config.policies.map { !$0.relations.isEmpty }
        let direct = config.policies.map { !$0.identities.isEmpty }
        let blooms: [UInt64] = config.policies.map { rule in
            Self.groups(of: rule, groupIndex, grantIndex).reduce(0) { bloom, group in bloom | (1 << UInt64(group & 63)) }
        }
        let hasLength = config.policies.map { $0.limits.maxStatementLength != nil }
        for (r, resource) in config.resources.enumerated() {
            if resourceIndex[resource.name] == nil { resourceIndex[resource.name] = Int32(r) }
            let name = Array(resource.name.unicodeScalars)
            // (rule, specificity) for every rule with a pattern matching this resource.
            var matching: [(rule: Int, specificity: Int)] = []
            for (ruleIndex, ruleGlobs) in globs.enumerated() {
                var best = -1
                for glob in ruleGlobs where glob.specificity > best && glob.matches(scalars: name) { best = glob.specificity }
                if best >= 0 { matching.append((ruleIndex, best)) }
            }
            matching.sort { ($0.specificity, -$0.rule) > ($1.specificity, -$1.rule) }
            resourceRules.append(contentsOf: matching.map { Int32($0.rule) })
            resourceRuleOffsets.append(Int32(resourceRules.count))
            for match in matching where hasLength[match.rule] { lengthRules.append(Int32(match.rule)) }
            lengthOffsets.append(Int32(lengthRules.count))
            hasRelationRules.append(matching.contains { scoped[$0.rule] })
            // Bucket by class slot, then sort by severity and file order.
            var buckets = Array(repeating: [RuleCandidate](), count: PolicySnapshot.classSlots)
            for match in matching {
                let bits = actionBits[match.rule]
                for (action, mask) in [(PolicyAction.deny, bits.deny), (.review, bits.review), (.allow, bits.allow)] {
                    var remaining = mask
                    while remaining != 0 {
                        let slot = remaining.trailingZeroBitCount
                        remaining &= remaining &- 1
                        guard slot < PolicySnapshot.classSlots else { continue }
                        buckets[slot].append(
                            RuleCandidate(
                                rule: Int32(match.rule), action: action, hasRelations: scoped[match.rule],
                                direct: direct[match.rule], groupBloom: blooms[match.rule]))
                    }
                }
            }
            for var entries in buckets {
                entries.sort { ($0.action.rawValue, -$0.rule) > ($1.action.rawValue, -$1.rule) }
                candidates.append(contentsOf: entries)
                candidateOffsets.append(Int32(candidates.count))
            }
        }

        return CompiledPolicyParts(
            version: Self.version(of: config), configuration: config, groupNames: groupNames, groupIndex: groupIndex, grantIndex: grantIndex,
            groupWordCount: words, groupClosure: closure, identityIndex: identityIndex, identityGroups: identityGroups,
            resourceIndex: resourceIndex, resourceDefaults: config.resources.map(\.defaultAction),
            resourceHasRelationRules: hasRelationRules, compiledRules: compiledRules, ruleIdentities: ruleIdentities,
            ruleGroups: ruleGroups, ruleRelations: ruleRelations, identifiers: identifiers, candidateOffsets: candidateOffsets,
            candidates: candidates, lengthOffsets: lengthOffsets, lengthRules: lengthRules,
            resourceRuleOffsets: resourceRuleOffsets, resourceRules: resourceRules)
    }

    /// The interned groups a rule applies to: its grant's group for a grant rule, else its groups.
    private static func groups(of rule: PolicyRule, _ groupIndex: [String: Int32], _ grantIndex: [String: Int32]) -> [Int32] {
        if let grant = rule.grant { return grantIndex[grant].map { [$0] } ?? [] }
        return rule.groups.compactMap { groupIndex[$0] }
    }

    /// SHA-256 of ``CanonicalPolicyText``, first 16 hex digits.
    static func version(of config: GatewayConfiguration) -> String {
        let digest = SHA256.hash(data: Array(CanonicalPolicyText.render(config).utf8))
        return digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
