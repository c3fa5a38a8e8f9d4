import Foundation
import Glibc
import IOCore
import Testing

@testable import Gateway

/// A full disk (simulated, a size cap, or a real small tmpfs): `pause` stalls the session and
/// resumes it with every record written once there is room; `close` fails the session and
/// the audit log counts exactly what was not written. Nothing is lost silently.
@Suite struct RecordingFailureTests {
    static func writer(_ storage: any RecordingStorage, directory: String, mode: RecordingFailureMode,
                       maxFileSize: Int? = nil, audit: any AuditSink) -> RecordingWriter {
        let settings = RecordingSettings(directory: directory, onFailure: mode, bufferSize: 4096, queueBuffers: 4, maxFileSize: maxFileSize)
        return RecordingWriter(settings: settings, storage: storage, audit: audit)
    }

    /// Records `count` rows of about 500 bytes with a ReadyForQuery every ten; returns the rows.
    static func recordRows(_ recorder: inout SessionRecorder, count: Int, from start: Int = 0) -> [[UInt8]] {
        var rows: [[UInt8]] = []
        for index in start..<(start + count) {
            let row = RecordingTests.dataRow([String(index), String(repeating: "p", count: 480)])
            rows.append(row)
            _ = row.withUnsafeBytes { recorder.recordDataRow($0, at: UInt64(index) * 1000) }
            if index % 10 == 9 { _ = RecordingTests.ready().withUnsafeBytes { recorder.recordReadyForQuery($0, at: UInt64(index) * 1000) } }
        }
        return rows
    }

