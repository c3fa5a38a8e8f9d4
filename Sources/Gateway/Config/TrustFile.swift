import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files the gateway trusts to decide who gets in: the configuration itself, JWKS files,
/// revocation lists, the gateway-token signing key and upstream password files.
///
/// Whoever can write one of them can change policy or mint identities, so such a file is
/// refused when it is writable by group or others, or owned by a user other than the one
/// running the gateway (or root). Reading is still checked separately (a missing file is
/// reported by the reader, with its own message).
public enum TrustFile {
    /// Why `path` must not be trusted, or `nil` when it may be (or cannot be examined).
    /// `what` names the file in the message: "configuration file", "JWKS file", ….
    public static func problem(path: String, what: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o7777
        if mode & (S_IWGRP | S_IWOTH) != 0 {
            return "\(what) \(path) is writable by group or others (mode \(String(mode, radix: 8))); "
                + "run chmod go-w on it (0600 or 0640 for secrets, 0644 at most otherwise)"
        }
        let owner = info.st_uid
        let user = geteuid()
        if owner != user && owner != 0 {
            return "\(what) \(path) is owned by uid \(owner), neither the user running the gateway (uid \(user)) nor root; "
                + "chown it to one of them"
        }
        return nil
    }
}
