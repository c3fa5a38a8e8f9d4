import Codecs

/// Masks and limits that apply to one caller on one resource, collected from every matching
/// rule (resource pattern and identity/group scope match; rules scoped to relations carry none).
///
/// Masks accumulate: every mask of every matching rule applies, most specific rule first.
/// Limits combine field by field to the strictest (smallest) value.
public struct EffectiveAttributes: Sendable, Hashable {
    public struct AppliedMask: Sendable, Hashable {
        public var rule: String
        public var mask: MaskRule
    }

    public var masks: [AppliedMask]
    public var limits: PolicyLimits
    /// Ids of the rules that contributed, in the order they were applied.
    public var contributingRules: [String]

    public init(masks: [AppliedMask] = [], limits: PolicyLimits = PolicyLimits(), contributingRules: [String] = []) {
        self.masks = masks
        self.limits = limits
        self.contributingRules = contributingRules
    }
}

extension PolicySnapshot {
    /// The masks and limits for `subject` on `resource` (per connection; allocates).
    public func attributes(for subject: PolicySubject, on resource: PolicyResourceID) -> EffectiveAttributes {
        var result = EffectiveAttributes()
        let r = Int(resource.rawValue)
        guard resource.snapshotSerial == serial, r >= 0, r < resourceDefaults.count else { return result }
        for position in Int(resourceRuleOffsets[r])..<Int(resourceRuleOffsets[r + 1]) {
            let index = Int(resourceRules[position])
            let rule = rules[index]
            guard rule.relations.isEmpty, !rule.masks.isEmpty || !rule.limits.isEmpty,
                subjectMatches(compiledRules[index], subject)
            else { continue }
            result.masks.append(contentsOf: rule.masks.map { EffectiveAttributes.AppliedMask(rule: rule.id, mask: $0) })
            result.limits = result.limits.tightened(by: rule.limits)
            result.contributingRules.append(rule.id)
        }
        return result
    }

    /// Rules that apply to `subject` on `resource` (any class), most specific first.
    public func applicableRules(for subject: PolicySubject, on resource: PolicyResourceID) -> [PolicyRule] {
        let r = Int(resource.rawValue)
        guard resource.snapshotSerial == serial, r >= 0, r < resourceDefaults.count else { return [] }
        return (Int(resourceRuleOffsets[r])..<Int(resourceRuleOffsets[r + 1])).compactMap { position in
            let index = Int(resourceRules[position])
            return subjectMatches(compiledRules[index], subject) ? rules[index] : nil
        }
    }
}
