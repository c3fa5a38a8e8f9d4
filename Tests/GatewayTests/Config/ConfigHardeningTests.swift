import Codecs
import Foundation
import Testing

@testable import Gateway

#if canImport(Glibc)
import Glibc
#endif

/// Configuration files written by an attacker or by mistake: YAML bombs, clashing listeners,
/// secrets in the wrong place, files others can change.
@Suite struct ConfigHardeningTests {
    func diagnostics(_ yaml: String) -> [ConfigDiagnostic] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
            return []
        } catch {
            return error.diagnostics
        }
    }

    /// Nine levels of ten aliases each: 10^9 nodes once expanded. The last line uses the top
    /// anchor as a mapping key, which the composer hashes (the whole expanded tree).
    static let billionLaughs: String = {
        var lines = ["bomb:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            lines.append("  \(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]")
        }
        lines.append("? *i")
        lines.append(": boom")
        return lines.joined(separator: "\n")
    }()

    @Test func aliasAmplificationIsRejectedQuicklyWithALocatedDiagnostic() {
        let clock = ContinuousClock()
        let start = clock.now
        let found = diagnostics(Self.billionLaughs)
        #expect(clock.now - start < .seconds(1))
        #expect(found.count == 1)
        let diagnostic = found.first
        #expect(diagnostic?.message.contains("alias amplification") == true)
        // The first alias that pushes the count past the bound: on the line defining 'e'
        // (each of its aliases stands for 11111 nodes).
        #expect(diagnostic?.location.line == 6)
        #expect(diagnostic?.location.column ?? 0 > 1)
    }

    @Test func deepNestingIsRejectedQuicklyWithALocatedDiagnostic() {
        let depth = 500
        let yaml = "resources: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let clock = ContinuousClock()
        let start = clock.now
        let found = diagnostics(yaml)
        #expect(clock.now - start < .seconds(1))
        #expect(found.map(\.message) == ["the document is nested deeper than \(YAMLBudget.maximumDepth) levels"])
        #expect(found.first?.location == SourceLocation(line: 1, column: 12 + YAMLBudget.maximumDepth - 1))

        // Far deeper than libyaml's own limit: still a located syntax error, not a crash.
        let deeper = String(repeating: "[", count: 100_000)
        let syntax = diagnostics(deeper)
        #expect(syntax.count == 1)
        #expect(syntax.first?.location.line == 1)
    }

    @Test func smallAliasesStillWork() throws {
        let yaml = """
            resources:
              - name: a
                protocol: postgres
                listen: 127.0.0.1:7001
                upstream: 127.0.0.1:5432
                credentials: &creds
                  username: gate
                  password_env: PGPASS
              - name: b
                protocol: postgres
                listen: 127.0.0.1:7002
                upstream: 127.0.0.1:5432
                credentials: *creds
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        #expect(config.resources.map(\.credentials?.username) == ["gate", "gate"])
    }

    // MARK: listen clashes

    func twoResources(_ first: String, _ second: String) -> String {
        """
        resources:
          - name: a
            protocol: postgres
            listen: "\(first)"
            upstream: 127.0.0.1:5432
          - name: b
            protocol: postgres
            listen: "\(second)"
            upstream: 127.0.0.1:5432
        """
    }

    @Test(arguments: [
        ("127.0.0.1:6432", "127.0.0.1:6432"), ("0.0.0.0:6432", "127.0.0.1:6432"), ("127.0.0.1:6432", "0.0.0.0:6432"),
        ("[::]:6432", "10.0.0.1:6432"), ("LOCALHOST:6432", "localhost:6432"),
    ])
    func resourcesSharingAListenAddressAreRejected(first: String, second: String) {
        let found = diagnostics(twoResources(first, second))
        #expect(found.count == 1)
        #expect(found.first?.path == "resources[1].listen")
        #expect(found.first?.location == SourceLocation(line: 8, column: 13))
        #expect(found.first?.message.contains("clashes with resource 'a'") == true)
        #expect(found.first?.message.contains("(line 4)") == true)
    }

    @Test(arguments: [("127.0.0.1:6432", "127.0.0.1:6433"), ("127.0.0.1:6432", "127.0.0.2:6432")])
    func distinctListenAddressesAreAccepted(first: String, second: String) {
        #expect(diagnostics(twoResources(first, second)).isEmpty)
    }

    // MARK: secrets in diagnostics

    @Test func diagnosticsRedactURLCredentialsAndCutLongValues() {
        let secret = "s3cr3t-Pa55w0rd-that-is-quite-long-0123456789"
        let yaml = """
            gateway:
              io_backend: \(secret)
              \(secret): 1
            resources:
              - name: a
                protocol: postgres
                listen: "postgres://admin:hunter2@db.internal:5432/app"
                upstream: 127.0.0.1:5432
            """
        let found = diagnostics(yaml)
        #expect(found.count == 3)
        let text = found.map(\.description).joined(separator: "\n")
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("admin"))
        #expect(!text.contains(secret))
        #expect(text.contains("'postgres://***@db.intern…'"))
        let cut = String(secret.prefix(ConfigText.quotedPrefixLength))
        #expect(text.contains("'\(cut)…'"))
    }

    @Test(arguments: [
        ("https://user:pass@host/x", "https://***@host/x"),
        ("a redis://:pw@r:6379 and http://u@h", "a redis://***@r:6379 and http://***@h"),
        ("mailto:ops@example.com", "mailto:ops@example.com"),
        ("https://host/path@x", "https://host/path@x"),
    ])
    func urlCredentialsAreRedacted(input: String, expected: String) {
        #expect(ConfigText.redactingURLCredentials(input) == expected)
    }
}
