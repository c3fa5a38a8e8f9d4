import Codecs

/// What the policy decides for a command.
///
/// Ordered by severity: when several rules apply, the most severe wins (``deny`` beats
/// ``review`` beats ``allow``), whatever their resource patterns.
public enum PolicyAction: UInt8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case allow = 0
    /// Hold the command until a human approves it.
    case review = 1
    case deny = 2

    public init?(configName: String) {
        switch configName {
        case "allow": self = .allow
        case "review": self = .review
        case "deny": self = .deny
        default: return nil
        }
    }

    public static func < (lhs: PolicyAction, rhs: PolicyAction) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .allow: "allow"
        case .review: "review"
        case .deny: "deny"
        }
    }
}

/// Built-in value detectors a mask rule can name.
public enum MaskDetector: String, Sendable, Hashable, CaseIterable {
    case creditCard = "credit_card"
    case email
    case ssn
    case iban
    case ip
    /// Any value containing one of the rule's keywords.
    case keywords
}

/// A mask style as the configuration names it (`style:`); always in place, same length.
public enum MaskStyleName: String, Sendable, Hashable, CaseIterable {
    /// Every character becomes `*`.
    case redact
    /// All but the last four characters become `*`.
    case partial
}

/// One `mask` entry of a rule: by column-name patterns or by a detector.
public struct MaskRule: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        /// `table.column` glob patterns (`*.ssn`, `customers.email`); case-folded like PostgreSQL.
        case columns([String])
        /// A value detector; ``MaskDetector/keywords`` carries its keyword list.
        case detector(MaskDetector, keywords: [String])
    }

    public var target: Target
    public var style: MaskStyleName

    public init(target: Target, style: MaskStyleName) {
        self.target = target
        self.style = style
    }
}

/// Per-result and per-statement limits. `nil` means no limit from this rule.
public struct PolicyLimits: Sendable, Hashable {
    public var maxRows: Int?
    public var maxBytes: Int?
    public var maxStatementLength: Int?

    public init(maxRows: Int? = nil, maxBytes: Int? = nil, maxStatementLength: Int? = nil) {
        self.maxRows = maxRows
        self.maxBytes = maxBytes
        self.maxStatementLength = maxStatementLength
    }

    public var isEmpty: Bool { maxRows == nil && maxBytes == nil && maxStatementLength == nil }

    /// The stricter of two limits, field by field (collecting attributes from several rules).
    public func tightened(by other: PolicyLimits) -> PolicyLimits {
        func minimum(_ a: Int?, _ b: Int?) -> Int? {
            switch (a, b) {
            case let (a?, b?): Swift.min(a, b)
            case let (a?, nil): a
            case let (nil, b): b
            }
        }
        return PolicyLimits(
            maxRows: minimum(maxRows, other.maxRows), maxBytes: minimum(maxBytes, other.maxBytes),
            maxStatementLength: minimum(maxStatementLength, other.maxStatementLength))
    }
}

/// One policy rule (`policies[]`): a scope (resources x subjects, optionally relations) and
/// what it decides inside that scope.
public struct PolicyRule: Sendable, Hashable {
    /// Unique rule id, reported in decisions and audit events.
    public var id: String
    /// Resource-name glob patterns (`pg-*`, `pg-prod`).
    public var resources: [String]
    /// Identities the rule applies to; `*` means every caller.
    public var identities: [String]
    /// Groups the rule applies to (members of nested groups included).
    public var groups: [String]
    /// Relation patterns (`public.users`, `users`, `"Audit"."Log"`, `hr.*`); empty: any statement.
    public var relations: [String]
    public var allow: StatementClass
    public var review: StatementClass
    public var deny: StatementClass
    public var masks: [MaskRule]
    public var limits: PolicyLimits
    /// Who approves what this rule sends to review (nil: the resource's settings).
    public var approval: ApprovalSettings?
    /// The grant (`grants[].name`) whose holders this rule applies to, instead of
    /// ``identities`` and ``groups`` (nil: an ordinary rule).
    public var grant: String?
    public var location: SourceLocation

    public init(
        id: String, resources: [String], identities: [String] = [], groups: [String] = [],
        relations: [String] = [], allow: StatementClass = [], review: StatementClass = [],
        deny: StatementClass = [], masks: [MaskRule] = [], limits: PolicyLimits = PolicyLimits(),
        approval: ApprovalSettings? = nil, grant: String? = nil, location: SourceLocation = .unknown
    ) {
        self.approval = approval
        self.grant = grant
        self.id = id
        self.resources = resources
        self.identities = identities
        self.groups = groups
        self.relations = relations
        self.allow = allow
        self.review = review
        self.deny = deny
        self.masks = masks
        self.limits = limits
        self.location = location
    }

    /// The classes this rule decides with `action`.
    public func classes(for action: PolicyAction) -> StatementClass {
        switch action {
        case .allow: allow
        case .review: review
        case .deny: deny
        }
    }
}
