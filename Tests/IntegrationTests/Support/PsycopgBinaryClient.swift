import Foundation
import Testing

/// A PostgreSQL client whose libpq is 17 or newer (it knows `sslnegotiation=direct`): psycopg 3
/// with its bundled libpq in the venv `scripts/install-deps.sh` makes. Debian bookworm's own
/// libpq (psql, /usr/bin/python3's psycopg) is 15.
///
/// Tests that need it run where it is installed or under CI (`CI` set), and fail there with
/// ``missingMessage`` when it is absent, like the other tests that need something installed:
///
/// ```swift
/// @Test(.enabled(if: PsycopgBinaryClient.python != nil || isCI, "psycopg[binary] venv absent"))
/// func direct() throws {
///     let python = try #require(PsycopgBinaryClient.python, PsycopgBinaryClient.missingMessage)
/// ```
enum PsycopgBinaryClient {
    /// The venv `scripts/install-deps.sh` installs `psycopg[binary]` into.
    static let venv = "/opt/ringgate/venv-psycopg-binary"

    /// The venv's python when it is installed, else nil.
    static var python: String? {
        let path = venv + "/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Why a test that needs the client cannot run, and how to fix it.
    static let missingMessage: Comment = "no \(venv)/bin/python (psycopg[binary], libpq 17+): run scripts/install-deps.sh"
}
