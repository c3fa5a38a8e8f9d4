// libFuzzer harness for the SQL lexer and classifier (Sources/Codecs/SQL).
//
// Built by scripts/fuzz.sh with every Codecs source file into one module (no import).
// Input: byte 0 = options, the rest = query text (any bytes, not necessarily UTF-8).
// Options: bit 0 standard_conforming_strings on, bit 1 keyword recognition in the lexer,
// bit 2 side-effect function flagging, bit 3 client encoding NOT ASCII-safe. The text is also
// lexed and classified with standard_conforming_strings flipped, so both modes run on
// every input.
//
// It checks, beyond "no crash, no out-of-bounds access, no hang":
// - the lexer's tokens tile the text exactly (each starts where the previous ended, is
//   non-empty, and `.end` comes at the text's end), `nextSignificant` skips only trivia,
//   an `.invalid` token carries an error and no other does, and only identifiers carry
//   a keyword;
// - the splitter's recording loop records exactly `nextSignificant`'s tokens (keywords
//   included) and splits where the plain splitter does;
// - the classifier's statements lie in the text, in order, without overlap; their
//   relation references lie inside their statement; the query summary is exactly the
//   merge of the statements (count, classes); a drop kind comes only with `.drop`;
//   an encoding that is not ASCII-safe makes every statement opaque.

func checkLexer(_ text: UnsafeRawBufferPointer, scs: Bool, keywords: Bool) {
    var lexer = SQLLexer(text: text, standardConformingStrings: scs)
    lexer.recognizesKeywords = keywords
    var position = 0
    var tokens = 0
    while true {
        let token = lexer.next()
        precondition(token.start == position, "token does not start where the previous ended")
        if token.kind == .end {
            precondition(token.start == text.count && token.end == text.count, ".end before the end of the text")
            break
        }
        precondition(token.end > token.start && token.end <= text.count, "empty or out-of-bounds token")
        precondition((token.kind == .invalid) == (token.error != nil), "error set on a valid token, or missing on an invalid one")
        if token.keyword != nil { precondition(token.kind == .identifier, "keyword on a non-identifier") }
        if !keywords { precondition(token.keyword == nil, "keyword returned with recognition off") }
        position = token.end
        tokens += 1
        precondition(tokens <= text.count, "more tokens than bytes")
    }
    // The significant-token view sees the same tokens minus trivia.
    var all = SQLLexer(text: text, standardConformingStrings: scs)
    var significant = SQLLexer(text: text, standardConformingStrings: scs)
    while true {
        let expected = all.next()
        if expected.isTrivia { continue }
        let token = significant.nextSignificant()
        precondition(token.start == expected.start && token.end == expected.end && token.kind == expected.kind,
                     "nextSignificant disagrees with next")
        if token.kind == .end { break }
    }
}

/// The splitter's recording loop (its own fast lexing) must record exactly the significant
/// tokens `nextSignificant` gives (keywords included, except that a word right after a dot
/// may have none: it is a name there) and split where the plain splitter does.
func checkRecording(_ text: UnsafeRawBufferPointer, scs: Bool) {
    let capacity = 64
    let storage = UnsafeMutablePointer<SQLCompactToken>.allocate(capacity: capacity)
    defer { storage.deallocate() }
    var recording = SQLStatementSplitter(text: text, standardConformingStrings: scs, recognizesKeywords: true)
    var plain = SQLStatementSplitter(text: text, standardConformingStrings: scs)
    var lexer = SQLLexer(text: text, standardConformingStrings: scs)
    while true {
        var buffer = SQLTokenBuffer(base: storage, capacity: capacity)
        let span = recording.next(recording: &buffer)
        precondition(span == plain.next(), "recording and plain splitters split differently")
        guard let span else { break }
        var expected = lexer.nextSignificant()
        while expected.start < span.start {
            precondition(expected.kind == .semicolon, "a token between statements")
            expected = lexer.nextSignificant()
        }
        var previousKind = SQLTokenKind.end
        for i in 0..<buffer.count {
            if i > 0 {
                previousKind = expected.kind
                expected = lexer.nextSignificant()
            }
            precondition(expected.end <= span.end, "recorded more tokens than the statement has")
            if i < capacity {
                let token = storage[i]
                let keywordAgrees = token.keyword == expected.keyword || previousKind == .dot && token.keyword == nil
                precondition(token.kind == expected.kind && keywordAgrees
                             && token.start == expected.start && token.end == expected.end,
                             "recorded token differs from nextSignificant")
            }
        }
        precondition(expected.end == span.end, "recorded fewer tokens than the statement has")
    }
}

