import Codecs
import Gateway
import Testing

/// Identity comparison: names containing `@` (e-mail identities) compare case-insensitively,
/// both in config (`groups[].members`, `policies[].identities`) and from tokens; other names
/// compare exactly.
@Suite struct PolicyIdentityCaseTests {
    static let yaml = resourcesYAML + """

          - name: dba
            members: [Dana@Example.COM, Root]
        policies:
          - id: dba-read
            resources: [pg-prod]
            groups: [dba]
            allow: [read]
          - id: bob-write
            resources: [pg-prod]
            identities: [Bob@Corp.Example]
            allow: [write]
        """

    func policy() throws -> PolicySnapshot {
        // resourcesYAML ends inside its `groups:` list; the first lines above extend it.
        try compile(Self.yaml)
    }

    @Test func emailMembersCompareCaseInsensitively() throws {
        let policy = try policy()
        #expect(try policy.decide("dana@example.com", on: "pg-prod", .read).action == .allow)
        #expect(try policy.decide("DANA@EXAMPLE.COM", on: "pg-prod", .read).action == .allow)
        #expect(try policy.decide("Dana@Example.COM", on: "pg-prod", .read).action == .allow)
    }

    @Test func emailRuleIdentitiesCompareCaseInsensitively() throws {
        let policy = try policy()
        #expect(try policy.decide("bob@corp.example", on: "pg-prod", .write).action == .allow)
        #expect(try policy.decide("BOB@CORP.EXAMPLE", on: "pg-prod", .write).action == .allow)
    }

    @Test func otherIdentitiesCompareExactly() throws {
        let policy = try policy()
        #expect(try policy.decide("Root", on: "pg-prod", .read).action == .allow)
        #expect(try policy.decide("root", on: "pg-prod", .read).action == .deny)
        #expect(try policy.decide("ROOT", on: "pg-prod", .read).action == .deny)
    }

    @Test func explainFollowsTheSameRule() throws {
        let policy = try policy()
        let subject = policy.subject(identity: "DANA@example.com")
        #expect(policy.groupNames(of: subject) == ["dba"])
        #expect(subject.name == "DANA@example.com")
    }
}
