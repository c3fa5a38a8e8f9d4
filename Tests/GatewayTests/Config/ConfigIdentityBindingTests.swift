import Gateway
import Testing

/// `trust_groups`, `require_groups` and `require_email_verified` on an identity provider.
@Suite struct ConfigIdentityBindingTests {
    func config(_ extra: String) throws -> GatewayConfiguration {
        let yaml = validConfigYAML.replacingOccurrences(
            of: "    clock_skew: 2m\n", with: "    clock_skew: 2m\n" + extra)
        return try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
    }

    @Test func providerTrustAndRequirementsDefaultToOff() throws {
        let provider = try #require(try config("").identityProviders.first)
        #expect(provider.trustGroups == false)
        #expect(provider.requireGroups == false)
        #expect(provider.requireEmailVerified == false)
    }

    @Test func providerTrustAndRequirementsParse() throws {
        let provider = try #require(
            try config("    trust_groups: true\n    require_groups: true\n    require_email_verified: true\n")
                .identityProviders.first)
        #expect(provider.trustGroups)
        #expect(provider.requireGroups)
        #expect(provider.requireEmailVerified)
    }

    @Test func nonBooleanIsAnError() throws {
        #expect(throws: ConfigValidationError.self) { try config("    trust_groups: sometimes\n") }
    }
}