func checkClassifier(_ text: UnsafeRawBufferPointer, options: SQLClassifierOptions) {
    let classifier = SQLClassifier(options: options)
    var summary = SQLQuerySummary()
    classifier.classify(text: text, into: &summary)
    var count = 0
    var classes = StatementClass()
    var previousEnd: Int32 = 0
    // `classify` reads the tokens the splitter recorded; `statements(in:)` lexes every
    // statement again: merging the latter must give the same summary.
    var merged = SQLQuerySummary()
    var iterator = classifier.statements(in: text)
    while let statement = iterator.next() {
        merged.merge(statement, in: text)
        count += 1
        precondition(count <= text.count + 1, "more statements than bytes")
        let range = statement.range
        precondition(range.start >= previousEnd && range.count >= 0 && Int(range.end) <= text.count,
                     "statement range out of order or out of bounds")
        previousEnd = range.end
        classes.formUnion(statement.classes)
        if statement.dropKind != nil { precondition(statement.classes.contains(.drop), "drop kind without .drop") }
        if !options.clientEncodingIsASCIISafe { precondition(statement.classes.contains(.opaque), "unsafe encoding not opaque") }
        for relation in statement.relations {
            precondition(relation.name.start >= range.start && relation.name.end <= range.end, "relation name outside its statement")
            if let schema = relation.schema {
                precondition(schema.start >= range.start && schema.end <= range.end && schema.end <= relation.name.start,
                             "schema outside its statement or after the name")
            }
        }
    }
    precondition(summary.statementCount == count, "summary count differs from the statements")
    // The analyzer reading the splitter's recorded tokens and the analyzer lexing each
    // statement again must agree statement by statement.
    var recorded = classifier.statements(in: text)
    var relexed = SQLStatementIterator(text: text, options: options, recordsTokens: false)
    while true {
        let a = recorded.next()
        let b = relexed.next()
        precondition((a == nil) == (b == nil), "recorded and re-lexed statement counts differ")
        guard let a, let b else { break }
        precondition(a.range == b.range && a.classes == b.classes && a.dropKind == b.dropKind
                     && a.relations.isOverflowed == b.relations.isOverflowed
                     && a.relations.elementsEqual(b.relations), "recorded and re-lexed statements differ")
    }
    precondition(summary.classes == classes, "summary classes differ from the union of the statements")
    precondition(summary.dropKinds == merged.dropKinds, "summary drop kinds differ from the statements'")
    precondition(summary.relations.isOverflowed == merged.relations.isOverflowed
                 && summary.relations.elementsEqual(merged.relations), "summary relations differ from the statements'")
    for relation in summary.relations {
        precondition(relation.name.start >= 0 && Int(relation.name.end) <= text.count, "summary relation out of bounds")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSQLLexer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let options = data[0]
    let scs = options & 1 != 0
    // An exact-size copy so AddressSanitizer sees any read past the text.
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: size - 1, alignment: 1)
    defer { copy.deallocate() }
    if size > 1 { copy.copyMemory(from: UnsafeRawBufferPointer(start: data + 1, count: size - 1)) }
    let text = UnsafeRawBufferPointer(copy)
    for conforming in [scs, !scs] {
        checkLexer(text, scs: conforming, keywords: options & 2 != 0)
        checkRecording(text, scs: conforming)
        checkClassifier(text, options: SQLClassifierOptions(
            standardConformingStrings: conforming, clientEncodingIsASCIISafe: options & 8 == 0,
            flagsSideEffectFunctions: options & 4 != 0))
    }
    return 0
}
