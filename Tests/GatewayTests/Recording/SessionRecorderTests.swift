import CAllocCounter
import Codecs
import Foundation
import Glibc
import IOCore
import Testing

@testable import Gateway

/// The recorder and the writer together, on real files: records round trip across blocks,
/// permissions, backpressure (spill, pause, drain), and no allocation in steady state.
@Suite struct SessionRecorderTests {
    static func writer(_ directory: String, storage: (any RecordingStorage)? = nil, bufferSize: Int = 4096,
                       queueBuffers: Int = 4, audit: any AuditSink = CollectingAuditSink()) throws -> RecordingWriter {
        let settings = RecordingSettings(directory: directory, bufferSize: bufferSize, queueBuffers: queueBuffers)
        return RecordingWriter(settings: settings, storage: try storage ?? RecordingDirectory(path: directory), audit: audit)
    }

    @Test func recordsRoundTripAcrossBlocksWithTheirTimes() throws {
        let directory = RecordingTests.directoryPath()
        let writer = try Self.writer(directory)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: nil, now: 5_000_000)
        var expected: [(RecordKind, [UInt8], UInt64)] = []
        _ = recorder.recordStartup([("user", "alice"), ("database", "appdb")], at: 5_000_000)
        expected.append((.startup, Array("user\0alice\0database\0appdb\0".utf8), 0))
        // Rows of many sizes: records straddle the 4 KiB blocks, some are larger than a block.
        for index in 0..<300 {
            let row = RecordingTests.dataRow([String(index), String(repeating: "x", count: (index * 37) % 9000)])
            let now = UInt64(5_000_000 + index * 1000)
            _ = row.withUnsafeBytes { recorder.recordDataRow($0, at: now) }
            expected.append((.dataRow, row, UInt64(index)))
            if index % 50 == 49 {
                let ready = RecordingTests.ready()
                _ = ready.withUnsafeBytes { recorder.recordReadyForQuery($0, at: now) }
                expected.append((.readyForQuery, ready, UInt64(index)))
            }
        }
        recorder.end(reason: "client-terminate", at: 9_000_000)
        expected.append((.end, Array("client-terminate".utf8), 4000))
        #expect(writer.flush())

