/// Session state and choices that change how query text is classified.
public struct SQLClassifierOptions: Sendable, Hashable {
    /// The session's standard_conforming_strings (from ParameterStatus). When off, backslashes
    /// escape characters in plain `'...'` strings. A `SET` inside a query only takes effect
    /// for the next query, so feed the value the session had when the query arrived.
    public var standardConformingStrings: Bool
    /// Whether the session's client_encoding keeps every ASCII byte meaning ASCII (UTF8,
    /// LATIN1-10, WIN125x, EUC_*, ...). In SJIS, BIG5, GBK, UHC, GB18030 and JOHAB a multibyte
    /// character's second byte can be `\` or `'`, so the server reads quotes the classifier
    /// cannot see from the bytes: every statement is then ``StatementClass/opaque``.
    public var clientEncodingIsASCIISafe: Bool
    /// Adds ``StatementClass/opaque`` to statements calling ``SQLSideEffectFunctions``.
    public var flagsSideEffectFunctions: Bool

    /// Whether a client_encoding name (as ParameterStatus reports it) keeps ASCII bytes ASCII:
    /// false for PostgreSQL's client-only encodings SJIS, SHIFT_JIS_2004, BIG5, GBK, UHC,
    /// GB18030 and JOHAB (compared case-insensitively, ignoring `_` and `-`).
    @inlinable
    public static func isASCIISafe(clientEncoding name: UnsafeRawBufferPointer) -> Bool {
        for candidate in clientOnlyEncodings where matchesEncoding(name, candidate) { return false }
        return true
    }

    @usableFromInline
    static let clientOnlyEncodings: [StaticString] = ["SJIS", "SHIFTJIS2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB"]

    @inlinable
    static func matchesEncoding(_ name: UnsafeRawBufferPointer, _ candidate: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: candidate.utf8Start, count: candidate.utf8CodeUnitCount)
        var index = 0
        for byte in name {
            if byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") { continue }
            let upper = byte >= 0x61 && byte <= 0x7A ? byte &- 0x20 : byte
            guard index < expected.count, expected[index] == upper else { return false }
            index &+= 1
        }
        return index == expected.count
    }

    @inlinable
    public init(standardConformingStrings: Bool = true, clientEncodingIsASCIISafe: Bool = true,
                flagsSideEffectFunctions: Bool = true) {
        self.standardConformingStrings = standardConformingStrings
        self.clientEncodingIsASCIISafe = clientEncodingIsASCIISafe
        self.flagsSideEffectFunctions = flagsSideEffectFunctions
    }
}

/// Classifies PostgreSQL query text (a simple-protocol Query or a Parse message's text) by
/// effect. Allocation-free: results are value types with fixed-capacity storage.
///
/// ```swift
/// let classifier = SQLClassifier(options: .init(standardConformingStrings: true))
/// var summary = SQLQuerySummary()
/// classifier.classify(text: bytes, into: &summary)     // union over all statements
/// for statement in classifier.statements(in: bytes) { ... }  // one by one, for explain
/// ```
///
/// ``StatementClass/read`` means the statement's syntax only reads; functions it calls may
/// still have effects (see ``SQLSideEffectFunctions``).
public struct SQLClassifier: Sendable {
    public var options: SQLClassifierOptions

    @inlinable
    public init(options: SQLClassifierOptions = SQLClassifierOptions()) {
        self.options = options
    }

    /// Classifies every statement of `text` and stores the union in `summary` (which is reset
    /// first). Text with no statement leaves `summary` empty (zero statements, no classes).
    @inlinable
    public func classify(text: UnsafeRawBufferPointer, into summary: inout SQLQuerySummary) {
        summary.reset()
        // The walker and the token storage are built in place here (through an iterator they
        // were copied, 6.5 KiB per call).
        var walker = SQLStatementWalker(text: text, options: options, recordsTokens: true)
        var storage = SQLTokenStorage()
        withUnsafeMutablePointer(to: &storage.words) { pointer in
            pointer.withMemoryRebound(to: SQLCompactToken.self, capacity: SQLTokenStorage.capacity) { tokens in
                while walker.advance(tokens: tokens) {
                    withUnsafePointer(to: &walker.analyzer.summary) { summary.merge($0, in: text) }
                }
            }
        }
    }

    /// The statements of `text`, classified one at a time.
    @inlinable
    public func statements(in text: UnsafeRawBufferPointer) -> SQLStatementIterator {
        SQLStatementIterator(text: text, options: options)
    }
}

/// Iterates the classified statements of a query text.
///
/// The text is lexed once: the splitter records each statement's significant tokens in a
/// fixed-capacity buffer held by the iterator, which the analyzer then reads (a statement
/// with more tokens than fit is lexed again by the analyzer).
public struct SQLStatementIterator: IteratorProtocol, Sequence {
    @usableFromInline var walker: SQLStatementWalker
    @usableFromInline var storage: SQLTokenStorage

