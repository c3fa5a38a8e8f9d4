import Foundation
import Testing

@testable import Gateway

/// `ringgate replay FILE` through the built binary.
@Suite struct ReplayCommandTests {
    @Test func replayPrintsTheTranscriptAndRefusesDamagedFiles() throws {
        let (path, _) = try RecordingTranscriptTests.makeRecording()
        let whole = try TokenCommandTests.run(["replay", path])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout.hasPrefix("RingGate session recording (format 1)\n"))
        #expect(whole.stdout.contains("  22 | NULL                   | none\\u{1b}[31m\n"))
        #expect(whole.stdout.hasSuffix("[01:02:03.000] end      client-terminate\n"))
        #expect(whole.stderr.isEmpty)

        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = path + ".cut"
        try bytes.dropLast(3).write(to: URL(fileURLWithPath: cut))
        let truncated = try TokenCommandTests.run(["replay", cut])
        #expect(truncated.status == 1)
        #expect(truncated.stdout.contains("[00:01:01.492] ready    in failed transaction\n"), "what was readable is printed")
        #expect(!truncated.stdout.contains("client-terminate"))
        #expect(truncated.stderr.contains("truncated record at byte"))

        var future = bytes
        future[9] = 2
        let newer = path + ".v2"
        try future.write(to: URL(fileURLWithPath: newer))
        let refused = try TokenCommandTests.run(["replay", newer])
        #expect(refused.status == 1 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("unsupported recording format version 2 (this build reads version 1)"))
    }
}
