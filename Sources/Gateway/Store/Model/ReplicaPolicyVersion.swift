import Foundation

/// The policy version a replica has in force.
public struct ReplicaPolicyVersion: Sendable, Hashable {
    public var replicaID: String
    public var version: String
    public var updatedAt: Date

    public init(replicaID: String, version: String, updatedAt: Date) {
        self.replicaID = replicaID
        self.version = version
        self.updatedAt = updatedAt
    }
}