    /// With `recordsTokens` false the analyzer lexes every statement again (for tests
    /// comparing both ways).
    @inlinable
    init(text: UnsafeRawBufferPointer, options: SQLClassifierOptions, recordsTokens: Bool = true) {
        self.walker = SQLStatementWalker(text: text, options: options, recordsTokens: recordsTokens)
        self.storage = SQLTokenStorage()
    }

    /// Classifies the next statement into `walker.analyzer.summary`; false after the last one.
    @inlinable
    mutating func advance() -> Bool {
        Self.step(walker: &walker, storage: &storage)
    }

    /// Static, so that the closure can use two stored properties of the iterator at once.
    @inlinable
    static func step(walker: inout SQLStatementWalker, storage: inout SQLTokenStorage) -> Bool {
        withUnsafeMutablePointer(to: &storage.words) { pointer in
            pointer.withMemoryRebound(to: SQLCompactToken.self, capacity: SQLTokenStorage.capacity) { tokens in
                walker.advance(tokens: tokens)
            }
        }
    }

    @inlinable
    public mutating func next() -> SQLStatementSummary? {
        advance() ? walker.analyzer.summary : nil
    }
}

/// The splitter and the analyzer over one query text, classifying statement by statement
/// with token storage that the caller provides.
@usableFromInline
struct SQLStatementWalker {
    @usableFromInline var splitter: SQLStatementSplitter
    @usableFromInline var analyzer: SQLStatementAnalyzer
    @usableFromInline let options: SQLClassifierOptions
    @usableFromInline var tooLong: Bool
    /// Whether the splitter records tokens for the analyzer (false: the analyzer lexes every
    /// statement again).
    @usableFromInline let recordsTokens: Bool

    @inlinable
    init(text: UnsafeRawBufferPointer, options: SQLClassifierOptions, recordsTokens: Bool) {
        self.options = options
        // Byte ranges are 32-bit: longer text (the protocol caps messages at 1 GiB) is refused.
        self.tooLong = text.count > Int(Int32.max)
        let usable = tooLong ? UnsafeRawBufferPointer(start: text.baseAddress, count: 0) : text
        self.splitter = SQLStatementSplitter(text: usable, standardConformingStrings: options.standardConformingStrings,
                                             recognizesKeywords: recordsTokens)
        self.analyzer = SQLStatementAnalyzer(text: usable,
                                             standardConformingStrings: options.standardConformingStrings,
                                             flagsSideEffectFunctions: options.flagsSideEffectFunctions)
        self.recordsTokens = recordsTokens
    }

    /// Splits off the next statement (recording its tokens at `tokens`, room for
    /// ``SQLTokenStorage/capacity``) and classifies it into `analyzer.summary`; false after
    /// the last one.
    @inlinable
    mutating func advance(tokens: UnsafeMutablePointer<SQLCompactToken>) -> Bool {
        if tooLong {
            tooLong = false
            analyzer.summary = SQLStatementSummary()
            analyzer.summary.classes = .opaque
            return true
        }
        if recordsTokens {
            var buffer = SQLTokenBuffer(base: tokens, capacity: SQLTokenStorage.capacity)
            guard let span = splitter.next(recording: &buffer) else { return false }
            analyzer.analyze(span, buffer: buffer)
        } else {
            guard let span = splitter.next() else { return false }
            analyzer.analyze(span, buffer: nil)
        }
        if !options.clientEncodingIsASCIISafe { analyzer.summary.classes.insert(.opaque) }
        return true
    }
}

extension SQLClassifier {
    /// Convenience for tests and tools (allocates): the summary of `text`.
    public func classify(_ text: String) -> SQLQuerySummary {
        var copy = text
        var summary = SQLQuerySummary()
        copy.withUTF8 { classify(text: UnsafeRawBufferPointer($0), into: &summary) }
        return summary
    }

    /// Convenience for tests and tools (allocates): each statement's text and summary.
    public func statements(_ text: String) -> [(text: String, summary: SQLStatementSummary)] {
        var copy = text
        return copy.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            return statements(in: bytes).map { statement in
                let range = Int(statement.range.start)..<Int(statement.range.end)
                return (String(decoding: bytes[range], as: UTF8.self), statement)
            }
        }
    }

    /// Convenience for tests and tools: the text of `reference`'s parts within `text`.
    public static func names(of reference: RelationReference, in text: String) -> (schema: String?, name: String) {
        let bytes = Array(text.utf8)
        func slice(_ range: ByteRange) -> String {
            let lower = max(0, min(Int(range.start), bytes.count))
            let upper = max(lower, min(Int(range.end), bytes.count))
            return String(decoding: bytes[lower..<upper], as: UTF8.self)
        }
        return (reference.schema.map(slice), slice(reference.name))
    }
}
