import Codecs

/// Why the policy decided what it did. Stable codes for audit logs and metrics.
public enum ReasonCode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A rule's `allow`, `review` or `deny` list named the statement's class.
    case rule = 0
    /// No rule matched; the resource's `default` decided.
    case resourceDefault = 1
    /// An `opaque` statement (or one without any class) that no rule naming `opaque` decides,
    /// and some class no rule decides either: denied, whatever the resource default.
    case opaqueUnmatched = 2
    /// The statement is longer than a matching rule's `max_statement_length`.
    case statementTooLong = 3
    /// The resource is not in this policy snapshot.
    case unknownResource = 4
    /// The subject was resolved against another snapshot (a caller bug; use ``PolicySession``).
    case staleSubject = 5

    public var description: String {
        switch self {
        case .rule: "rule"
        case .resourceDefault: "resource-default"
        case .opaqueUnmatched: "opaque-unmatched"
        case .statementTooLong: "statement-too-long"
        case .unknownResource: "unknown-resource"
        case .staleSubject: "stale-subject"
        }
    }
}

/// The outcome of evaluating one statement. A small trivial value: no allocation to make or copy.
public struct Decision: Sendable, Hashable {
    public var action: PolicyAction
    public var reason: ReasonCode
    /// Index of the deciding rule in ``PolicySnapshot/rules`` (file order), or -1.
    public var rule: Int32
    /// The statement class that decided (the most severe one), empty when none did.
    public var statementClass: StatementClass

    @inlinable
    public init(action: PolicyAction, reason: ReasonCode, rule: Int32 = -1, statementClass: StatementClass = []) {
        self.action = action
        self.reason = reason
        self.rule = rule
        self.statementClass = statementClass
    }
}
