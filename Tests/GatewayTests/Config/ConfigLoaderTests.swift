import Codecs
import Foundation
import Gateway
import Testing

/// A minimal valid configuration; tests splice problems into copies of it.
let validConfigYAML = """
    gateway:
      io_backend: epoll
      loops: 2
      drain_timeout: 10s
      audit_log: /tmp/audit.jsonl
    resources:
      - name: pg-prod
        protocol: postgres
        listen: 127.0.0.1:6432
        upstream: "[::1]:5432"
        connect_timeout: 500ms
        production: true
        default: deny
        tls:
          mode: verify-full
          ca_file: /etc/ca.pem
        credentials:
          username: gate
          password_env: PGPASS_PROD
    identity_providers:
      - name: sso
        issuer: https://sso.example.com
        audiences: [ringgate]
        jwks_file: /etc/jwks.json
        clock_skew: 2m
    gateway_tokens:
      signing_key_file: /etc/key
      max_ttl: 15m
      revoked: [t1, t2]
    groups:
      - name: dba
        members: [alice]
      - name: oncall
        members: [bob]
        groups: [dba]
    policies:
      - id: oncall-write
        resources: [pg-prod]
        groups: [oncall]
        allow: [read, write]
        limits:
          max_rows: 100
          max_bytes: 1MiB
    """

@Suite struct ConfigLoaderTests {
    func diagnostics(_ yaml: String) -> [ConfigDiagnostic] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test func validConfigurationParsesIntoTheTypedModel() throws {
        let config = try ConfigLoader.parse(yaml: validConfigYAML, file: "test.yaml")
        #expect(config.gateway.ioBackend == .epoll)
        #expect(config.gateway.loops == 2)
        #expect(config.gateway.drainTimeoutMilliseconds == 10_000)
        #expect(config.gateway.auditLogPath == "/tmp/audit.jsonl")
        let resource = try #require(config.resources.first)
        #expect(resource.name == "pg-prod")
        #expect(resource.protocol == .postgres)
        #expect(resource.listen == HostPort(host: "127.0.0.1", port: 6432))
        #expect(resource.upstream == HostPort(host: "::1", port: 5432))
        #expect(resource.connectTimeoutMilliseconds == 500)
        #expect(resource.production)
        #expect(resource.defaultAction == .deny)
        #expect(resource.tls == UpstreamTLSSettings(mode: .verifyFull, caFile: "/etc/ca.pem"))
        #expect(resource.credentials == UpstreamCredentials(username: "gate", password: .environment("PGPASS_PROD")))
        #expect(resource.location.line == 7)
        let provider = try #require(config.identityProviders.first)
        #expect(provider.name == "sso")
        #expect(provider.issuer == "https://sso.example.com")
        #expect(provider.audiences == ["ringgate"])
        #expect(provider.jwksFile == "/etc/jwks.json")
        #expect(provider.clockSkewSeconds == 120)
        #expect(provider.groupsClaim == "groups")
        let tokens = try #require(config.gatewayTokens)
        #expect(tokens.signingKeyFile == "/etc/key")
        #expect(tokens.maxTTLSeconds == 900)
        #expect(tokens.revokedTokenIDs == ["t1", "t2"])
        #expect(config.groups.map(\.name) == ["dba", "oncall"])
        #expect(config.groups[1].includes == ["dba"])
        let rule = try #require(config.policies.first)
        #expect(rule.id == "oncall-write")
        #expect(rule.allow == [.read, .write])
        #expect(rule.limits == PolicyLimits(maxRows: 100, maxBytes: 1 << 20))
    }

    @Test func unknownKeyIsReportedWithLineColumnAndPath() {
        let yaml = validConfigYAML.replacingOccurrences(of: "    production: true", with: "    production: true\n    prodution: true")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = found[0]
        #expect(diagnostic.path == "resources[0].prodution")
        #expect(diagnostic.location == SourceLocation(line: 13, column: 5))
        #expect(diagnostic.message.contains("unknown key 'prodution'"))
        #expect(diagnostic.description.hasPrefix("test.yaml:13:5: resources[0].prodution: unknown key"))
    }

    @Test func unknownTopLevelKeyIsAnError() {
        let found = diagnostics(validConfigYAML + "\nlisteners: []\n")
        #expect(found.map(\.path) == ["listeners"])
    }

    @Test func wrongTypeIsReported() {
        let yaml = validConfigYAML.replacingOccurrences(of: "  loops: 2", with: "  loops: many")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        #expect(found.first?.path == "gateway.loops")
        #expect(found.first?.location.line == 3)
        #expect(found.first?.message.contains("expected an integer") == true)

        let listYAML = validConfigYAML.replacingOccurrences(of: "    production: true", with: "    production: [yes]")
        let listFound = diagnostics(listYAML)
        #expect(listFound.map(\.path) == ["resources[0].production"])
        #expect(listFound.first?.location.line == 12)
    }

