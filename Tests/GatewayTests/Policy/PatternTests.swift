import Gateway
import Testing

@Suite struct PatternTests {
    @Test func globMatching() throws {
        let cases: [(String, String, Bool)] = [
            ("pg-*", "pg-prod", true), ("pg-*", "pg-", true), ("pg-*", "mysql-prod", false),
            ("*", "anything", true), ("pg-?", "pg-1", true), ("pg-?", "pg-12", false),
            ("pg-[0-9]", "pg-7", true), ("pg-[0-9]", "pg-x", false), ("pg-[!0-9]", "pg-x", true),
            ("*prod*", "eu-prod-1", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
            ("exact", "exact", true), ("exact", "exactly", false), ("\\*", "*", true), ("\\*", "x", false),
        ]
        for (pattern, text, expected) in cases {
            #expect(try GlobPattern(pattern).matches(text) == expected, "\(pattern) ~ \(text)")
        }
    }

    @Test func globSyntaxErrors() {
        #expect(throws: GlobPattern.SyntaxError.unterminatedClass) { try GlobPattern("pg-[abc") }
        #expect(throws: GlobPattern.SyntaxError.emptyClass) { try GlobPattern("pg-[]") }
        #expect(throws: GlobPattern.SyntaxError.empty) { try GlobPattern("") }
        #expect(throws: GlobPattern.SyntaxError.danglingEscape) { try GlobPattern("pg\\") }
        #expect(throws: GlobPattern.SyntaxError.invalidRange) { try GlobPattern("[z-a]") }
    }

    @Test func globSpecificityRanksExactNamesFirst() throws {
        let exact = try GlobPattern("pg-prod").specificity
        let long = try GlobPattern("pg-prod*").specificity
        let short = try GlobPattern("pg-*").specificity
        let any = try GlobPattern("*").specificity
        #expect(exact > long)
        #expect(long > short)
        #expect(short > any)
    }

    @Test func relationPatternsFoldLikePostgres() throws {
        #expect(try RelationPattern(parsing: "Public.Users") == RelationPattern(schema: "public", name: "users"))
        #expect(try RelationPattern(parsing: "users") == RelationPattern(schema: nil, name: "users"))
        #expect(try RelationPattern(parsing: "\"Audit\".\"Log\"") == RelationPattern(schema: "Audit", name: "Log"))
        #expect(try RelationPattern(parsing: "\"a\"\"b\"") == RelationPattern(schema: nil, name: "a\"b"))
        #expect(try RelationPattern(parsing: "hr.*") == RelationPattern(schema: "hr", name: nil))
        #expect(try RelationPattern(parsing: "\"Audit\".\"Log\"").description == "\"Audit\".\"Log\"")
        #expect(throws: RelationPattern.SyntaxError.tooManyParts) { try RelationPattern(parsing: "a.b.c") }
        #expect(throws: RelationPattern.SyntaxError.unterminatedQuote) { try RelationPattern(parsing: "\"abc") }
        #expect(throws: RelationPattern.SyntaxError.wildcardNeedsSchema) { try RelationPattern(parsing: "*") }
        #expect(throws: RelationPattern.SyntaxError.emptyIdentifier) { try RelationPattern(parsing: "a.") }
        #expect(throws: RelationPattern.SyntaxError.invalidCharacter(" ")) { try RelationPattern(parsing: "a b") }
    }
}
