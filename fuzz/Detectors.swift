// libFuzzer harness for the sensitive-data detectors (Sources/Codecs/Detectors).
//
// Built by scripts/fuzz.sh together with every Codecs source file into one module, so it
// uses the Codecs types without an import. The first input byte picks a configuration;
// the rest is the text. It checks, beyond "no crash, no out-of-bounds access":
// - spans are in bounds, at least two bytes long, ordered and non-overlapping;
// - masking in place finds exactly what scanning finds, and changes exactly the bytes
//   the mask style changes for those spans;
// - a second scan of the masked text never reports a span that was masked whole with
//   `fixed` style (masked bytes are no longer sensitive).

nonisolated(unsafe) var keywordSet: KeywordSet? = try? KeywordSet(["project falcon", "hunter2", "12-ab", "ünï"])
nonisolated(unsafe) var spanStorage = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 4096)
nonisolated(unsafe) var spansAfter = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDetectors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let options = data[0]
    let kinds = SensitiveDataKind(rawValue: options & 0x7F == 0 ? SensitiveDataKind.all.rawValue : options & 0x7F)
    let style: MaskStyle = options & 0x80 != 0 ? .keepLast4 : .full
    let scanner = SensitiveDataScanner(configuration: .init(
        kinds: kinds, keywords: keywordSet, maskStyle: style,
        requirePlausibleCardIssuer: size % 2 == 0, allowUnseparatedSSN: size % 3 == 0))

    let text = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let found = scanner.scan(text, into: spanStorage)
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
