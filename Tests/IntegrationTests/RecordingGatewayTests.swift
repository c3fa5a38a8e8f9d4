import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Session recording through `ringgate serve` in front of a real PostgreSQL 15 (see
/// ``PostgresGatewayFixture``): each psql session leaves one 0600 file in the 0700 directory,
/// and `ringgate replay` shows its statements, decisions, the refusal and the end, with no
/// token or password in it.
@Suite(.serialized) struct RecordingGatewayTests {
    static let enabled = PostgresServer.isInstalled || ProcessInfo.processInfo.environment["CI"] != nil

    @Test(.enabled(if: enabled, "PostgreSQL 15 is not installed"))
    func psqlSessionsAreRecordedAndReplay() throws {
        let recordings = NSTemporaryDirectory() + "ringgate-it-recordings-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: recordings) }
        let gateway = try PostgresGatewayFixture(
            backend: "epoll", extraGateway: "  recording:\n    directory: \(recordings)\n    on_failure: close")
        let allowed = try gateway.psql("SELECT count(*) FROM items")
        #expect(allowed.status == 0, "\(allowed.error)\n\(gateway.gatewayLogTail)")
        let denied = try gateway.psql("DROP TABLE items")
        #expect(denied.status != 0 && denied.error.contains("42501"))
        let token = gateway.token
        let secrets = [gateway.upstreamPassword, gateway.md5Password, token]
        gateway.finish()

        var info = stat()
        #expect(stat(recordings, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: recordings).sorted().map { "\(recordings)/\($0)" }
        #expect(files.count == 2, "one recording per session: \(files)")
        var transcripts = ""
        for file in files {
            #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600)
            let bytes = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
            for secret in secrets { #expect(!bytes.contains(secret), "a secret is in \(file)") }
            let replay = try PostgresGatewayFixture.runRinggate(["replay", file])
            #expect(replay.status == 0, "\(replay.error)")
            transcripts += replay.output
        }
        for line in [
            "  identity      \(PostgresGatewayFixture.identity)", "query    SELECT count(*) FROM items",
            "decision allow (rule it-read-write; classes read;", "query    DROP TABLE items",
            "decision deny (rule \(PostgresGatewayFixture.denyRule); classes drop;",
            "error    ERROR 42501: permission denied by gateway policy", "end      completed",
        ] {
            #expect(transcripts.contains(line), "missing '\(line)' in:\n\(transcripts)")
        }
    }
}
