import Foundation
import Glibc
import IOCore
import Synchronization

@testable import Gateway

/// Collects the audit events it is given.
final class CollectingAuditSink: AuditSink {
    private let events = Mutex<[AuditEvent]>([])
    func record(_ event: AuditEvent) { events.withLock { $0.append(event) } }
    var recorded: [AuditEvent] { events.withLock { $0 } }
}

/// What the recording writer posted to a session, collected by ``SignalCollector``.
final class SignalLog: Sendable {
    private let signals = Mutex<[RecordingSignal]>([])
    func append(_ signal: RecordingSignal) { signals.withLock { $0.append(signal) } }
    var all: [RecordingSignal] { signals.withLock { $0 } }
}

/// A session that only collects the recording signals posted to it (a mailbox for tests).
struct SignalCollector: ProxySession {
    typealias Event = GatewaySessionEvent
    let log: SignalLog
    init(context: SessionContext, shared: SignalLog) { log = shared }
    func start(io: inout SessionIO<GatewaySessionEvent>) {}
    func received(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<GatewaySessionEvent>) {}
    func handle(_ event: SessionEvent<GatewaySessionEvent>, io: inout SessionIO<GatewaySessionEvent>) {
        if case .custom(.recording(let signal)) = event { log.append(signal) }
    }
}

/// A disk of `capacity` bytes in front of a real directory: writes past it are cut short and
/// then fail with ENOSPC, until ``free(_:)`` makes room.
final class SimulatedDisk: RecordingStorage {
    let directory: RecordingDirectory
    private let capacity: Mutex<Int>
    private let used = Mutex(0)

    init(directory: RecordingDirectory, capacity: Int) {
        self.directory = directory
        self.capacity = Mutex(capacity)
    }

    func free(_ bytes: Int) { capacity.withLock { $0 += bytes } }

    func create(name: String) -> Int32 { directory.create(name: name) }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let room = capacity.withLock { $0 } - used.withLock { $0 }
        guard room > 0 else { return -Int(ENOSPC) }
        let written = directory.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes.prefix(room)))
        if written > 0 { used.withLock { $0 += written } }
        return written
    }

    func close(_ descriptor: Int32) -> Int32 { directory.close(descriptor) }
}

/// A directory whose writes wait until ``open()`` (a slow disk).
final class GatedStorage: RecordingStorage, @unchecked Sendable {
    let directory: RecordingDirectory
    private let condition = NSCondition()
    private var isOpen = false

    init(directory: RecordingDirectory) { self.directory = directory }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    func create(name: String) -> Int32 { directory.create(name: name) }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
        return directory.write(descriptor, bytes)
    }

    func close(_ descriptor: Int32) -> Int32 { directory.close(descriptor) }
}

enum RecordingTests {
    /// A fresh path for a recording directory (not created).
    static func directoryPath() -> String {
        "\(NSTemporaryDirectory())/ringgate-rec-\(UUID().uuidString)"
    }

    static func header(sessionID: UInt64 = 7) -> RecordingHeader {
        RecordingHeader(
            sessionID: sessionID, startMicroseconds: 1_700_000_000_123_456, identity: "alice", groups: ["devs"],
            resource: "pg", database: "appdb", clientAddress: "127.0.0.1:40000", upstreamUser: "app",
            policyVersion: "0123456789abcdef", gatewayVersion: "test")
    }

    /// The recording files in `directory`.
    static func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().map { "\(directory)/\($0)" }
    }

    /// Every readable record of a file (header first) with its payload, and the error that stopped reading.
    static func records(at path: String) throws -> (records: [(RecordKind?, [UInt8], UInt64)], error: RecordingReadError?) {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        return bytes.withUnsafeBytes { raw in
            var out: [(RecordKind?, [UInt8], UInt64)] = []
            do throws(RecordingReadError) {
                var reader = try RecordingReader(raw)
                out.append((.header, reader.header.encoded(), 0))
                while let record = try reader.next() { out.append((record.kind, Array(reader.payload(of: record)), record.time)) }
                return (out, nil)
            } catch {
                return (out, error)
            }
        }
    }

    /// Polls the collector's mailbox until `done` holds (bounded: 20 s).
    static func waitFor(_ harness: inout EmbeddedSession<SignalCollector>, _ done: () -> Bool) {
        var waited = 0
        while !done() && waited < 20_000 {
            usleep(1000)
            waited += 1
            harness.runMailbox()
        }
    }

    // MARK: Backend messages

    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [UInt8(type.asciiValue!)] + int32(Int32(body.count + 4)) + body
    }
    static func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func int16(_ value: Int16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    /// A RowDescription of text columns (type text, OID 25).
    static func rowDescription(_ names: [String], format: Int16 = 0) -> [UInt8] {
        var body = int16(Int16(names.count))
        for name in names {
            body += cString(name)
            body += int32(0) + int16(0)
            body += int32(25) + int16(-1)
            body += int32(-1) + int16(format)
        }
        return message("T", body)
    }

    static func dataRow(_ cells: [String?]) -> [UInt8] {
        var body = int16(Int16(cells.count))
        for cell in cells {
            if let cell {
                body += int32(Int32(cell.utf8.count))
                body += Array(cell.utf8)
            } else {
                body += int32(-1)
            }
        }
        return message("D", body)
    }

    static func commandComplete(_ tag: String) -> [UInt8] { message("C", cString(tag)) }
    static func ready(_ status: Character = "I") -> [UInt8] { message("Z", [UInt8(status.asciiValue!)]) }
    static func error(_ severity: String, _ code: String, _ text: String, type: Character = "E") -> [UInt8] {
        message(type, cString("S" + severity) + cString("C" + code) + cString("M" + text) + [0])
    }
}
