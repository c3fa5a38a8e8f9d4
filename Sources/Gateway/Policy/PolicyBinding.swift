import Codecs

/// One caller on one resource, pre-filtered against one ``PolicySnapshot``: only the rules
/// whose identity/group scope matches remain in each class's candidate list, so a decision
/// scans a handful of candidates however large the rule set is.
///
/// Built once per connection (and after each reload) by ``PolicySnapshot/bind(_:to:)``;
/// ``PolicySnapshot/evaluate(_:classes:relations:in:statementLength:)`` on it allocates nothing.
public struct PolicyBinding: Sendable {
    public let subject: PolicySubject
    public let resource: PolicyResourceID
    /// `candidates[offsets[slot] ..< offsets[slot + 1]]`, precedence order.
    let offsets: [Int32]
    let candidates: [RuleCandidate]
    let defaultAction: PolicyAction
    let hasRelationRules: Bool
    /// The strictest matching `max_statement_length` and the rule that set it (-1: none).
    let maxStatementLength: Int
    let lengthRule: Int32
    /// The decision for `opaque` when no rule naming it applies (``PolicySnapshot/opaqueFallback(resource:subject:)``).
    let opaqueFallback: Decision
    let valid: Bool
}

extension PolicySnapshot {
    /// Pre-filters this snapshot's rules for `subject` on `resource` (per connection; allocates).
    public func bind(_ subject: PolicySubject, to resource: PolicyResourceID) -> PolicyBinding {
        let r = Int(resource.rawValue)
        guard subject.snapshotSerial == serial, resource.snapshotSerial == serial, r >= 0, r < resourceDefaults.count else {
            return PolicyBinding(
                subject: subject, resource: resource, offsets: [], candidates: [], defaultAction: .deny,
                hasRelationRules: false, maxStatementLength: Int.max, lengthRule: -1,
                opaqueFallback: Decision(action: .deny, reason: .unknownResource), valid: false)
        }
        var offsets: [Int32] = [0]
        var filtered: [RuleCandidate] = []
        var matches: [Int32: Bool] = [:]
        func applies(_ rule: Int32) -> Bool {
            if let known = matches[rule] { return known }
            let result = subjectMatches(compiledRules[Int(rule)], subject)
            matches[rule] = result
            return result
        }
        for slot in 0..<Self.classSlots {
            let key = r * Self.classSlots + slot
            for index in Int(candidateOffsets[key])..<Int(candidateOffsets[key + 1]) where applies(candidates[index].rule) {
                filtered.append(candidates[index])
            }
            offsets.append(Int32(filtered.count))
        }
        var maxLength = Int.max
        var lengthRule: Int32 = -1
        for position in Int(lengthOffsets[r])..<Int(lengthOffsets[r + 1]) {
            let rule = lengthRules[position]
            let limit = compiledRules[Int(rule)].maxStatementLength
            if limit < maxLength, applies(rule) {
                maxLength = limit
                lengthRule = rule
            }
        }
        return PolicyBinding(
            subject: subject, resource: resource, offsets: offsets, candidates: filtered, defaultAction: resourceDefaults[r],
            hasRelationRules: filtered.contains { $0.hasRelations }, maxStatementLength: maxLength, lengthRule: lengthRule,
            opaqueFallback: opaqueFallback(resource: r, subject: subject).decision, valid: true)
    }

    /// Decides one statement for a bound caller and resource; same result as
    /// ``evaluate(identity:resource:classes:relations:in:statementLength:)``, without scanning
    /// rules that cannot apply to the caller. Allocates nothing.
    public func evaluate(
        _ binding: PolicyBinding, classes: StatementClass, relations: UnsafeBufferPointer<RelationReference>,
        in text: UnsafeRawBufferPointer, statementLength: Int
    ) -> Decision {
        guard binding.subject.snapshotSerial == serial else { return Decision(action: .deny, reason: .staleSubject) }
        guard binding.valid else { return Decision(action: .deny, reason: .unknownResource) }
        if statementLength > binding.maxStatementLength {
            return Decision(action: .deny, reason: .statementTooLong, rule: binding.lengthRule)
        }
        var cache = RelationCache()
        var bits = classes.rawValue
        let knownMask = UInt32((1 << Self.classSlots) - 1)
        if bits == 0 || bits & ~knownMask != 0 { bits = (bits & knownMask) | StatementClass.opaque.rawValue }
        var result = Decision(action: .allow, reason: .resourceDefault)
        var decided = false
        while bits != 0 {
            let slot = bits.trailingZeroBitCount
            bits &= bits &- 1
            let decision = decide(slot: slot, binding, relations, text, &cache)
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
        slot: Int, _ binding: PolicyBinding, _ relations: UnsafeBufferPointer<RelationReference>,
        _ text: UnsafeRawBufferPointer, _ cache: inout RelationCache
    ) -> Decision {
        let statementClass = StatementClass(rawValue: 1 << UInt32(slot))
        var index = Int(binding.offsets[slot])
        let end = Int(binding.offsets[slot + 1])
        while index < end {
            let candidate = binding.candidates[index]
            if !candidate.hasRelations
                || relationsMatch(
                    compiledRules[Int(candidate.rule)], requireAll: candidate.action == .allow, relations, text, &cache)
            {
                return Decision(action: candidate.action, reason: .rule, rule: candidate.rule, statementClass: statementClass)
            }
            index += 1
        }
        if slot == Self.opaqueSlot { return binding.opaqueFallback }
        return Decision(action: binding.defaultAction, reason: .resourceDefault, statementClass: statementClass)
    }
}
