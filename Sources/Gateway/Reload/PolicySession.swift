import Codecs

/// What a protocol resource holds per connection to decide each statement.
///
/// It keeps the snapshot it last used, with the caller and resource resolved against it. Each
/// ``evaluate(classes:relations:in:statementLength:)`` reads the store's generation once
/// (a relaxed atomic load); only when a new policy was published does it fetch the new
/// snapshot and re-resolve the caller (allocating then, once per reload, never per statement).
/// A session is never recreated on reload. It is owned by one loop thread (not Sendable).
public struct PolicySession {
    public let store: PolicyStore
    public let identity: String
    public let tokenGroups: [String]
    /// The identity provider that issued ``tokenGroups`` (`nil`: a gateway token).
    public let groupProvider: String?
    public let resourceName: String

    public private(set) var snapshot: PolicySnapshot
    /// The caller and resource resolved and pre-filtered against ``snapshot``.
    public private(set) var binding: PolicyBinding
    /// Masks and limits for this caller on this resource under ``snapshot``.
    public private(set) var attributes: EffectiveAttributes
    /// The store generation of ``snapshot`` (changes with every published policy).
    public private(set) var generation: UInt64

    public init(store: PolicyStore, identity: String, groups: [String] = [], provider: String? = nil, resource: String) {
        self.store = store
        self.identity = identity
        self.tokenGroups = groups
        self.groupProvider = provider
        self.resourceName = resource
        let (snapshot, generation) = store.load()
        self.snapshot = snapshot
        self.generation = generation
        let subject = snapshot.subject(identity: identity, groups: groups, provider: provider)
        let resourceID = snapshot.resource(named: resource)
        self.binding = snapshot.bind(subject, to: resourceID)
        self.attributes = snapshot.attributes(for: subject, on: resourceID)
    }

    /// The version of the policy that made the last decision.
    public var policyVersion: String { snapshot.version }

    /// Picks up a newly published snapshot, if any. Called by ``evaluate(classes:relations:in:statementLength:)``.
    @inline(__always)
    public mutating func refresh() {
        if store.generation != generation { rebind() }
    }

    private mutating func rebind() {
        let (snapshot, generation) = store.load()
        self.snapshot = snapshot
        self.generation = generation
        let subject = snapshot.subject(identity: identity, groups: tokenGroups, provider: groupProvider)
        let resourceID = snapshot.resource(named: resourceName)
        binding = snapshot.bind(subject, to: resourceID)
        attributes = snapshot.attributes(for: subject, on: resourceID)
    }

    /// Decides one statement against the latest published policy.
    public mutating func evaluate(
        classes: StatementClass, relations: UnsafeBufferPointer<RelationReference>, in text: UnsafeRawBufferPointer,
        statementLength: Int
    ) -> Decision {
        refresh()
        return snapshot.evaluate(binding, classes: classes, relations: relations, in: text, statementLength: statementLength)
    }

    /// Decides a statement that names no relations.
    public mutating func evaluate(classes: StatementClass, statementLength: Int) -> Decision {
        refresh()
        return snapshot.evaluate(
            binding, classes: classes, relations: UnsafeBufferPointer(start: nil, count: 0),
            in: UnsafeRawBufferPointer(start: nil, count: 0), statementLength: statementLength)
    }
}
