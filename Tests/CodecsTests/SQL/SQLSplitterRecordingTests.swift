@testable import Codecs
import Testing

/// The splitter's recording loop lexes with its own fast paths: identifiers far enough from
/// the text's end are scanned without bounds checks (``SQLStatementSplitter/fastIdentifierLimit``).
/// Every prefix of these texts moves the end across each token, so each token is lexed once
/// inside and once outside that zone; the recorded tokens must equal the lexer's.
@Suite struct SQLSplitterRecordingTests {
    static let texts = [
        "SELECT abc, e.f_1$x FROM sch.tbl_name WHERE col = 'v' AND é = 1; DELETE FROM t",
        "select E'\\n', U&'d\\0061t', U&\"a\", N'x', B'01', X'ff', e'it''s' from t; end",
        "WITH a AS (SELECT 1) SELECT * FROM a WHERE x IN (SELECT y FROM z) ORDER BY xyzzyxyzzyxyzzyxyzzy",
        "COPY (SELECT verylongidentifiername_0123456789) TO STDOUT; CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END",
        "SELECT 1, 42,7, 12.5, 3., .5, 1e5, 2E-3, 4e, 3abc, 7$, 9_9, 1..2, 123é FROM t LIMIT 100 OFFSET 20;SELECT 0",
        "SELECT t.from, t . select, s.End, x.E'y', u.U&\"v\" FROM s.where; CREATE FUNCTION s.begin() BEGIN ATOMIC SELECT t.end; END",
    ]

    /// The significant tokens of `text` as the lexer gives them, semicolons between
    /// statements left out (the splitter records none).
    static func lexed(_ text: UnsafeRawBufferPointer) -> [SQLToken] {
        var lexer = SQLLexer(text: text, standardConformingStrings: true)
        lexer.recognizesKeywords = true
        var tokens: [SQLToken] = []
        while true {
            let token = lexer.nextSignificant()
            if token.kind == .end { return tokens }
            tokens.append(token)
        }
    }

    /// The tokens the recording splitter stores for every statement of `text`, in order.
    static func recorded(_ text: UnsafeRawBufferPointer) -> [SQLCompactToken] {
        let capacity = 256
        let storage = UnsafeMutablePointer<SQLCompactToken>.allocate(capacity: capacity)
        defer { storage.deallocate() }
        var splitter = SQLStatementSplitter(text: text, standardConformingStrings: true, recognizesKeywords: true)
        var tokens: [SQLCompactToken] = []
        while true {
            var buffer = SQLTokenBuffer(base: storage, capacity: capacity)
            guard splitter.next(recording: &buffer) != nil else { return tokens }
            tokens.append(contentsOf: UnsafeBufferPointer(start: storage, count: buffer.count))
        }
    }

    /// Expects the `recorded` tokens to be the lexer's (`lexed`, at `offset` bytes into the
    /// recorded text); a word right after a dot may be recorded without its keyword (a name
    /// there).
    static func expectLexersTokens(_ recorded: [SQLCompactToken], _ lexed: [SQLToken], offset: Int = 0,
                                   _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(recorded.count == lexed.count, "\(context): \(recorded.count) tokens, lexer \(lexed.count)",
                sourceLocation: sourceLocation)
        for (index, (token, expected)) in zip(recorded, lexed).enumerated() {
            let afterDot = index > 0 && lexed[index &- 1].kind == .dot
            #expect(token.kind == expected.kind && (token.keyword == expected.keyword || afterDot && token.keyword == nil)
                    && token.start == expected.start &+ offset && token.end == expected.end &+ offset,
                    "\(context): \(token.kind) \(token.start)..<\(token.end), lexer \(expected.kind) \(expected.start)..<\(expected.end)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: texts)
    func everyPrefixRecordsTheLexersTokens(_ text: String) {
        let bytes = Array(text.utf8)
        for length in 0...bytes.count {
            // A copy of exactly `length` bytes, so that nothing past the text can be read.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
            defer { copy.deallocate() }
            copy.copyBytes(from: bytes[0..<length])
            let text = UnsafeRawBufferPointer(copy)
            Self.expectLexersTokens(Self.recorded(text).filter { $0.kind != .semicolon },
                                    Self.lexed(text).filter { $0.kind != .semicolon }, "prefix of \(length) bytes")
        }
    }

    @Test func fastZoneEndsBeforeTheLastNameAndSixteenBytesFromTheEnd() {
        func limit(_ text: String) -> Int {
            var copy = text
            return copy.withUTF8 {
                SQLStatementSplitter(text: UnsafeRawBufferPointer($0), standardConformingStrings: true,
                                     recognizesKeywords: true).fastIdentifierLimit
            }
        }
        #expect(limit("SELECT a") == 0)                                  // shorter than 16 bytes
        #expect(limit("SELECT a FROM tab;     ") == 23 - 16)            // sixteen bytes from the end
        #expect(limit("SELECT a FROM some_long_table_name") == 13)      // the space before the last name
        #expect(limit(String(repeating: "x", count: 40)) == -1)          // one name: never fast
        // A splitter that cannot record (no keywords) does not compute it.
        var plain = "SELECT a FROM some_long_table_name"
        #expect(plain.withUTF8 { SQLStatementSplitter(text: UnsafeRawBufferPointer($0)).fastIdentifierLimit } == 0)
    }

    /// Statements with more tokens than the buffer holds: the loop stops storing where the
    /// buffer is full and the rest of the statement is only counted. With every capacity from
    /// none to more than the longest statement needs, the spans must be the plain splitter's,
    /// the counts the lexer's, and a statement that fits must have the lexer's tokens.
    @Test(arguments: texts + [
        ";; SELECT a, b, c FROM t WHERE (x = 1) ;; ; CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3",
        "SELECT /* long comment that starts no token at all */ a -- and a line comment\n, b; ;SELECT c",
    ])
    func fullBuffersCountTheRestAndKeepTheSpans(_ text: String) {
        var copy = text
        copy.withUTF8 { utf8 in
            let text = UnsafeRawBufferPointer(utf8)
            var plain = SQLStatementSplitter(text: text)
            var spans: [SQLStatementSpan] = []
            while let span = plain.next() { spans.append(span) }
            for capacity in 0...40 {
                let storage = UnsafeMutablePointer<SQLCompactToken>.allocate(capacity: Swift.max(capacity, 1))
                defer { storage.deallocate() }
                var splitter = SQLStatementSplitter(text: text, standardConformingStrings: true, recognizesKeywords: true)
                var recorded: [SQLStatementSpan] = []
                while true {
                    var buffer = SQLTokenBuffer(base: storage, capacity: capacity)
                    guard let span = splitter.next(recording: &buffer) else { break }
                    recorded.append(span)
                    let statement = UnsafeRawBufferPointer(rebasing: text[span.start..<span.end])
                    let expected = Self.lexed(statement)
                    #expect(buffer.count == expected.count, "capacity \(capacity): \(buffer.count) tokens, lexer \(expected.count)")
                    #expect(buffer.isComplete == (expected.count <= capacity))
                    guard buffer.isComplete else { continue }
                    Self.expectLexersTokens(Array(UnsafeBufferPointer(start: storage, count: buffer.count)), expected,
                                            offset: span.start, "capacity \(capacity)")
                }
                #expect(recorded == spans, "capacity \(capacity)")
            }
        }
    }
}
