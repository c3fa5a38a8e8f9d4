import Codecs
import Testing

@testable import Gateway

/// The pieces the session's masking is built from: column globs on bytes and as regular
/// expressions, the COPY statement reader, the response tracker, and how masks combine.
@Suite struct MaskingPartsTests {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        Array(name.utf8).withUnsafeBytes { ByteGlob(pattern).matches($0) }
    }

    @Test func byteGlobsMatchLikeTheConfigurationsGlobs() throws {
        let cases: [(String, String, Bool)] = [
            ("ssn", "ssn", true), ("ssn", "SSN", true), ("ssn", "ssn2", false), ("*ssn", "customer_ssn", true),
            ("s?n", "sun", true), ("s?n", "sün", true), ("s?n", "sn", false), ("[a-c]x", "bx", true), ("[!a-c]x", "bx", false),
            ("e*l", "email", true), ("e*l", "emails", false), ("*", "", true), ("a\\*", "a*", true), ("a\\*", "ab", false),
            ("card_*_no", "card_primary_no", true),
        ]
        for (pattern, name, expected) in cases {
            #expect(Self.matches(pattern, name) == expected, "\(pattern) vs \(name)")
            #expect(try GlobPattern(pattern).matches(name.lowercased()) == expected, "GlobPattern \(pattern) vs \(name)")
        }
    }

    @Test func globsBecomeAnchoredRegularExpressionsWithEveryOtherByteEscaped() {
        #expect(ByteGlob("ssn").regularExpression == "^ssn$")
        #expect(ByteGlob("card_*").regularExpression == "^card_.*$")
        #expect(ByteGlob("a.b?[!x-z]").regularExpression == "^a\\.b.[^x-z]$")
        #expect(ByteGlob("it's").regularExpression == "^it\\'s$")
        // The catalog query puts them in one E'' literal: quotes doubled, backslashes doubled.
        let masks = SessionMasks([MaskRule(target: .columns(["t.it's"]), style: .redact)])
        #expect(MaskCatalog.query(for: masks).contains("E'(^it\\\\''s$)'"))
    }

    @Test func copyStatementsAreReadForTheirDialectAndColumns() {
        func parse(_ sql: String) -> CopyStatement? {
            Array(sql.utf8).withUnsafeBytes { CopyStatement.parse($0, standardConformingStrings: true) }
        }
        #expect(parse("COPY customers TO STDOUT") == CopyStatement(source: .relation(schema: nil, name: "customers", columns: [])))
        let csv = parse("copy public.\"Customers\" (a, \"B\") to stdout with (format csv, delimiter ';', header)")
        #expect(csv?.source == .relation(schema: "public", name: "Customers", columns: ["a", "B"]))
        #expect(csv?.textFormat == CopyTextFormat(delimiter: UInt8(ascii: ";"), isCSV: true))
        #expect(parse("COPY t TO STDOUT CSV HEADER QUOTE AS '''' ")?.textFormat?.quote == UInt8(ascii: "'"))
        #expect(parse("COPY t TO STDOUT DELIMITER '|'")?.textFormat == CopyTextFormat(delimiter: UInt8(ascii: "|")))
        #expect(parse("COPY (SELECT 1) TO STDOUT")?.source == .query)
        #expect(parse("COPY BINARY t TO STDOUT")?.format == .binary)
        #expect(parse("COPY t TO STDOUT (FORMAT binary)")?.format == .binary)
        // What it does not follow is refused by the session: nil.
        #expect(parse("COPY t TO STDOUT; SELECT 1") == nil)
        #expect(parse("COPY t TO STDOUT (DELIMITER E'\\t')") == nil)
        #expect(parse("COPY t FROM STDIN") == nil)
        #expect(parse("COPY t TO '/tmp/x'") == nil)
    }

    @Test func theTrackerPairsResponsesWithRequests() {
        var tracker = ResponseTracker()
        var pushed = [ResponseTracker.Request: Bool]()
        func answers(_ types: String) -> [ResponseTracker.Request?] {
            types.map { tracker.received($0.asciiValue!) }
        }
        for request: ResponseTracker.Request in [.parse, .bind, .gatewayDescribe, .execute, .sync, .query] {
            pushed[request] = tracker.push(request)
        }
        // A notice answers nothing; a Query's own RowDescription and CommandComplete do not end it.
        let first = answers("12NTDCZTCZ")
        #expect(first == [.parse, .bind, nil, .gatewayDescribe, .execute, .execute, .sync, .query, .query, .query])
        let empty = tracker.isEmpty
        #expect(empty)
        // An error in an extended batch: the server skips to Sync.
        for request: ResponseTracker.Request in [.parse, .bind, .describe, .execute, .sync, .gatewayQuery] {
            pushed[request] = tracker.push(request)
        }
        let second = answers("EZDZ")
        #expect(second == [.parse, .sync, .gatewayQuery, .gatewayQuery])
        let drained = tracker.isEmpty
        #expect(drained)
        #expect(pushed.values.allSatisfy { $0 })
    }

    @Test func masksCombineToTheStrictestAction() {
        let masks = SessionMasks([
            MaskRule(target: .columns(["*.email"]), style: .partial),
            MaskRule(target: .columns(["customers.email", "hr.*.salary"]), style: .redact),
            MaskRule(target: .detector(.email, keywords: []), style: .partial),
            MaskRule(target: .detector(.email, keywords: []), style: .redact),
        ])
        func action(_ schema: String?, _ table: String, _ column: String) -> CellMaskAction? {
            masks.columnAction(schema: schema, table: table, column: column)
        }
        #expect(action(nil, "customers", "email") == .redact(.full))
        #expect(action(nil, "vendors", "EMAIL") == .redact(.keepLast4))
        #expect(action("hr", "pay", "salary") == .redact(.full), "schema-qualified table part")
        #expect(action(nil, "pay", "salary") == nil)
        #expect(masks.scanner?.configuration.kindStyles?[.email] == .full, "two styles for one detector: the stricter")
        #expect(masks.detectorAction(typeOID: PostgresTypeCategory.OID.int4) == .keep)
        #expect(masks.detectorAction(typeOID: PostgresTypeCategory.OID.int8) == .scan)
        #expect(masks.detectorAction(typeOID: PostgresTypeCategory.OID.text) == .scan)
        let digits = SessionMasks([MaskRule(target: .detector(.keywords, keywords: ["4242"]), style: .redact)])
        #expect(digits.detectorAction(typeOID: PostgresTypeCategory.OID.int4) == .scan, "a keyword of digits can be in an int4")
    }
}
