import Foundation
import PostgresNIO

/// Reads a libpq-style URL into a client configuration:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=FILE]`.
///
/// `sslmode`: `disable`, `prefer` (the default, like libpq: TLS when offered, unverified),
/// `require` (TLS, unverified), `verify-full` (TLS, certificate and host name verified
/// against `sslrootcert` or the system's roots).
enum PostgresStoreURL {
    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
              ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw ControlStoreError.configuration("the store URL must start with postgres:// or postgresql://")
        }
        guard let host = url.host, !host.isEmpty else { throw ControlStoreError.configuration("the store URL names no host") }
        guard let user = url.user, !user.isEmpty else { throw ControlStoreError.configuration("the store URL names no user") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        let parameters = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        if let unknown = parameters.keys.first(where: { !["sslmode", "sslrootcert"].contains($0) }) {
            throw ControlStoreError.configuration("unsupported store URL parameter '\(unknown)' (expected sslmode, sslrootcert)")
        }
        let tls = try tlsSetting(mode: parameters["sslmode"] ?? "prefer", rootCertificate: parameters["sslrootcert"])
        let unbracketed = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return PostgresClient.Configuration(
            host: unbracketed, port: url.port ?? 5432, username: user, password: url.password,
            database: database.isEmpty ? user : database, tls: tls)
    }

    private static func tlsSetting(mode: String, rootCertificate: String?) throws -> PostgresClient.Configuration.TLS {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch mode {
        case "disable":
            return .disable
        case "prefer":
            return .prefer(unverified)
        case "require":
            return .require(unverified)
        case "verify-full":
            var verified = TLSConfiguration.makeClientConfiguration()
            if let rootCertificate { verified.trustRoots = .file(rootCertificate) }
            return .require(verified)
        default:
            throw ControlStoreError.configuration("unsupported sslmode '\(mode)' (expected disable, prefer, require, verify-full)")
        }
    }
}
