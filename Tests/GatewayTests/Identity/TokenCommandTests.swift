import Foundation
import Testing

@testable import Gateway

/// Runs the built `ringgate` binary (built next to the test bundle by `swift test`).
@Suite("ringgate token CLI")
struct TokenCommandTests {
    static func binary() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ringgate"),
            Bundle.main.bundleURL.appendingPathComponent("ringgate"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/ringgate"),
        ]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw IdentityConfigurationError("ringgate binary not found next to the tests; run `swift build` first")
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("keygen, issue, verify, revoke through the binary")
    func endToEnd() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyPath = directory.file("gateway.key")

        let keygen = try Self.run(["token", "keygen", "--out", keyPath])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let mode = (try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        #expect(try Self.run(["token", "keygen", "--out", keyPath]).status != 0)

        let issue = try Self.run([
            "token", "issue", "--key", keyPath, "--identity", "ci-runner-7", "--groups", "deploy", "--ttl", "15m",
            "--resources", "pg-prod",
        ])
        #expect(issue.status == 0, "\(issue.stderr)")
        let token = issue.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.split(separator: ".").count == 3)

        let settings = GatewayTokenSettings(
            signingKeyFile: keyPath, maxTTLSeconds: 3600, revocationFile: directory.file("revoked"))
        try directory.write("revoked", [])
        let identity = try await GatewayTokenVerifier(settings: settings).verify(token, resource: "pg-prod").get()
        #expect(identity.name == "ci-runner-7")
        #expect(identity.groups == ["deploy"])
        let lifetime = identity.expiresAt.timeIntervalSinceNow
        #expect(lifetime > 800 && lifetime <= 900)

        let jti = try #require(identity.tokenID)
        let revoke = try Self.run(["token", "revoke", "--file", directory.file("revoked"), "--jti", jti])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        #expect(try await GatewayTokenVerifier(settings: settings).verify(token, resource: "pg-prod").failureReason == .revoked)

        let tooLong = try Self.run([
            "token", "issue", "--key", keyPath, "--identity", "ci", "--ttl", "2h", "--max-ttl", "1h", "--resources", "pg-prod",
        ])
        #expect(tooLong.status != 0)
        #expect(tooLong.stdout.isEmpty)
        #expect(tooLong.stderr.contains("exceeds the configured maximum"))
    }

    @Test("revoke accepts ids that start with '-': --jti=ID, --jti ID, and a positional ID after --")
    func revokeIDsThatLookLikeOptions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file("revoked")
        // Older tokens carry base64url ids, and one in 64 starts with '-'.
        let forms: [(id: String, arguments: [String])] = [
            ("-AbC_1", ["--jti=-AbC_1"]),
            ("-AbC_2", ["--jti", "-AbC_2"]),
            ("--jti", ["--jti", "--jti"]),
            ("-AbC_3", ["--", "-AbC_3"]),
            ("AbC_4", ["AbC_4"]),
            ("0123abcd", ["--file", file, "0123abcd"]),
        ]
        for form in forms {
            let arguments = form.arguments.contains("--file") ? form.arguments : ["--file", file] + form.arguments
            let run = try Self.run(["token", "revoke"] + arguments)
            #expect(run.status == 0, "\(form.arguments): \(run.stderr)")
            #expect(run.stdout == "revoked \(form.id)\n", "\(form.arguments)")
        }
        #expect(try RevocationList.read(path: file) == Set(forms.map(\.id)))
        // Exactly one id: none, or both forms, is refused and writes nothing.
        #expect(try Self.run(["token", "revoke", "--file", file]).status != 0)
        #expect(try Self.run(["token", "revoke", "--file", file, "--jti", "x1", "x2"]).status != 0)
        #expect(try Self.run(["token", "revoke", "--file", file, "-x3"]).status != 0)
        #expect(try RevocationList.read(path: file) == Set(forms.map(\.id)))
    }

    @Test("issue --config takes the key, issuer and TTL cap from gateway_tokens")
    func issueFromConfiguration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyPath = directory.file("gateway.key")
        #expect(try Self.run(["token", "keygen", "--out", keyPath]).status == 0)
        let configPath = directory.file("ringgate.yaml")
        try directory.write(
            "ringgate.yaml",
            Array("gateway_tokens:\n  signing_key_file: \(keyPath)\n  issuer: ringgate-ci\n  max_ttl: 30m\n".utf8))

        let issue = try Self.run([
            "token", "issue", "--config", configPath, "--identity", "ci-runner-7", "--groups", "deploy",
            "--ttl", "15m", "--resources", "pg-prod",
        ])
        #expect(issue.status == 0, "\(issue.stderr)")
        let token = issue.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let settings = GatewayTokenSettings(issuer: "ringgate-ci", signingKeyFile: keyPath, maxTTLSeconds: 1800)
        let identity = try await GatewayTokenVerifier(settings: settings).verify(token, resource: "pg-prod").get()
        #expect(identity.name == "ci-runner-7")

        // The cap comes from the file (30m), not the flag's default (1h).
        let tooLong = try Self.run([
            "token", "issue", "--config", configPath, "--identity", "ci", "--ttl", "45m", "--resources", "pg-prod",
        ])
        #expect(tooLong.status != 0)
        #expect(tooLong.stdout.isEmpty)
        // Exactly one key source.
        #expect(try Self.run(["token", "issue", "--identity", "ci", "--ttl", "1m", "--resources", "r"]).status != 0)
    }
}
