/// A rule as the evaluator sees it: plain integers indexing flat arrays of the snapshot.
struct CompiledRule: Sendable {
    var everyone: Bool
    var identityStart: Int32
    var identityCount: Int32
    var groupStart: Int32
    var groupCount: Int32
    var relationStart: Int32
    var relationCount: Int32
    /// `max_statement_length`, or `Int.max`.
    var maxStatementLength: Int
}

/// A relation pattern interned: ids into the snapshot's identifier table.
struct CompiledRelation: Sendable {
    /// Schema id, or -1 for an unqualified pattern (any schema).
    var schema: Int32
    /// Relation id, or -1 for `schema.*`.
    var name: Int32
}

/// One entry of the (resource, class) index: a rule that decides that class on that resource.
/// Entries are sorted so that the first one whose scope matches is the decision.
struct RuleCandidate: Sendable {
    var rule: Int32
    var action: PolicyAction
    var hasRelations: Bool
    /// The rule names identities or everyone: its scope must be checked in full.
    var direct: Bool = true
    /// Bit `g & 63` set for every group `g` the rule names: a subject whose folded group
    /// bits do not intersect it cannot match through a group (a cheap pre-filter).
    var groupBloom: UInt64 = 0
}

/// A statement's relation resolved to identifier ids (-1: not written, -2: named by no rule).
struct ResolvedRelation: Sendable {
    var schema: Int32
    var name: Int32

    static let unresolved = ResolvedRelation(schema: -2, name: -2)
}