        let files = RecordingTests.files(in: directory)
        #expect(files.count == 1)
        let (records, error) = try RecordingTests.records(at: files[0])
        #expect(error == nil)
        #expect(records.first?.0 == .header)
        #expect(RecordingHeader(decoding: records[0].1) == RecordingTests.header())
        let body = records.dropFirst()
        #expect(body.count == expected.count)
        for (got, want) in zip(body, expected) {
            #expect(got.0 == want.0 && got.1 == want.1 && got.2 == want.2)
        }
        let (recorded, recordedBytes) = (recorder.records, recorder.bytes)
        #expect(UInt64(records.count) == recorded)
        let size = try FileManager.default.attributesOfItem(atPath: files[0])[.size] as? Int
        #expect(size == RecordingFormat.preambleSize + Int(recordedBytes))
    }

    /// Messages streamed in parts (cut anywhere, even inside the 5-byte header) are recorded
    /// whole; kinds that are not recorded are skipped.
    @Test func messagesStreamedInPartsAreRecordedWhole() throws {
        let directory = RecordingTests.directoryPath()
        let writer = try Self.writer(directory)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: nil, now: 0)
        let parseComplete = RecordingTests.message("1", [])
        let big = RecordingTests.dataRow([String(repeating: "b", count: 10_000)])
        let messages = [RecordingTests.rowDescription(["a"]), parseComplete, big, RecordingTests.dataRow(["x"]),
                        RecordingTests.commandComplete("SELECT 2"), RecordingTests.ready()]
        let stream = messages.flatMap { $0 }
        var offset = 0
        for cut in [1, 3, 7, 30, 2, 4, 4000, 1, 9000] + [stream.count] {
            let end = min(stream.count, offset + cut)
            _ = stream[offset..<end].withUnsafeBytes { recorder.recordMessagePart($0, at: 1000) }
            offset = end
        }
        recorder.end(reason: "completed", at: 2000)
        #expect(writer.flush())
        let (records, error) = try RecordingTests.records(at: RecordingTests.files(in: directory)[0])
        #expect(error == nil)
        #expect(records.map(\.0) == [.header, .rowDescription, .dataRow, .dataRow, .commandComplete, .readyForQuery, .end])
        #expect(records.dropFirst().dropLast().map(\.1) == messages.filter { $0 != parseComplete })
    }

    @Test func filesAre0600InA0700Directory() throws {
        let directory = RecordingTests.directoryPath()
        let writer = try Self.writer(directory)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: nil, now: 0)
        recorder.end(reason: "completed", at: 1)
        #expect(writer.flush())
        var info = stat()
        #expect(stat(directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let file = RecordingTests.files(in: directory)[0]
        #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(file.hasSuffix("-pg-\(getpid())-7.rgrec") && file.contains("/20231114T221320.123456Z-"))
    }

    @Test func aDirectoryOthersCanReadIsRefused() throws {
        let directory = RecordingTests.directoryPath()
        #expect(mkdir(directory, 0o755) == 0)
        chmod(directory, 0o755)
        #expect(throws: RecordingDirectory.SetupError.self) { try RecordingDirectory(path: directory) }
        let file = directory + "/plain"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        #expect(throws: RecordingDirectory.SetupError.self) { try RecordingDirectory(path: file) }
    }

    /// A slow disk: the pool runs dry, records spill (none lost), the session is told to pause,
    /// and the writer's drain signal lets it resume.
    @Test func anEmptyPoolSpillsPausesAndDrains() throws {
        let directory = RecordingTests.directoryPath()
        let storage = GatedStorage(directory: try RecordingDirectory(path: directory))
        let writer = try Self.writer(directory, storage: storage, queueBuffers: 2)
        let log = SignalLog()
        var mailbox = try EmbeddedSession<SignalCollector>(shared: log)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: mailbox.replyAddress, now: 0)
        let row = RecordingTests.dataRow([String(repeating: "r", count: 1000)])
        var firstPause: Int?
        for index in 0..<40 {
            let act = row.withUnsafeBytes { recorder.recordDataRow($0, at: UInt64(index)) }
            if act, firstPause == nil {
                firstPause = index
                let backpressure = recorder.backpressure()
                let paused = recorder.isPaused
                #expect(backpressure == .pause && paused)
            }
        }
        // Two 4 KiB pool blocks hold about eight rows; the ninth spills.
        #expect(firstPause != nil && firstPause! < 12)
        #expect(log.all.isEmpty)
        storage.open()
        RecordingTests.waitFor(&mailbox) { log.all.contains(.drained) }
        #expect(log.all.first == .drained)
        let resumed = recorder.drained()
        let paused = recorder.isPaused
        #expect(resumed && !paused)
        recorder.end(reason: "completed", at: 100)
        #expect(writer.flush())
        let (records, error) = try RecordingTests.records(at: RecordingTests.files(in: directory)[0])
        #expect(error == nil)
        #expect(records.filter { $0.0 == .dataRow }.count == 40)
        #expect(records.filter { $0.0 == .dataRow }.allSatisfy { $0.1 == row })
    }

    /// Statement text is masked by the session's scanner before it is recorded.
    @Test func statementsAreMaskedWithTheScanner() throws {
        let directory = RecordingTests.directoryPath()
        let writer = try Self.writer(directory)
        var recorder = SessionRecorder()
        let scanner = SensitiveDataScanner(configuration: .init(kinds: [.creditCard, .email]))
        recorder.start(writer: writer, header: RecordingTests.header(), reply: nil, now: 0, statementScanner: scanner)
        let sql = "SELECT * FROM cards WHERE number = '4111 1111 1111 1111' OR owner = 'bob@example.com'"
        _ = Array(sql.utf8).withUnsafeBytes { recorder.recordStatement(type: UInt8(ascii: "Q"), name: PostgresSession.noBytes, text: $0, at: 1) }
        recorder.end(reason: "completed", at: 2)
        #expect(writer.flush())
        let file = try Data(contentsOf: URL(fileURLWithPath: RecordingTests.files(in: directory)[0]))
        let text = String(decoding: file, as: UTF8.self)
        #expect(text.contains("SELECT * FROM cards WHERE number = '"))
        #expect(!text.contains("4111") && !text.contains("bob@example.com"))
    }

    /// The loop thread's side of recording allocates nothing once the pool is warm: appending
    /// rows, statements and decisions, handing blocks over at ReadyForQuery.
    @Test func steadyStateAppendsDoNotAllocate() throws {
        let directory = RecordingTests.directoryPath()
        let writer = try Self.writer(directory, bufferSize: 16 << 10, queueBuffers: 8)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: nil, now: 0)
        let row = RecordingTests.dataRow(["42", "***@example.com", String(repeating: "v", count: 60)])
        let ready = RecordingTests.ready()
        let sql = Array("SELECT id, email, note FROM customers WHERE id = 42".utf8)
        let decision = Decision(action: .allow, reason: .rule, rule: 1, statementClass: .read)
        let rule: String? = "analysts-read"
        let version = "0123456789abcdef"
        func round(_ recorder: inout SessionRecorder, _ base: UInt64) -> Bool {
            var act = sql.withUnsafeBytes { recorder.recordStatement(type: UInt8(ascii: "Q"), name: PostgresSession.noBytes, text: $0, at: base) }
            act = recorder.recordDecision(decision, classes: .read, rule: rule, policyVersion: version, at: base) || act
            for index in 0..<100 { act = row.withUnsafeBytes { recorder.recordDataRow($0, at: base + UInt64(index)) } || act }
            act = ready.withUnsafeBytes { recorder.recordReadyForQuery($0, at: base + 100) } || act
            return act
        }
        // Warm up: the pool's blocks are allocated the first time they are needed.
        for warm in 0..<4 {
            _ = round(&recorder, UInt64(warm) * 1000)
            #expect(writer.flush())
        }
        for measured in 4..<24 {
            let before = rg_thread_allocation_count()
            let act = round(&recorder, UInt64(measured) * 1000)
            let allocations = rg_thread_allocation_count() - before
            #expect(allocations == 0, "round \(measured): \(allocations) allocations")
            #expect(!act)
            #expect(writer.flush())
        }
        recorder.end(reason: "completed", at: 100_000)
        #expect(writer.flush())
    }
}
