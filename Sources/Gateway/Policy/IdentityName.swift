/// The case rule for identities (documented in docs/CONFIG.md, "Identities and groups").
///
/// An identity containing `@` is an e-mail identity and compares case-insensitively (both
/// sides are lowercased, Unicode default lowercasing); any other identity compares exactly.
/// Applied to config `groups[].members` and `policies[].identities` when a policy compiles,
/// and to the authenticated name when a caller is resolved, never per statement.
public enum IdentityName {
    /// The form identities are interned and looked up by.
    public static func canonical(_ identity: String) -> String {
        identity.utf8.contains(UInt8(ascii: "@")) ? identity.lowercased() : identity
    }

    /// Whether two identities name the same caller under the case rule.
    public static func same(_ a: String, _ b: String) -> Bool { canonical(a) == canonical(b) }
}