    @Test func pauseStallsOnAFullDiskAndResumesWithNothingLost() throws {
        let directory = RecordingTests.directoryPath()
        let disk = SimulatedDisk(directory: try RecordingDirectory(path: directory), capacity: 6000)
        let audit = CollectingAuditSink()
        let writer = Self.writer(disk, directory: directory, mode: .pause, audit: audit)
        let log = SignalLog()
        var mailbox = try EmbeddedSession<SignalCollector>(shared: log)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: mailbox.replyAddress, now: 0)
        var rows = Self.recordRows(&recorder, count: 30)
        guard let failure = Self.waitForStall(&mailbox, log) else { return }
        #expect(failure.errno == ENOSPC)
        let pauses = recorder.stalled()
        #expect(pauses, "the session pauses")
        let again = recorder.backpressure()
        #expect(again == .none, "already paused")
        #expect(!log.all.contains { if case .failed = $0 { true } else { false } })
        // While stalled the session may still record what it holds (it spills, nothing is dropped).
        rows += Self.recordRows(&recorder, count: 5, from: 30)
        disk.free(1 << 20)
        RecordingTests.waitFor(&mailbox) { log.all.last == .drained }
        #expect(log.all.last == .drained)
        let resumes = recorder.drained()
        #expect(resumes, "the session resumes")
        recorder.end(reason: "completed", at: 99_000_000)
        #expect(writer.flush())
        #expect(audit.recorded.isEmpty, "nothing was lost")
        let (records, error) = try RecordingTests.records(at: RecordingTests.files(in: directory)[0])
        #expect(error == nil)
        #expect(records.filter { $0.0 == .dataRow }.map(\.1) == rows)
        #expect(records.last?.0 == .end)
        let recorded = recorder.records
        #expect(UInt64(records.count) == recorded)
    }

    @Test func closeFailsTheSessionAndAuditsExactlyWhatWasNotWritten() throws {
        let directory = RecordingTests.directoryPath()
        let disk = SimulatedDisk(directory: try RecordingDirectory(path: directory), capacity: 10_000)
        let audit = CollectingAuditSink()
        let writer = Self.writer(disk, directory: directory, mode: .close, audit: audit)
        let log = SignalLog()
        var mailbox = try EmbeddedSession<SignalCollector>(shared: log)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: mailbox.replyAddress, now: 0)
        _ = Self.recordRows(&recorder, count: 40)
        guard let failure = Self.waitForFailure(&mailbox, log) else { return }
        #expect(failure.errno == ENOSPC)
        let backpressure = recorder.backpressure()
        #expect(backpressure == .close(failure))
        recorder.end(reason: "session-terminated", at: 50_000_000)
        #expect(writer.flush())
        try Self.expectLossAccounted(directory: directory, recorder: recorder, audit: audit, fileBytes: 10_000)
    }

    /// A disk full from the first byte: every record, the header included, is counted (the
    /// preamble is not a record); the file exists and is empty.
    @Test func aDiskFullFromTheFirstByteLosesEverythingCounted() throws {
        let directory = RecordingTests.directoryPath()
        let disk = SimulatedDisk(directory: try RecordingDirectory(path: directory), capacity: 0)
        let audit = CollectingAuditSink()
        let writer = Self.writer(disk, directory: directory, mode: .close, audit: audit)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: nil, now: 0)
        _ = Self.recordRows(&recorder, count: 25)
        recorder.end(reason: "session-terminated", at: 1)
        #expect(writer.flush())
        let event = audit.recorded.first
        let (recorded, recordedBytes) = (recorder.records, recorder.bytes)
        #expect(audit.recorded.count == 1 && event?.records == recorded)
        #expect(event?.bytes == UInt64(RecordingFormat.preambleSize) + recordedBytes)
        let size = try FileManager.default.attributesOfItem(atPath: RecordingTests.files(in: directory)[0])[.size] as? Int
        #expect(size == 0)
    }

    @Test func aSizeCapIsAFailureToo() throws {
        let directory = RecordingTests.directoryPath()
        let audit = CollectingAuditSink()
        let writer = Self.writer(try RecordingDirectory(path: directory), directory: directory, mode: .close, maxFileSize: 8192, audit: audit)
        let log = SignalLog()
        var mailbox = try EmbeddedSession<SignalCollector>(shared: log)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: mailbox.replyAddress, now: 0)
        _ = Self.recordRows(&recorder, count: 40)
        #expect(Self.waitForFailure(&mailbox, log) == .sizeCap(8192))
        recorder.end(reason: "session-terminated", at: 50_000_000)
        #expect(writer.flush())
        try Self.expectLossAccounted(directory: directory, recorder: recorder, audit: audit, fileBytes: 8192)
        #expect(audit.recorded.first?.reason == "recording reached max_file_size (8192 bytes)")
    }

    /// A real small tmpfs (needs root): `pause` stalls when it is full and resumes once a
    /// file is removed; `close` fails and counts the loss.
    @Test(.enabled(if: canMountTmpfs, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
    func aRealFullTmpfs() throws {
        let mountPoint = RecordingTests.directoryPath()
        #expect(mkdir(mountPoint, 0o700) == 0)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=256k,mode=0700") == 0 else {
            rmdir(mountPoint)
            Issue.record("cannot mount a tmpfs: \(String(cString: strerror(errno)))")
            return
        }
        defer {
            umount(mountPoint)
            rmdir(mountPoint)
        }
        let filler = mountPoint + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: 200 << 10)))
        let directory = mountPoint + "/recordings"
        let audit = CollectingAuditSink()
        let writer = Self.writer(try RecordingDirectory(path: directory), directory: directory, mode: .pause, audit: audit)
        let log = SignalLog()
        var mailbox = try EmbeddedSession<SignalCollector>(shared: log)
        var recorder = SessionRecorder()
        recorder.start(writer: writer, header: RecordingTests.header(), reply: mailbox.replyAddress, now: 0)
        let rows = Self.recordRows(&recorder, count: 200)
        guard let failure = Self.waitForStall(&mailbox, log) else { return }
        #expect(failure.errno == ENOSPC)
        #expect(unlink(filler) == 0)
        RecordingTests.waitFor(&mailbox) { log.all.last == .drained }
        let paused = recorder.stalled()
        let resumed = recorder.drained()
        #expect(paused && resumed)
        recorder.end(reason: "completed", at: 999_000_000)
        #expect(writer.flush())
        #expect(audit.recorded.isEmpty)
        let (records, error) = try RecordingTests.records(at: RecordingTests.files(in: directory)[0])
        #expect(error == nil)
        #expect(records.filter { $0.0 == .dataRow }.map(\.1) == rows)

        // The same disk, full again, with `close`.
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: 100 << 10)))
        let closing = Self.writer(try RecordingDirectory(path: directory), directory: directory, mode: .close, audit: audit)
        var second = SessionRecorder()
        second.start(writer: closing, header: RecordingTests.header(sessionID: 8), reply: mailbox.replyAddress, now: 0)
        _ = Self.recordRows(&second, count: 200)
        second.end(reason: "session-terminated", at: 999_000_000)
        #expect(closing.flush())
        let file = RecordingTests.files(in: directory).first { $0.hasSuffix("-8.rgrec") }!
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
        try Self.expectLossAccounted(directory: directory, file: file, recorder: second, audit: audit, fileBytes: size)
    }

    static var canMountTmpfs: Bool {
        guard geteuid() == 0 else { return false }
        let probe = RecordingTests.directoryPath()
        guard mkdir(probe, 0o700) == 0 else { return false }
        defer { rmdir(probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=4k") == 0 else { return false }
        umount(probe)
        return true
    }

    static func waitForStall(_ mailbox: inout EmbeddedSession<SignalCollector>, _ log: SignalLog) -> RecordingFailure? {
        func stall() -> RecordingFailure? {
            for signal in log.all { if case .stalled(let failure) = signal { return failure } }
            return nil
        }
        RecordingTests.waitFor(&mailbox) { stall() != nil }
        if stall() == nil { Issue.record("expected a stalled signal, got \(log.all)") }
        return stall()
    }

    static func waitForFailure(_ mailbox: inout EmbeddedSession<SignalCollector>, _ log: SignalLog) -> RecordingFailure? {
        func failed() -> RecordingFailure? {
            for signal in log.all { if case .failed(let failure) = signal { return failure } }
            return nil
        }
        RecordingTests.waitFor(&mailbox) { failed() != nil }
        if failed() == nil { Issue.record("expected a failed signal, got \(log.all)") }
        return failed()
    }

    /// The file holds a readable prefix; the audit event counts every other record and byte.
    static func expectLossAccounted(directory: String, file: String? = nil, recorder: borrowing SessionRecorder,
                                    audit: CollectingAuditSink, fileBytes: Int) throws {
        let path = file ?? RecordingTests.files(in: directory)[0]
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size == fileBytes)
        let (records, _) = try RecordingTests.records(at: path)
        let failures = audit.recorded.filter { $0.kind == .recordingFailed }
        #expect(failures.count == 1)
        guard let event = failures.first else { return }
        #expect(event.sessionID == RecordingHeader(decoding: records[0].1)?.sessionID)
        let (recorded, recordedBytes) = (recorder.records, recorder.bytes)
        #expect(UInt64(records.count) + (event.records ?? 0) == recorded, "written + lost = recorded")
        #expect(UInt64(size) + (event.bytes ?? 0) == UInt64(RecordingFormat.preambleSize) + recordedBytes)
        #expect(event.message?.contains("could not be written") == true)
    }
}
