import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Revoked gateway-token ids: the configured list plus the lines of the revocation file.
///
/// The file holds one token id per line; blank lines and lines starting with `#` are ignored.
/// It is read when the list is built, so a configuration reload (which builds a new
/// ``GatewayTokenVerifier``) re-reads it. A configured file that cannot be read is an error:
/// revocation fails closed.
public struct RevocationList: Sendable, Hashable {
    /// Revoked token ids.
    public private(set) var tokenIDs: Set<String>

    public init(tokenIDs: some Sequence<String>) { self.tokenIDs = Set(tokenIDs) }

    /// Builds the list from settings, reading `revocationFile` if set.
    public init(settings: GatewayTokenSettings) throws(IdentityConfigurationError) {
        var ids = Set(settings.revokedTokenIDs)
        if let path = settings.revocationFile {
            ids.formUnion(try Self.read(path: path))
        }
        self.tokenIDs = ids
    }

    /// Whether `tokenID` is revoked.
    public func contains(_ tokenID: String) -> Bool { tokenIDs.contains(tokenID) }

    /// Reads the ids in a revocation file. A missing file is an empty list only if
    /// `missingIsEmpty`; otherwise it is an error.
    public static func read(path: String, missingIsEmpty: Bool = false) throws(IdentityConfigurationError) -> Set<String> {
        if let problem = TrustFile.problem(path: path, what: "revocation file") {
            throw IdentityConfigurationError(problem)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            if missingIsEmpty && !FileManager.default.fileExists(atPath: path) { return [] }
            throw IdentityConfigurationError("cannot read revocation file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw IdentityConfigurationError("revocation file \(path) is not UTF-8")
        }
        var ids = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            let entry = line.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            ids.insert(entry)
        }
        return ids
    }

    /// Whether `tokenID` is shaped like a token id (base64url characters, 1 to 128 of them),
    /// so that it can be written to the revocation file as one line.
    public static func isValidTokenID(_ tokenID: String) -> Bool {
        !tokenID.isEmpty && tokenID.utf8.count <= 128
            && tokenID.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    return true
                default:
                    return false
                }
            }
    }

    /// Appends `tokenID` to the revocation file at `path` (created with mode 0600 if absent).
    public static func append(_ tokenID: String, toFile path: String) throws(IdentityConfigurationError) {
        guard isValidTokenID(tokenID) else {
            throw IdentityConfigurationError("token id must be 1 to 128 base64url characters")
        }
        let line = Array("\(tokenID)\n".utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IdentityConfigurationError("cannot open revocation file \(path): errno \(errno)") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw IdentityConfigurationError("appending to revocation file \(path) failed")
        }
    }
}
