import Codecs
import Foundation
import Gateway
import Testing

@Suite struct PolicyEvaluationTests {
    @Test func allowDenyReviewPerClass() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: analysts
                resources: [pg-prod]
                groups: [analysts]
                allow: [read]
                review: [write]
                deny: [drop]
            """)
        let read = try policy.decide("alice", on: "pg-prod", .read)
        #expect(read.action == .allow)
        #expect(read.reason == .rule)
        #expect(policy.why(read) == "analysts")
        #expect(read.statementClass == .read)
        #expect(try policy.decide("alice", on: "pg-prod", .write).action == .review)
        #expect(try policy.decide("alice", on: "pg-prod", .drop).action == .deny)
        #expect(policy.why(try policy.decide("alice", on: "pg-prod", .drop)) == "analysts")
        // Not in the group: the resource default (deny) applies.
        let other = try policy.decide("mallory", on: "pg-prod", .read)
        #expect(other.action == .deny)
        #expect(other.reason == .resourceDefault)
        #expect(other.rule == -1)
    }

    @Test func resourceDefaultAppliesToUnmatchedCommands() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: any-drop
                resources: ["pg-*"]
                identities: ["*"]
                deny: [drop]
            """)
        #expect(try policy.decide("x", on: "pg-prod", .read) == Decision(action: .deny, reason: .resourceDefault, statementClass: .read))
        #expect(try policy.decide("x", on: "pg-dev", .read) == Decision(action: .allow, reason: .resourceDefault, statementClass: .read))
        #expect(try policy.decide("x", on: "pg-review", .write).action == .review)
        #expect(try policy.decide("x", on: "pg-dev", .drop).action == .deny)
        #expect(try policy.decide("x", on: "no-such-resource", .read).reason == .unknownResource)
    }

    @Test func opaqueIsNeverAllowedByDefault() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: opaque-ok
                resources: [pg-prod]
                identities: [bob]
                allow: [opaque]
            """)
        let dev = try policy.decide("x", on: "pg-dev", .opaque)
        #expect(dev.action == .deny)
        #expect(dev.reason == .opaqueUnmatched)
        // A statement with no class at all counts as opaque.
        #expect(try policy.decide("x", on: "pg-dev", []).reason == .opaqueUnmatched)
        // An explicit rule can allow it.
        #expect(try policy.decide("bob", on: "pg-prod", .opaque).action == .allow)
    }

    @Test func denyBeatsReviewBeatsAllow() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: allow-all
                resources: [pg-prod]
                groups: [staff]
                allow: [all]
              - id: review-write
                resources: [pg-prod]
                identities: [carol]
                review: [write, drop]
              - id: deny-drop
                resources: [pg-prod]
                groups: [analysts]
                deny: [drop]
            """)
        // carol is a direct member of staff only (staff includes analysts' members, not the
        // other way round), so deny-drop does not reach her.
        #expect(policy.why(try policy.decide("carol", on: "pg-prod", .read)) == "allow-all")
        #expect(try policy.decide("carol", on: "pg-prod", .write).action == .review)
        #expect(try policy.decide("carol", on: "pg-prod", .drop).action == .review)
        // alice is in analysts and, through nesting, in staff: deny beats allow.
        let drop = try policy.decide("alice", on: "pg-prod", .drop)
        #expect(drop.action == .deny)
        #expect(policy.why(drop) == "deny-drop")
        #expect(try policy.decide("alice", on: "pg-prod", .write).action == .allow)
        // The rule order in the file does not matter for severity.
        let reversed = try compile(resourcesYAML + """

            policies:
              - id: deny-drop
                resources: [pg-prod]
                groups: [analysts]
                deny: [drop]
              - id: allow-all
                resources: [pg-prod]
                groups: [staff]
                allow: [all]
            """)
        #expect(try reversed.decide("alice", on: "pg-prod", .drop).action == .deny)
    }

    @Test func severityNotSpecificityDecides() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: everything-denied
                resources: ["*"]
                groups: [staff]
                deny: [write]
              - id: prod-family
                resources: ["pg-prod*"]
                groups: [staff]
                review: [write]
              - id: prod-exact
                resources: [pg-prod]
                groups: [staff]
                allow: [write]
            """)
        // An exact-name allow does not override a deny on a glob.
        #expect(policy.why(try policy.decide("carol", on: "pg-prod", .write)) == "everything-denied")
        #expect(try policy.decide("carol", on: "pg-prod", .write).action == .deny)
        #expect(try policy.decide("carol", on: "pg-prod-eu", .write).action == .deny)
        #expect(try policy.decide("carol", on: "pg-dev", .write).action == .deny)
    }

    @Test func tiesBreakByFileOrder() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: first
                resources: [pg-prod]
                groups: [analysts]
                deny: [write]
              - id: second
                resources: [pg-prod]
                identities: [alice]
                deny: [write]
            """)
        #expect(policy.why(try policy.decide("alice", on: "pg-prod", .write)) == "first")
    }

    @Test func severalClassesTakeTheMostSevereDecision() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: r
                resources: [pg-prod]
                groups: [analysts]
                allow: [read, write]
                review: [delete-without-where]
            """)
        let decision = try policy.decide("alice", on: "pg-prod", [.read, .write, .deleteWithoutWhere])
        #expect(decision.action == .review)
        #expect(decision.statementClass == .deleteWithoutWhere)
        // One class falls through to the default deny: the statement is denied.
        let mixed = try policy.decide("alice", on: "pg-prod", [.read, .truncate])
        #expect(mixed.action == .deny)
        #expect(mixed.reason == .resourceDefault)
        #expect(mixed.statementClass == .truncate)
    }

    @Test func nestedAndTokenGroups() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: staff-read
                resources: [pg-prod]
                groups: [staff]
                allow: [read]
              - id: sre-write
                resources: [pg-prod]
                groups: [sre]
                allow: [write]
            """)
        // erin is in sre, sre's members are in oncall, oncall's in staff.
        #expect(try policy.decide("erin", on: "pg-prod", .read).action == .allow)
        #expect(try policy.decide("erin", on: "pg-prod", .write).action == .allow)
        // bob is in oncall (so staff), not sre.
        #expect(try policy.decide("bob", on: "pg-prod", .read).action == .allow)
        #expect(try policy.decide("bob", on: "pg-prod", .write).action == .deny)
        // An identity unknown to the config gets groups from its token.
        #expect(try policy.decide("token-user", groups: ["sre"], on: "pg-prod", .read).action == .allow)
        #expect(try policy.decide("token-user", groups: ["unknown-group"], on: "pg-prod", .read).action == .deny)
        let subject = policy.subject(identity: "erin")
        #expect(policy.groupNames(of: subject) == ["staff", "oncall", "sre"])
    }

    @Test func everyoneWildcard() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: all-read
                resources: [pg-prod]
                identities: ["*"]
                allow: [read]
            """)
        #expect(try policy.decide("anyone-at-all", on: "pg-prod", .read).action == .allow)
        #expect(try policy.decide("anyone-at-all", on: "pg-prod", .write).action == .deny)
    }

    @Test func relationDenyMatchesAnyNamedRelationWithPostgresCaseFolding() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: read-all
                resources: [pg-prod]
                groups: [analysts]
                allow: [read]
              - id: no-salaries
                resources: [pg-prod]
                groups: [analysts]
                relations: [hr.salaries, "\\"Secret\\".\\"Keys\\""]
                deny: [read]
            """)
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["public.orders"]).action == .allow)
        let denied = try policy.decide("alice", on: "pg-prod", .read, relations: ["public.orders", "hr.salaries"])
        #expect(denied.action == .deny)
        #expect(policy.why(denied) == "no-salaries")
        // Unquoted identifiers fold to lower case.
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["HR.Salaries"]).action == .deny)
        // Quoted identifiers do not fold: "HR"."Salaries" is another relation.
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["\"HR\".\"Salaries\""]).action == .allow)
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["\"hr\".\"salaries\""]).action == .deny)
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["\"Secret\".\"Keys\""]).action == .deny)
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["secret.keys"]).action == .allow)
        // Unqualified in the statement: the search_path is unknown, so it may be hr.salaries.
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["salaries"]).action == .deny)
        #expect(try policy.decide("alice", on: "pg-prod", .read, relations: ["other.salaries"]).action == .allow)
    }

    @Test func relationAllowNeedsEveryRelationInScope() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: scratch-write
                resources: [pg-prod]
                groups: [analysts]
                relations: ["scratch.*", public.notes]
                allow: [write]
            """)
        #expect(try policy.decide("alice", on: "pg-prod", .write, relations: ["scratch.tmp"]).action == .allow)
        #expect(try policy.decide("alice", on: "pg-prod", .write, relations: ["scratch.tmp", "public.notes"]).action == .allow)
        // One relation outside the scope: the allow does not apply, the default denies.
        let mixed = try policy.decide("alice", on: "pg-prod", .write, relations: ["scratch.tmp", "hr.salaries"])
        #expect(mixed.action == .deny)
        #expect(mixed.reason == .resourceDefault)
        // No relation at all: a relation-scoped rule never applies.
        #expect(try policy.decide("alice", on: "pg-prod", .write).action == .deny)
        // schema.* needs the schema written.
        #expect(try policy.decide("alice", on: "pg-prod", .write, relations: ["tmp"]).action == .deny)
    }

    @Test func hostileRelationRangesNeverMatchOrCrash() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: no-salaries
                resources: [pg-prod]
                identities: ["*"]
                relations: [salaries]
                deny: [read]
            """)
        let text = Array("salaries".utf8)
        let ranges = [
            ByteRange(start: 0, count: 8), ByteRange(start: -1, count: 8), ByteRange(start: 4, count: 100),
            ByteRange(start: Int32.max, count: Int32.max), ByteRange(start: 0, count: -5),
        ]
        let expected: [PolicyAction] = [.deny, .deny, .deny, .deny, .deny]
        let subject = policy.subject(identity: "x")
        let resource = policy.resource(named: "pg-prod")
        var got: [PolicyAction] = []
        var rules: [String] = []
        for range in ranges {
            let refs = [RelationReference(schema: nil, schemaQuoted: false, name: range, nameQuoted: false, isModified: false)]
            let decision = refs.withUnsafeBufferPointer { refs in
                text.withUnsafeBytes { raw in
                    policy.evaluate(identity: subject, resource: resource, classes: .read, relations: refs, in: raw, statementLength: 8)
                }
            }
            got.append(decision.action)
            rules.append(policy.why(decision))
        }
        // Only the valid range matches the rule; the others fall to the default (also deny here).
        #expect(got == expected)
        #expect(rules == ["no-salaries", "resource-default", "resource-default", "resource-default", "resource-default"])
    }

    @Test func statementLengthLimit() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: read
                resources: [pg-dev]
                identities: ["*"]
                allow: [read]
              - id: short-statements
                resources: ["pg-*"]
                groups: [analysts]
                limits:
                  max_statement_length: 100
              - id: shorter
                resources: [pg-dev]
                identities: [alice]
                limits:
                  max_statement_length: 50
            """)
        #expect(try policy.decide("alice", on: "pg-dev", .read, length: 50).action == .allow)
        let long = try policy.decide("alice", on: "pg-dev", .read, length: 51)
        #expect(long.action == .deny)
        #expect(long.reason == .statementTooLong)
        #expect(policy.why(long) == "shorter")
        #expect(try policy.decide("bob", on: "pg-dev", .read, length: 5000).action == .allow)
    }

    @Test func masksAndLimitsAreCollectedFromEveryMatchingRule() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: broad
                resources: ["pg-*"]
                groups: [staff]
                mask:
                  - columns: ["*.SSN"]
                    style: redact
                limits:
                  max_rows: 1000
                  max_bytes: 10MiB
              - id: exact
                resources: [pg-prod]
                groups: [analysts]
                allow: [read]
                mask:
                  - detector: credit_card
                    style: partial
                  - detector: keywords
                    keywords: [secret]
                limits:
                  max_rows: 10
              - id: not-for-alice
                resources: [pg-prod]
                groups: [sre]
                mask:
                  - detector: email
            """)
        let subject = policy.subject(identity: "alice")
        let attributes = policy.attributes(for: subject, on: policy.resource(named: "pg-prod"))
        #expect(attributes.contributingRules == ["exact", "broad"])
        #expect(
            attributes.masks.map(\.mask) == [
                MaskRule(target: .detector(.creditCard, keywords: []), style: .partial),
                MaskRule(target: .detector(.keywords, keywords: ["secret"]), style: .redact),
                MaskRule(target: .columns(["*.ssn"]), style: .redact),
            ])
        #expect(attributes.limits == PolicyLimits(maxRows: 10, maxBytes: 10 << 20))
        let dev = policy.attributes(for: subject, on: policy.resource(named: "pg-dev"))
        #expect(dev.contributingRules == ["broad"])
        #expect(dev.limits.maxRows == 1000)
    }

    @Test func subjectFromAnotherSnapshotIsRefused() throws {
        let a = try compile(resourcesYAML + "\npolicies: []\n")
        let b = try compile(resourcesYAML + "\npolicies: []\n")
        let decision = b.evaluate(
            identity: a.subject(identity: "x"), resource: b.resource(named: "pg-dev"), classes: .read,
            relations: UnsafeBufferPointer(start: nil, count: 0), in: UnsafeRawBufferPointer(start: nil, count: 0),
            statementLength: 1)
        #expect(decision.reason == .staleSubject)
        #expect(decision.action == .deny)
    }

    @Test func policyVersionIsAContentHash() throws {
        let base = resourcesYAML + """

            policies:
              - id: r
                resources: [pg-prod]
                groups: [analysts]
                allow: [read]
            """
        let a = try compile(base)
        // Comments, formatting and non-policy settings do not change the version.
        let reformatted = try compile("# comment\ngateway:\n  loops: 3\n" + base.replacingOccurrences(of: "allow: [read]", with: "allow:\n      - read"))
        #expect(a.version == reformatted.version)
        #expect(a.version.count == 16)
        #expect(a.version.allSatisfy { $0.isHexDigit })
        let changed = try compile(base.replacingOccurrences(of: "allow: [read]", with: "allow: [read, write]"))
        #expect(changed.version != a.version)
    }
}
