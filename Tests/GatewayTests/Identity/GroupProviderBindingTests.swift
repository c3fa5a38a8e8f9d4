import Foundation
import Testing

@testable import Gateway

/// `groups[].providers`: a config group that names its providers binds token groups only from
/// them, so a second trusted provider cannot make its users members of the first one's groups.
@Suite("Config groups bound to their identity provider")
struct GroupProviderBindingTests {
    static func yaml(providers: String = "[a]", trustB: Bool = true) -> String {
        """
        resources:
          - name: pg-prod
            protocol: postgres
            listen: 127.0.0.1:7001
            upstream: 127.0.0.1:5432
            default: deny
        identity_providers:
          - name: a
            issuer: https://a.example.test/
            audiences: [ringgate]
            jwks_file: a.json
            trust_groups: true
          - name: b
            issuer: https://b.example.test/
            audiences: [ringgate]
            jwks_file: b.json
            trust_groups: \(trustB)
        groups:
          - name: dba
            providers: \(providers)
          - name: readers
            groups: [dba]
        policies:
          - id: dba-all
            resources: [pg-prod]
            groups: [dba]
            allow: [read]
        """
    }

    func decide(groups: [String], provider: String?) throws -> Decision {
        let snapshot = PolicySnapshot(compiling: try ConfigLoader.parse(yaml: Self.yaml(), file: "p.yaml"))
        var session = PolicySession(
            store: PolicyStore(snapshot), identity: "mallory", groups: groups, provider: provider, resource: "pg-prod")
        return session.evaluate(classes: .read, statementLength: 10)
    }

    func diagnostics(_ yaml: String) -> [ConfigDiagnostic] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "p.yaml")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test("a trusted provider-B token carrying groups: [dba] is not a member of provider A's dba")
    func otherProvidersGroupsDoNotBind() throws {
        #expect(try decide(groups: ["dba"], provider: "b").action == .deny)
        #expect(try decide(groups: ["dba"], provider: "a").action == .allow)
    }

    @Test("gateway-token groups (no provider) bind to a provider-bound group")
    func gatewayTokenGroupsBind() throws {
        #expect(try decide(groups: ["dba"], provider: nil).action == .allow)
    }

    @Test("the provider restriction is on the named group; groups including it expand as usual")
    func nestedExpansion() throws {
        let snapshot = PolicySnapshot(compiling: try ConfigLoader.parse(yaml: Self.yaml(), file: "p.yaml"))
        #expect(snapshot.groupNames(of: snapshot.subject(identity: "m", groups: ["dba"], provider: "a")) == ["dba", "readers"])
        #expect(snapshot.groupNames(of: snapshot.subject(identity: "m", groups: ["dba"], provider: "b")).isEmpty)
        #expect(snapshot.groupNames(of: snapshot.subject(identity: "m", groups: ["readers"], provider: "b")) == ["readers"])
    }

    @Test("the verified identity names the provider whose groups it carries")
    func verifiedIdentityProvider() {
        let oidc = VerifiedIdentity(name: "m", groups: [], issuer: "i", source: .oidc(provider: "b"), expiresAt: Date())
        let gateway = VerifiedIdentity(name: "m", groups: [], issuer: "i", source: .gatewayToken, expiresAt: Date())
        #expect(oidc.groupProvider == "b")
        #expect(gateway.groupProvider == nil)
    }

    @Test("check-config: an unknown provider, or one without trust_groups, is an error")
    func validation() {
        let unknown = diagnostics(Self.yaml(providers: "[a, c]"))
        #expect(unknown.map(\.path) == ["groups[0].providers[1]"])
        #expect(unknown.first?.message.contains("unknown identity provider 'c'") == true)
        let untrusted = diagnostics(Self.yaml(providers: "[b]", trustB: false))
        #expect(untrusted.map(\.path) == ["groups[0].providers[0]"])
        #expect(untrusted.first?.message.contains("trust_groups") == true)
        #expect(diagnostics(Self.yaml()).isEmpty)
    }

    @Test("ringgate explain --provider decides as the session does")
    func explainAgrees() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("p.yaml", Array(Self.yaml().utf8))
        for (provider, action) in [("b", PolicyAction.deny), ("a", .allow)] {
            let run = try TokenCommandTests.run([
                "explain", "--config", directory.file("p.yaml"), "--identity", "mallory", "--groups", "dba",
                "--provider", provider, "--resource", "pg-prod", "--class", "read",
            ])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("decision:       \(action)\n"), "\(provider): \(run.stdout)")
            #expect(try decide(groups: ["dba"], provider: provider).action == action)
        }
    }

    @Test("binding a group to a provider changes the policy version")
    func versionChanges() throws {
        let bound = PolicySnapshot(compiling: try ConfigLoader.parse(yaml: Self.yaml(), file: "p.yaml"))
        let unbound = PolicySnapshot(
            compiling: try ConfigLoader.parse(yaml: Self.yaml().replacingOccurrences(of: "    providers: [a]\n", with: ""), file: "p.yaml"))
        #expect(bound.version != unbound.version)
    }
}
