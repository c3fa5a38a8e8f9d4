import Gateway
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
