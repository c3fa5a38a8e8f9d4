import Gateway
import Testing

/// `gateway.client_tls`, `gateway.plaintext_from`, `resources[].client_tls`,
/// `resources[].plaintext_from` and `resources[].tls.server_name`.
@Suite struct ConfigTLSTests {
    static func yaml(gateway: String = "", resource: String = "", protocolName: String = "postgres") -> String {
        """
        gateway:
          loops: 1
        \(gateway)
        resources:
          - name: pg
            protocol: \(protocolName)
            listen: 127.0.0.1:6432
            upstream: db.internal:5432
        \(resource)
        """
    }

    static func diagnostics(_ yaml: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
            return []
        } catch {
            return error.diagnostics.map { "\($0.path): \($0.message)" }
        }
    }

    @Test func settingsParseAndResourcesFillInFromTheGateway() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(
            gateway: """
                  client_tls:
                    cert_file: /etc/ringgate/gateway.crt
                    key_file: /etc/ringgate/gateway.key
                    min_version: "1.3"
                  plaintext_from: [127.0.0.1/32, "10.0.0.0/8", "::1"]
                """,
            resource: """
                    client_tls:
                      handshake_timeout: 3s
                    plaintext_from: []
                    tls:
                      mode: verify-full
                      ca_file: /etc/ringgate/db-ca.crt
                      server_name: db.example.com
                """))
        let gateway = try #require(config.gateway.clientTLS)
        #expect(gateway == ClientTLSSettings(certFile: "/etc/ringgate/gateway.crt", keyFile: "/etc/ringgate/gateway.key", minVersion: "1.3"))
        #expect(config.gateway.plaintextFrom == ["127.0.0.1/32", "10.0.0.0/8", "::1"])
        let resource = config.resources[0]
        #expect(resource.plaintextFrom == [], "an empty list refuses every plaintext login")
        #expect(resource.tls.serverName == "db.example.com")
        #expect(resource.clientTLS?.filled(from: config.gateway.clientTLS) == ClientTLSSettings(
            certFile: "/etc/ringgate/gateway.crt", keyFile: "/etc/ringgate/gateway.key", minVersion: "1.3",
            handshakeTimeoutMilliseconds: 3_000))
        // Defaults: loopback only for plaintext, no client TLS.
        let defaults = try ConfigLoader.parse(yaml: Self.yaml())
        #expect(defaults.gateway.plaintextFrom == ["127.0.0.0/8", "::1/128"])
        #expect(defaults.gateway.clientTLS == nil && defaults.resources[0].clientTLS == nil)
    }

    @Test func mistakesAreReported() {
        let bad = Self.diagnostics(Self.yaml(
            gateway: """
                  client_tls:
                    cert_file: /a.crt
                    min_version: "1.1"
                  plaintext_from: [10.0.0.0/33, "not-an-address"]
                """,
            resource: """
                    client_tls:
                      key_file: /b.key
                      ciphers: all
                """))
        #expect(bad.contains("gateway.client_tls: cert_file and key_file must be given together"), "\(bad)")
        #expect(bad.contains { $0.hasPrefix("gateway.client_tls.min_version:") }, "\(bad)")
        #expect(bad.filter { $0.hasPrefix("gateway.plaintext_from: invalid network") }.count == 2, "\(bad)")
        #expect(bad.contains { $0.hasPrefix("resources[0].client_tls.ciphers: unknown key") }, "\(bad)")
        #expect(bad.contains("resources[0].client_tls: cert_file and key_file must be given together"), "\(bad)")
        let tcp = Self.diagnostics(Self.yaml(resource: "    plaintext_from: [127.0.0.1]", protocolName: "tcp"))
        #expect(tcp == ["resources[0].plaintext_from: plaintext_from applies to postgres resources only"], "\(tcp)")
    }

    @Test func aChangedTLSSettingIsReportedAsNeedingARestart() throws {
        let before = try ConfigLoader.parse(yaml: Self.yaml())
        let after = try ConfigLoader.parse(yaml: Self.yaml(
            gateway: "  plaintext_from: []", resource: "    client_tls:\n      cert_file: /c.crt\n      key_file: /c.key"))
        #expect(RestartRequiredChanges.between(before, after).summary == "pg (client_tls); gateway (plaintext_from)")
    }
}
