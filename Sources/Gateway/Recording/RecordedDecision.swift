import Codecs

/// A ``RecordKind/decision`` payload: `[u8 action][u8 reason][u32 classes][u32 deciding class]`
/// then the rule id and the policy version, each ending in `\0`.
///
/// Action: 0 allow, 1 review, 2 deny. Reason: ``ReasonCode``'s raw value.
public struct RecordedDecision: Sendable, Hashable {
    public var action: PolicyAction
    public var reason: ReasonCode?
    /// The reason's raw code (kept when this build does not know it).
    public var reasonCode: UInt8
    /// Every class of the statement.
    public var classes: StatementClass
    /// The class that decided (empty when none did).
    public var decidingClass: StatementClass
    /// The deciding rule's id, empty when no rule decided.
    public var rule: String
    public var policyVersion: String

    /// Bytes before the two strings.
    static let fixedSize = 10

    public init(action: PolicyAction, reason: ReasonCode, classes: StatementClass, decidingClass: StatementClass,
                rule: String, policyVersion: String) {
        self.action = action
        self.reason = reason
        self.reasonCode = reason.rawValue
        self.classes = classes
        self.decidingClass = decidingClass
        self.rule = rule
        self.policyVersion = policyVersion
    }

    /// Reads a decision payload; nil when it is malformed.
    public init?(decoding payload: some Collection<UInt8>) {
        let bytes = Array(payload)
        guard bytes.count >= Self.fixedSize + 2, let action = PolicyAction(rawValue: bytes[0]) else { return nil }
        let strings = bytes[Self.fixedSize...].split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard strings.count >= 2 else { return nil }
        self.action = action
        self.reasonCode = bytes[1]
        self.reason = ReasonCode(rawValue: bytes[1])
        self.classes = StatementClass(rawValue: BigEndian.uint32(bytes, at: 2))
        self.decidingClass = StatementClass(rawValue: BigEndian.uint32(bytes, at: 6))
        self.rule = String(decoding: strings[0], as: UTF8.self)
        self.policyVersion = String(decoding: strings[1], as: UTF8.self)
    }
}
