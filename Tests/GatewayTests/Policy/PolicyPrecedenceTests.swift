import Codecs
import Gateway
import Testing

/// Explicit deny wins whatever the resource patterns' specificity, and `opaque` (which could
/// be anything) is decided as the most severe class unless a rule names it.
@Suite struct PolicyPrecedenceTests {
    /// Decides through both the unbound and the bound (per-connection) path and checks they agree.
    func decide(
        _ policy: PolicySnapshot, _ identity: String, on resource: String, _ classes: StatementClass,
        relations: [String] = []
    ) throws -> Decision {
        let unbound = try policy.decide(identity, on: resource, classes, relations: relations)
        let statement = try StatementInput(classNames: classes.names, relationNames: relations, length: 10)
        let binding = policy.bind(policy.subject(identity: identity), to: policy.resource(named: resource))
        let bound = statement.relations.withUnsafeBufferPointer { refs in
            statement.text.withUnsafeBytes { text in
                policy.evaluate(binding, classes: classes, relations: refs, in: text, statementLength: 10)
            }
        }
        #expect(bound == unbound, "\(identity) \(resource) \(classes.names)")
        return unbound
    }

    @Test func denyOnAGlobBeatsAnAllowOnTheExactName() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: everything-denied
                resources: ["*"]
                groups: [staff]
                deny: [write]
              - id: prod-family
                resources: ["pg-prod*"]
                groups: [staff]
                review: [write, alter]
              - id: prod-exact
                resources: [pg-prod]
                groups: [staff]
                allow: [write, alter, read]
            """)
        let write = try decide(policy, "carol", on: "pg-prod", .write)
        #expect(write.action == .deny)
        #expect(policy.why(write) == "everything-denied")
        // A review on a broader glob also holds against an exact allow.
        let alter = try decide(policy, "carol", on: "pg-prod", .alter)
        #expect(alter.action == .review)
        #expect(policy.why(alter) == "prod-family")
        // Where only the allow names the class, it allows.
        #expect(try decide(policy, "carol", on: "pg-prod", .read).action == .allow)
        #expect(try decide(policy, "carol", on: "pg-prod-eu", .write).action == .deny)
    }

    @Test func relationDenyOnAGlobBeatsAnExactAllow() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: read-prod
                resources: [pg-prod]
                groups: [analysts]
                allow: [read]
              - id: no-salaries-anywhere
                resources: ["*"]
                identities: ["*"]
                relations: [hr.salaries]
                deny: [read]
            """)
        let denied = try decide(policy, "alice", on: "pg-prod", .read, relations: ["public.orders", "hr.salaries"])
        #expect(denied.action == .deny)
        #expect(policy.why(denied) == "no-salaries-anywhere")
        #expect(try decide(policy, "alice", on: "pg-prod", .read, relations: ["public.orders"]).action == .allow)
    }

    @Test func equallySevereRulesReportTheFirstInFileOrderWhateverTheirSpecificity() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: broad-deny
                resources: ["pg-*"]
                groups: [analysts]
                deny: [write]
              - id: exact-deny
                resources: [pg-prod]
                identities: [alice]
                deny: [write]
            """)
        #expect(policy.why(try decide(policy, "alice", on: "pg-prod", .write)) == "broad-deny")
    }

    @Test func allNoLongerNamesOpaque() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: r
                resources: [pg-prod]
                groups: [analysts]
                allow: [all]
            """)
        #expect(!policy.rules[0].allow.contains(.opaque))
        #expect(policy.rules[0].allow == StatementClass(StatementClass.allNamed.map(\.value)).subtracting(.opaque))
    }

    @Test func opaqueUnderAllowAllIsDeniedWhenAnyClassIsDenied() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: staff-all
                resources: [pg-dev]
                groups: [staff]
                allow: [all]
                deny: [drop]
            """)
        let sql = StatementInput.classify(sql: "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$")
        #expect(sql.classes.contains(.opaque))
        let opaque = try decide(policy, "carol", on: "pg-dev", sql.classes)
        #expect(opaque.action == .deny)
        #expect(opaque.reason == .rule)
        #expect(policy.why(opaque) == "staff-all")
        #expect(opaque.statementClass == .opaque)
        // No class at all, or bits the engine does not know, count as opaque.
        #expect(try policy.decide("carol", on: "pg-dev", []).action == .deny)
        #expect(try policy.decide("carol", on: "pg-dev", StatementClass(rawValue: 1 << 20)).action == .deny)
        // Through the explain path too.
        let explained = PolicyExplanation.explain(
            snapshot: policy, identity: "carol", groups: [], resource: "pg-dev", statement: sql)
        #expect(explained.decision == opaque)
    }

    @Test func opaqueTakesTheMostSevereClassFromAnyRule() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: staff-all
                resources: [pg-prod]
                groups: [staff]
                allow: [all]
              - id: review-grants
                resources: ["pg-*"]
                identities: ["*"]
                review: [grant]
              - id: no-copy-program
                resources: ["*"]
                identities: [bob]
                deny: [copy-program]
            """)
        // carol: everything allowed but grant, which is reviewed: opaque is reviewed.
        let carol = try decide(policy, "carol", on: "pg-prod", .opaque)
        #expect(carol.action == .review)
        #expect(policy.why(carol) == "review-grants")
        // bob: copy-program is denied to him: opaque is denied.
        let bob = try decide(policy, "bob", on: "pg-prod", .opaque)
        #expect(bob.action == .deny)
        #expect(policy.why(bob) == "no-copy-program")
        // Mixed with a plain read, the opaque part still decides.
        #expect(try decide(policy, "bob", on: "pg-prod", [.read, .opaque]).action == .deny)
    }

    @Test func opaqueCountsRelationScopedDenialsAsIfItTouchedEveryRelation() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: staff-all
                resources: [pg-prod]
                groups: [staff]
                allow: [all]
              - id: no-salaries
                resources: [pg-prod]
                groups: [staff]
                relations: [hr.salaries]
                deny: [read]
            """)
        let opaque = try decide(policy, "carol", on: "pg-prod", .opaque)
        #expect(opaque.action == .deny)
        #expect(policy.why(opaque) == "no-salaries")
        // The relations the statement names do not matter: it could touch any.
        #expect(try decide(policy, "carol", on: "pg-prod", .opaque, relations: ["public.orders"]).action == .deny)
    }

    @Test func opaqueIsAllowedOnlyWhenEveryClassIsAllowedByARule() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: staff-all
                resources: [pg-review]
                groups: [staff]
                allow: [all]
              - id: most
                resources: [pg-dev]
                groups: [staff]
                allow: [read, write]
              - id: scoped-all
                resources: [pg-prod]
                groups: [staff]
                relations: ["scratch.*"]
                allow: [all]
            """)
        let allowed = try decide(policy, "carol", on: "pg-review", .opaque)
        #expect(allowed.action == .allow)
        #expect(policy.why(allowed) == "staff-all")
        // Classes no rule decides fall to the resource default for themselves, but never let
        // opaque through, even on a default-allow resource.
        #expect(try decide(policy, "carol", on: "pg-dev", .drop).action == .allow)
        let dev = try decide(policy, "carol", on: "pg-dev", .opaque)
        #expect(dev.action == .deny)
        #expect(dev.reason == .opaqueUnmatched)
        // A relation-scoped allow cannot cover a statement that could touch any relation.
        let scoped = try decide(policy, "carol", on: "pg-prod", .opaque, relations: ["scratch.t"])
        #expect(scoped.action == .deny)
        #expect(scoped.reason == .opaqueUnmatched)
    }

    @Test func aRuleNamingOpaqueDecidesItButDenyStillWins() throws {
        let policy = try compile(resourcesYAML + """

            policies:
              - id: trusted
                resources: [pg-prod]
                identities: [bob]
                allow: [all, opaque]
                deny: [drop]
              - id: migrations
                resources: [pg-dev]
                identities: [bob, erin]
                allow: [opaque]
              - id: no-opaque-for-erin
                resources: ["pg-*"]
                identities: [erin]
                deny: [opaque]
            """)
        // Named explicitly: the rule decides opaque, the deny of drop does not spread to it.
        let bob = try decide(policy, "bob", on: "pg-prod", .opaque)
        #expect(bob.action == .allow)
        #expect(policy.why(bob) == "trusted")
        #expect(try decide(policy, "bob", on: "pg-dev", .opaque).action == .allow)
        // An explicit deny on a glob beats an explicit allow on the exact name.
        let erin = try decide(policy, "erin", on: "pg-dev", .opaque)
        #expect(erin.action == .deny)
        #expect(policy.why(erin) == "no-opaque-for-erin")
    }
}
