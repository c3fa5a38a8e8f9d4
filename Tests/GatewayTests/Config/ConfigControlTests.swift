@testable import Gateway
import Testing

/// `gateway.control`: where the control API listens and who may use it.
@Suite struct ConfigControlTests {
    static func yaml(_ control: String) -> String {
        """
        gateway:
          loops: 1
        \(control)
        resources:
          - name: pg
            protocol: postgres
            listen: 127.0.0.1:6432
            upstream: db.internal:5432
        """
    }

    @Test func listenAndGroupsParse() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml("""
              control:
                listen: 127.0.0.1:9180
                admin_groups: [platform-admins]
                approver_groups: [dba, security]
            """), file: "test.yaml")
        let control = try #require(config.gateway.control)
        #expect(control.listen == HostPort(host: "127.0.0.1", port: 9180))
        #expect(control.adminGroups == ["platform-admins"])
        #expect(control.approverGroups == ["dba", "security"])
        #expect(try ConfigLoader.parse(yaml: Self.yaml(""), file: "test.yaml").gateway.control == nil)
    }

    @Test(arguments: ["0.0.0.0:9180", "10.1.2.3:9180", "[::]:9180", "api.internal:9180"])
    func aNonLoopbackListenerIsRefused(listen: String) {
        #expect(ConfigTLSTests.diagnostics(Self.yaml("""
              control:
                listen: "\(listen)"
            """)).contains { $0.hasPrefix("gateway.control.listen: the control API listens on loopback only") })
    }

    @Test func unknownKeysAndAMissingListenAreReported() {
        let unknown = ConfigTLSTests.diagnostics(Self.yaml("""
              control:
                listen: 127.0.0.1:9180
                admins: [x]
            """))
        #expect(unknown.contains { $0.contains("admins") }, "\(unknown)")
        let missing = ConfigTLSTests.diagnostics(Self.yaml("""
              control:
                admin_groups: [x]
            """))
        #expect(missing.contains { $0.contains("listen") }, "\(missing)")
    }
}

/// `approval:` on rules and resources, and what a review resolves to.
@Suite struct ConfigApprovalTests {
    static let yaml = """
        gateway:
          loops: 1
          replica_id: gw-1
          control:
            listen: 127.0.0.1:9180
            approver_groups: [oncall]
        resources:
          - name: pg
            protocol: postgres
            listen: 127.0.0.1:6432
            upstream: db.internal:5432
            approval:
              approver_groups: [dba]
              timeout: 90s
          - name: pg2
            protocol: postgres
            listen: 127.0.0.1:6433
            upstream: db.internal:5432
        groups:
          - name: agents
            members: [bot]
          - name: dba
            members: [alice]
          - name: security
            members: [bob]
          - name: oncall
            members: [carol]
        policies:
          - id: deletes
            resources: ["pg*"]
            groups: [agents]
            review: [delete-without-where]
            approval:
              approver_groups: [dba, security]
              min_approvals: 2
              require_justification: true
              timeout: 5m
          - id: truncates
            resources: ["pg*"]
            groups: [agents]
            review: [truncate]
        """

    @Test func ruleThenResourceThenTheControlDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "test.yaml")
        #expect(config.gateway.effectiveReplicaID == "gw-1")
        let rule = ApprovalSettings.resolve(rule: "deletes", resource: "pg", in: config)
        #expect(rule == ApprovalSettings(approverGroups: ["dba", "security"], minApprovals: 2, requireJustification: true,
                                         timeoutMilliseconds: 300_000))
        let resource = ApprovalSettings.resolve(rule: "truncates", resource: "pg", in: config)
        #expect(resource == ApprovalSettings(approverGroups: ["dba"], timeoutMilliseconds: 90_000))
        let fallback = ApprovalSettings.resolve(rule: "truncates", resource: "pg2", in: config)
        #expect(fallback == ApprovalSettings(approverGroups: ["oncall"]))
    }

    @Test func approvalSettingsAreInThePolicyVersion() throws {
        let before = PolicySnapshot(compiling: try ConfigLoader.parse(yaml: Self.yaml, file: "test.yaml")).version
        let changed = Self.yaml.replacingOccurrences(of: "min_approvals: 2", with: "min_approvals: 3")
        let after = PolicySnapshot(compiling: try ConfigLoader.parse(yaml: changed, file: "test.yaml")).version
        #expect(before != after)
    }

    @Test func badApprovalSettingsAreReported() {
        let cases: [(String, String)] = [
            ("min_approvals: 2", "min_approvals: 0"),
            ("timeout: 5m", "timeout: 48h"),
            ("approver_groups: [dba, security]", "approver_groups: [nobody]"),
            ("require_justification: true", "require_justification: maybe"),
            ("min_approvals: 2", "min_approvals: 2\n      quorum: 2"),
        ]
        for (original, replacement) in cases {
            let diagnostics = ConfigTLSTests.diagnostics(Self.yaml.replacingOccurrences(of: original, with: replacement))
            #expect(diagnostics.contains { $0.hasPrefix("policies[0].approval") }, "\(replacement): \(diagnostics)")
        }
        let withoutReview = Self.yaml.replacingOccurrences(of: "review: [delete-without-where]", with: "deny: [delete-without-where]")
        #expect(ConfigTLSTests.diagnostics(withoutReview).contains { $0.contains("'approval' needs 'review'") })
    }
}
