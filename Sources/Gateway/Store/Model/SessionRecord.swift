import Foundation

/// One entry of the session index: which replica serves which identity's session.
public struct SessionRecord: Sendable, Hashable, Identifiable {
    public var id: String
    public var replicaID: String
    public var identity: String
    public var resource: String
    public var startedAt: Date
    public var endedAt: Date?
    /// Set when someone asked (on any replica) to kill the session.
    public var killRequestedAt: Date?
    public var killRequestedBy: String?

    public init(id: String, replicaID: String, identity: String, resource: String, startedAt: Date,
                endedAt: Date? = nil, killRequestedAt: Date? = nil, killRequestedBy: String? = nil) {
        self.id = id
        self.replicaID = replicaID
        self.identity = identity
        self.resource = resource
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.killRequestedAt = killRequestedAt
        self.killRequestedBy = killRequestedBy
    }

    /// Whether the session has not ended.
    public var isLive: Bool { endedAt == nil }
}