    @Test func missingRequiredFieldIsReportedAtItsMapping() {
        let yaml = validConfigYAML.replacingOccurrences(of: "    upstream: \"[::1]:5432\"\n", with: "")
        let found = diagnostics(yaml)
        #expect(found.map(\.path) == ["resources[0].upstream"])
        #expect(found.first?.location.line == 7)
        #expect(found.first?.message == "missing required field 'upstream'")
    }

    @Test func inlinePasswordIsAnErrorAndTheSecretIsNeverEchoed() {
        let yaml = validConfigYAML.replacingOccurrences(
            of: "      password_env: PGPASS_PROD", with: "      password: hunter2-Sup3rSecret")
        let found = diagnostics(yaml)
        #expect(found.map(\.path) == ["resources[0].credentials.password"])
        #expect(found.first?.location.line == 19)
        #expect(found.first?.message.contains("inline passwords are not allowed") == true)
        #expect(!found.map(\.description).joined().contains("hunter2"))
    }

    @Test func duplicateNamesAreReportedAtTheSecondDefinition() {
        let yaml = validConfigYAML.replacingOccurrences(
            of: "  - name: oncall\n    members: [bob]", with: "  - name: dba\n    members: [bob]")
        let found = diagnostics(yaml)
        let duplicate = found.first { $0.message.contains("duplicate group 'dba'") }
        #expect(duplicate?.path == "groups[1].name")
        #expect(duplicate?.location.line == 33)
        #expect(duplicate?.message.contains("first defined at line 31") == true)

        let rules = validConfigYAML + """

              - id: oncall-write
                resources: [pg-prod]
                identities: ["*"]
                deny: [drop]
            """
        let ruleFound = diagnostics(rules)
        #expect(ruleFound.map(\.path) == ["policies[1].id"])
        #expect(ruleFound.first?.message.contains("duplicate rule id 'oncall-write'") == true)
    }

    @Test func duplicateResourceIsReportedEvenWhenTheRepeatIsOtherwiseBroken() {
        let yaml = validConfigYAML.replacingOccurrences(
            of: "identity_providers:", with: "  - name: pg-prod\n    protocol: tcp\n    listen: 127.0.0.1:1\nidentity_providers:")
        let found = diagnostics(yaml)
        #expect(found.map(\.path) == ["resources[1].upstream", "resources[1].name"])
        #expect(found.last?.location == SourceLocation(line: 20, column: 11))
        #expect(found.last?.message == "duplicate resource 'pg-prod'")
    }

    @Test func invalidClassDoesNotCascadeIntoARuleThatDoesNothing() {
        let yaml = validConfigYAML.replacingOccurrences(of: "    allow: [read, write]", with: "    allow: [reads]")
        #expect(diagnostics(yaml).map(\.path) == ["policies[0].allow[0]"])
    }

    @Test func unknownGroupReferenceIsReportedAtTheReference() {
        let yaml = validConfigYAML.replacingOccurrences(of: "    groups: [oncall]", with: "    groups: [oncall, sre]")
        let found = diagnostics(yaml)
        #expect(found.map(\.path) == ["policies[0].groups[1]"])
        #expect(found.first?.location == SourceLocation(line: 39, column: 22))
        #expect(found.first?.message == "unknown group 'sre'")
    }

    @Test func groupCycleIsDetected() {
        let yaml = validConfigYAML.replacingOccurrences(
            of: "  - name: dba\n    members: [alice]", with: "  - name: dba\n    members: [alice]\n    groups: [oncall]")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("group cycle") == true)
        #expect(found.first?.path.hasPrefix("groups[") == true)
        #expect(found.first?.location.line == 31)

