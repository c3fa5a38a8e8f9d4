import Foundation

/// A revoked token id (`jti`), kept until the token would have expired anyway.
public struct TokenRevocation: Sendable, Hashable {
    public var jti: String
    public var revokedAt: Date
    /// The token's own expiry: after it the entry is no longer needed.
    public var expiresAt: Date

    public init(jti: String, revokedAt: Date, expiresAt: Date) {
        self.jti = jti
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }
}
