import Codecs
import Foundation

/// What a protocol resource holds per connection to decide each statement.
///
/// It keeps the snapshot it last used, with the caller and resource resolved against it. Each
/// ``evaluate(classes:relations:in:statementLength:)`` reads the store's generation once
/// (a relaxed atomic load); only when a new policy was published does it fetch the new
/// snapshot and re-resolve the caller (allocating then, once per reload, never per statement).
/// A session is never recreated on reload. It is owned by one loop thread (not Sendable).
///
/// With ``ActiveGrants``, the caller's grants on the resource count as groups (rules naming
/// them apply); the session rebinds when the grants table changes or when its first grant
/// expires, so a grant given or taken away takes effect at the next statement.
public struct PolicySession {
    public let store: PolicyStore
    /// The grants in force (nil: no control store, no grants).
    public let grants: ActiveGrants?
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
    /// The grants the binding includes (names), the ``ActiveGrants`` generation they were
    /// read at, and when the first of them expires (nanoseconds since 1970; `Int64.max`: none).
    public private(set) var heldGrants: [String] = []
    private var grantsGeneration: UInt64 = 0
    private var grantDeadline: Int64 = .max

    public init(
        store: PolicyStore, grants: ActiveGrants? = nil, identity: String, groups: [String] = [], provider: String? = nil,
        resource: String
    ) {
        self.store = store
        self.grants = grants
        self.identity = identity
        self.tokenGroups = groups
        self.groupProvider = provider
        self.resourceName = resource
        let (snapshot, generation) = store.load()
        self.snapshot = snapshot
        self.generation = generation
        if let grants { (grantsGeneration, heldGrants, grantDeadline) = Self.held(grants, identity, resource) }
        let subject = snapshot.subject(identity: identity, groups: groups, provider: provider, grants: heldGrants)
        let resourceID = snapshot.resource(named: resource)
        self.binding = snapshot.bind(subject, to: resourceID)
        self.attributes = snapshot.attributes(for: subject, on: resourceID)
    }

    /// The grants `identity` holds on `resource` now: the table's generation (read first), their
    /// names, and when the first of them ends (nanoseconds since 1970; `Int64.max`: none).
    private static func held(_ grants: ActiveGrants, _ identity: String, _ resource: String)
        -> (generation: UInt64, names: [String], deadline: Int64)
    {
        let generation = grants.generation
        let held = grants.lookup(identity: identity, resource: resource, at: Date())
        return (generation, held.names, held.firstExpiry.map { Int64($0.timeIntervalSince1970 * 1_000_000_000) } ?? .max)
    }

    /// The version of the policy that made the last decision.
    public var policyVersion: String { snapshot.version }

    /// Picks up a newly published snapshot, if any. Called by ``evaluate(classes:relations:in:statementLength:)``.
    @inline(__always)
    public mutating func refresh() {
        if store.generation != generation || grantsChanged() { rebind() }
    }

    /// The grants table moved, or the first held grant expired (a clock read only then).
    @inline(__always)
    private func grantsChanged() -> Bool {
        guard let grants else { return false }
        return grants.generation != grantsGeneration
            || (grantDeadline != .max && ActiveGrants.wallNanoseconds() >= grantDeadline)
    }

    private mutating func rebind() {
        let (snapshot, generation) = store.load()
        self.snapshot = snapshot
        self.generation = generation
        if let grants { (grantsGeneration, heldGrants, grantDeadline) = Self.held(grants, identity, resourceName) }
        let subject = snapshot.subject(identity: identity, groups: tokenGroups, provider: groupProvider, grants: heldGrants)
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
