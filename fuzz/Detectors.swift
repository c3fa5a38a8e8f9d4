// libFuzzer harness for the sensitive-data detectors (Sources/Codecs/Detectors).
//
// Built by scripts/fuzz.sh together with every Codecs source file into one module, so it
// uses the Codecs types without an import. The first input byte picks a configuration;
// the rest is the text. It checks, beyond "no crash, no out-of-bounds access":
// - spans are in bounds, at least two bytes long, ordered and non-overlapping;
// - masking in place finds exactly what scanning finds, and changes exactly the bytes
//   the mask style changes for those spans;
// - a second scan of the masked text never reports a span that was masked whole with
//   `fixed` style (masked bytes are no longer sensitive);
// - the sixteen-byte block scanner (keyword sets of at most three starting pairs) finds
//   exactly what the byte-at-a-time path finds: the same scan with four never-matching
//   keywords added, which forces that path.
// The input size picks the keyword set: three starting pairs with a keyword that starts
// with a digit, three without, none, one pair, two pairs (the block loop has a copy per
// pair count), or the four-pair set that always scans byte at a time.

/// Keywords that keep the block scanner (three starting pairs or fewer).
let blockKeywordSets: [[String]] = [
    ["project falcon", "hunter2", "12-ab"], ["project falcon", "hunter2", "ünï"], [], ["project falcon"], ["hunter2", "12-ab"],
]
/// Four starting pairs of control bytes: added to a set, they force the byte-at-a-time path.
let bytewiseForcers = ["\u{1}\u{2}q", "\u{1}\u{3}q", "\u{1}\u{4}q", "\u{1}\u{5}q"]
let keywordSets: [KeywordSet?] = blockKeywordSets.map { $0.isEmpty ? nil : try? KeywordSet($0) }
    + [try? KeywordSet(["project falcon", "hunter2", "12-ab", "ünï"])]
let bytewiseTwins: [KeywordSet?] = blockKeywordSets.map { try? KeywordSet($0 + bytewiseForcers) }
/// Fills the bytes after the text's view: all of them trigger a stop.
let triggerPattern: [UInt8] = Array("4@:1".utf8)
nonisolated(unsafe) var twinSpans = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 4096)
nonisolated(unsafe) var spanStorage = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 4096)
nonisolated(unsafe) var spansAfter = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDetectors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let options = data[0]
    let kinds = SensitiveDataKind(rawValue: options & 0x7F == 0 ? SensitiveDataKind.all.rawValue : options & 0x7F)
    let style: MaskStyle = options & 0x80 != 0 ? .keepLast4 : .full
    let setIndex = size % keywordSets.count
    let scanner = SensitiveDataScanner(configuration: .init(
        kinds: kinds, keywords: keywordSets[setIndex], maskStyle: style,
        requirePlausibleCardIssuer: size % 2 == 0, allowUnseparatedSSN: size % 3 == 0))

    // The text is a view into a larger buffer whose following bytes are all triggers (as a
    // cell inside a DataRow is): a scan that reads past its view finds stops there and
    // fails its bounds checks instead of reading the allocator's padding.
    let padded = UnsafeMutableRawBufferPointer.allocate(byteCount: size - 1 + 64, alignment: 16)
    defer { padded.deallocate() }
    for k in 0..<padded.count { padded[k] = triggerPattern[k & 3] }
    if size > 1 { padded.copyMemory(from: UnsafeRawBufferPointer(start: data + 1, count: size - 1)) }
    let text = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(padded)[0..<(size - 1)])
    let found = scanner.scan(text, into: spanStorage)
    if setIndex < bytewiseTwins.count && !text.contains(1) {
        let twin = SensitiveDataScanner(configuration: .init(
            kinds: kinds, keywords: bytewiseTwins[setIndex], maskStyle: style,
            requirePlausibleCardIssuer: size % 2 == 0, allowUnseparatedSSN: size % 3 == 0))
        let twinFound = twin.scan(text, into: twinSpans)
        precondition(twinFound == found, "block scan found \(found), byte-at-a-time \(twinFound)")
        let compared = min(found, spanStorage.count)
        precondition(spanStorage[0..<compared].elementsEqual(twinSpans[0..<compared]), "block and byte-at-a-time spans differ")
    }
    let stored = min(found, spanStorage.count)
    var previousEnd = 0
    for span in spanStorage[0..<stored] {
        precondition(span.start >= previousEnd, "spans overlap or are out of order")
        precondition(span.count >= 2 && span.end <= text.count, "span out of bounds")
        precondition(span.kind.rawValue.nonzeroBitCount == 1, "a span has exactly one kind")
        previousEnd = span.end
    }

    // Masking must equal "apply the style to every scanned span".
    let masked = UnsafeMutableRawBufferPointer.allocate(byteCount: max(text.count, 1), alignment: 8)
    let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: max(text.count, 1), alignment: 8)
    defer {
        masked.deallocate()
        expected.deallocate()
    }
    let maskedView = UnsafeMutableRawBufferPointer(rebasing: masked[0..<text.count])
    let expectedView = UnsafeMutableRawBufferPointer(rebasing: expected[0..<text.count])
    if text.count > 0 {
        maskedView.copyMemory(from: text)
        expectedView.copyMemory(from: text)
    }
    let maskedCount = scanner.maskInPlaceCountingFindings(maskedView)
    precondition(maskedCount == found, "masking found \(maskedCount), scanning \(found)")
    if found <= spanStorage.count {
        for span in spanStorage[0..<stored] { style.apply(to: expectedView, span.start, span.end) }
        precondition(maskedView.elementsEqual(expectedView), "masking changed other bytes than the scanned spans")
    }

    // Fixed-style masked values are gone.
    if style.keepLast == 0 && found <= spanStorage.count {
        let again = scanner.scan(UnsafeRawBufferPointer(maskedView), into: spansAfter)
        for after in spansAfter[0..<min(again, spansAfter.count)] {
            for before in spanStorage[0..<stored] {
                precondition(!(after.start >= before.start && after.end <= before.end), "a masked value was found again")
            }
        }
    }
    return 0
}
