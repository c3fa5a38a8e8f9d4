import Foundation
import Testing

@testable import Gateway

@Suite("Audit / caller split of authentication failures")
struct AuthenticationOutcomeTests {
    @Test("the caller gets only the generic message; the audit log gets the reason, never the token")
    func split() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jwks.json", try TestJWK.standard())
        let clock = TestClock()
        let verifier = try OIDCTokenVerifier(
            settings: OIDCProviderSettings(
                name: "corp", issuer: "https://idp.example.test/", audiences: ["ringgate"], jwksFile: directory.file("jwks.json")),
            clock: clock.function)
        let claims: [String: Any] = [
            "iss": "https://idp.example.test/", "aud": "ringgate", "sub": "alice", "exp": clock.seconds - 3600,
        ]
        let token = try TestJWT.make(claims, signer: .edDSA())
        let signature = String(token.split(separator: ".")[2])

        var audited: [String] = []
        let result = AuthenticationOutcome.resolve(await verifier.verify(token)) { audited.append($0.auditDescription) }

        guard case .failure(let callerError) = result else {
            Issue.record("an expired token was accepted")
            return
        }
        let callerText = "\(callerError) \(callerError.message) \(String(describing: callerError)) \(callerError.localizedDescription)"
        #expect(callerError.message == "authentication failed")
        for leak in ["expired", "exp", "corp", token, signature, "alice"] {
            #expect(!callerText.contains(leak), "caller-facing text contains \(leak)")
        }
        #expect(audited.count == 1)
        let auditLine = try #require(audited.first)
        #expect(auditLine.contains("reason=expired"))
        #expect(auditLine.contains("provider=corp"))
        #expect(!auditLine.contains(token))
        #expect(!auditLine.contains(signature))
    }

    @Test("every reason maps to the same caller-facing error")
    func uniformCallerError() {
        let errors = Set(AuthenticationFailure.Reason.allCases.map { AuthenticationFailure($0, "detail").callerFacing })
        #expect(errors.count == 1)
    }

    @Test("audit detail is sanitized and bounded")
    func sanitize() {
        let failure = AuthenticationFailure(.wrongIssuer, "iss \"evil\"\n\u{1b}[31m" + String(repeating: "x", count: 500))
        #expect(!failure.auditDescription.contains("\n"))
        #expect(!failure.auditDescription.contains("\u{1b}"))
        #expect(failure.detail.count <= 163)
    }
}

@Suite("Duration parsing")
struct DurationParserTests {
    @Test("valid durations", arguments: [
        ("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172_800), ("1m30s", 90),
    ])
    func valid(text: String, seconds: Int) throws {
        #expect(try DurationParser.seconds(text) == seconds)
    }

    @Test("invalid durations", arguments: ["", "15", "m", "1.5h", "-5m", "0s", "15 m", "1y", "999999999d", "1234567890s", "h1"])
    func invalid(text: String) {
        #expect(throws: DurationParser.Error.self) { try DurationParser.seconds(text) }
    }

    @Test("durations written back, largest units first", arguments: [
        (90_000, "1m30s"), (600_000, "10m"), (5_400_000, "1h30m"), (172_800_000, "2d"), (1500, "1s500ms"), (0, "0ms"),
    ])
    func text(milliseconds: Int, text: String) throws {
        #expect(DurationParser.text(milliseconds: milliseconds) == text)
        #expect(DurationParser.text(.milliseconds(milliseconds)) == text)
        if milliseconds % 1000 == 0, milliseconds > 0 { #expect(try DurationParser.seconds(text) * 1000 == milliseconds) }
    }
}