        let selfCycle = validConfigYAML.replacingOccurrences(
            of: "  - name: dba\n    members: [alice]", with: "  - name: dba\n    members: [alice]\n    groups: [dba]")
        #expect(diagnostics(selfCycle).first?.message == "group cycle: dba -> dba")
    }

    @Test func badClassNameIsReported() {
        let yaml = validConfigYAML.replacingOccurrences(of: "    allow: [read, write]", with: "    allow: [read, wrte]")
        let found = diagnostics(yaml)
        #expect(found.map(\.path) == ["policies[0].allow[1]"])
        #expect(found.first?.location == SourceLocation(line: 40, column: 19))
        #expect(found.first?.message.contains("unknown statement class 'wrte'") == true)
    }

    @Test func badGlobIsReported() {
        let yaml = validConfigYAML.replacingOccurrences(of: "    resources: [pg-prod]", with: "    resources: [\"pg-[prod\"]")
        let found = diagnostics(yaml)
        #expect(found.map(\.path) == ["policies[0].resources[0]"])
        #expect(found.first?.message.contains("unterminated '['") == true)
        #expect(found.first?.location.line == 38)
    }

    @Test func badMaskAndRelationPatternsAreReported() {
        let yaml = validConfigYAML + """

              - id: masks
                resources: [pg-prod]
                identities: ["*"]
                relations: ["a.b.c"]
                deny: [read]
              - id: masks2
                resources: [pg-prod]
                identities: ["*"]
                mask:
                  - columns: [ssn]
                  - detector: phone
            """
        let found = diagnostics(yaml)
        #expect(found.map(\.path).sorted() == ["policies[1].relations[0]", "policies[2].mask[0].columns[0]", "policies[2].mask[1].detector"])
    }

    @Test func everyErrorIsReportedNotJustTheFirst() {
        var yaml = validConfigYAML.replacingOccurrences(of: "  loops: 2", with: "  loops: -1")
        yaml = yaml.replacingOccurrences(of: "    protocol: postgres", with: "    protocol: mysql")
        yaml = yaml.replacingOccurrences(of: "    listen: 127.0.0.1:6432", with: "    listen: 127.0.0.1:99999")
        yaml = yaml.replacingOccurrences(of: "    allow: [read, write]", with: "    allow: [read, nope]")
        yaml = yaml.replacingOccurrences(of: "  max_ttl: 15m", with: "  max_ttl: forever")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.path) == [
                "gateway.loops", "resources[0].protocol", "resources[0].listen", "gateway_tokens.max_ttl", "policies[0].allow[1]",
            ])
        // Sorted by position.
        #expect(found.map(\.location.line) == found.map(\.location.line).sorted())
    }

    @Test func yamlSyntaxErrorHasALocation() {
        let found = diagnostics("gateway:\n  loops: [1, 2\nresources: []\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line ?? 0 >= 2)
        #expect(found.first?.message.hasPrefix("YAML syntax error") == true)
    }

    @Test func unreadableFileIsOneDiagnostic() {
        #expect(throws: ConfigValidationError.self) { try ConfigLoader.load(path: "/nonexistent/ringgate.yaml") }
    }

    @Test func shippedConfigurationsAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for name in ["config/example.yaml", "config/demo.yaml"] {
            // Parsed from the text: the content is tested here; a checkout made with umask 002
            // leaves the file group-writable, which load(path:) refuses as a trust file.
            let path = root.appendingPathComponent(name).path
            let config = try ConfigLoader.parse(yaml: String(contentsOfFile: path, encoding: .utf8), file: path)
            #expect(!config.resources.isEmpty)
            #expect(!config.policies.isEmpty)
        }
    }

    @Test func identitySectionsAreValidated() {
        var yaml = validConfigYAML.replacingOccurrences(
            of: "    jwks_file: /etc/jwks.json", with: "    jwks_file: /etc/jwks.json\n    jwks_url: http://sso.example.com/jwks\n    algorithms: [RS256, HS256]")
        yaml = yaml.replacingOccurrences(of: "gateway_tokens:\n  signing_key_file: /etc/key\n", with: "gateway_tokens:\n  lifetime: 5m\n")
        let found = diagnostics(yaml)
        let paths = found.map(\.path)
        #expect(paths.contains("identity_providers[0]"))  // both jwks_file and jwks_url
        #expect(paths.contains("identity_providers[0].jwks_url"))  // not https
        #expect(paths.contains("identity_providers[0].algorithms"))  // HS256
        #expect(paths.contains("gateway_tokens.lifetime"))  // unknown key
        #expect(paths.contains("gateway_tokens.signing_key_file"))  // missing
        #expect(!paths.contains(where: { $0.hasPrefix("resources") }))
    }

    @Test func duplicateIdentityProviderIsReportedAtTheRepeatedEntry() {
        let yaml = validConfigYAML.replacingOccurrences(
            of: "gateway_tokens:",
            with: "  - name: sso\n    issuer: https://other.example.com\n    audiences: [x]\n    jwks_file: /etc/other.json\ngateway_tokens:")
        let found = diagnostics(yaml)
        #expect(found.map(\.path) == ["identity_providers[1].name"])
        #expect(found.first?.location.line == 26)
    }

    @Test func hostPortParsing() {
        #expect(HostPort(parsing: "db:5432") == HostPort(host: "db", port: 5432))
        #expect(HostPort(parsing: "[::1]:6432") == HostPort(host: "::1", port: 6432))
        #expect(HostPort(parsing: "::1:6432") == nil)
        #expect(HostPort(parsing: "db:0") == nil)
        #expect(HostPort(parsing: "db:65536") == nil)
        #expect(HostPort(parsing: ":5432") == nil)
        #expect(HostPort(parsing: "db") == nil)
    }
}
