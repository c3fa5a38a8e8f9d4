import Codecs
import Foundation
import Gateway
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A configuration whose `write` decision for `alice` on `pg-prod` is `action`.
func reloadConfig(write action: String) -> String {
    let actions = action == "allow" ? "allow: [read, write]" : "allow: [read]\n    \(action): [write]"
    return """
    resources:
      - name: pg-prod
        protocol: postgres
        listen: 127.0.0.1:7101
        upstream: 127.0.0.1:5432
        default: deny
    groups:
      - name: writers
        members: [alice]
    policies:
      - id: writers-\(action)
        resources: [pg-prod]
        groups: [writers]
        \(actions)
    """
}

/// A loop thread holding one ``PolicySession`` for its whole life, deciding a `write`
/// statement over and over and publishing what it last saw.
final class SessionLoop: Sendable {
    struct Seen: Sendable {
        var action: PolicyAction?
        var version = ""
        var statements = 0
        var sessionsCreated = 0
    }

    let seen = Mutex(Seen())
    private let stop = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    init(store: PolicyStore) {
        let thread = Thread { [self] in
            var session = PolicySession(store: store, identity: "alice", resource: "pg-prod")
            seen.withLock { $0.sessionsCreated += 1 }
            while !stop.load(ordering: .relaxed) {
                let decision = session.evaluate(classes: .write, statementLength: 24)
                let version = session.policyVersion
                seen.withLock { state in
                    state.action = decision.action
                    state.version = version
                    state.statements += 1
                }
                usleep(200)
            }
            finished.store(true, ordering: .releasing)
        }
        thread.start()
    }

    /// Waits (bounded) until the loop has decided `action` under a version other than `notVersion`.
    func waitFor(_ action: PolicyAction, notVersion: String? = nil, timeout: Duration = .seconds(20)) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let state = seen.withLock { $0 }
            if state.action == action, state.version != notVersion { return true }
            usleep(2_000)
        }
        return false
    }

    func snapshot() -> Seen { seen.withLock { $0 } }

    func shutdown() {
        stop.store(true, ordering: .relaxed)
        while !finished.load(ordering: .acquiring) { usleep(1_000) }
    }
}

@Suite(.serialized) struct HotReloadTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringgate-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ text: String, to url: URL) throws {
        // Write-then-rename, as editors and config management do.
        let temporary = url.appendingPathExtension("tmp")
        try text.write(to: temporary, atomically: false, encoding: .utf8)
        _ = rename(temporary.path, url.path)
    }

    func auditLines(_ url: URL) throws -> [[String: Any]] {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func fileChangeDeniesTheNextStatementWithoutRecreatingTheSession() throws {
        let configURL = directory.appendingPathComponent("ringgate.yaml")
        let auditURL = directory.appendingPathComponent("audit.jsonl")
        try write(reloadConfig(write: "allow"), to: configURL)
        let audit = try JSONLinesAuditSink(path: auditURL.path)
        let reloader = try ConfigReloader.start(path: configURL.path, logger: Logger(label: "test.reload"), audit: audit)
        let loop = SessionLoop(store: reloader.store)
        defer { loop.shutdown() }
        #expect(loop.waitFor(.allow))
        let before = loop.snapshot()

        reloader.startWatching(interval: .milliseconds(20))
        defer { reloader.stopWatchingFile() }
        try write(reloadConfig(write: "deny"), to: configURL)
        #expect(loop.waitFor(.deny, notVersion: before.version))
        let after = loop.snapshot()
        #expect(after.version == reloader.store.snapshot.version)
        #expect(after.version != before.version)
        #expect(after.sessionsCreated == 1)
        #expect(after.statements > before.statements)

        // The audit event is written right after the snapshot is published: wait for it.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        var reloaded: [[String: Any]] = []
        while clock.now < deadline, reloaded.isEmpty {
            reloaded = try auditLines(auditURL).filter { $0["kind"] as? String == "policy_reloaded" }
            if reloaded.isEmpty { usleep(2_000) }
        }
        #expect(reloaded.count == 1)
        #expect(reloaded.first?["policy_version"] as? String == after.version)
    }

    @Test func sighupReloadsAndABrokenConfigLeavesTheOldPolicyInForce() throws {
        let configURL = directory.appendingPathComponent("ringgate.yaml")
        let auditURL = directory.appendingPathComponent("audit.jsonl")
        try write(reloadConfig(write: "allow"), to: configURL)
        let audit = try JSONLinesAuditSink(path: auditURL.path)
        let reloader = try ConfigReloader.start(path: configURL.path, logger: Logger(label: "test.reload"), audit: audit)
        reloader.installSignalHandler()
        defer { reloader.removeSignalHandler() }
        let loop = SessionLoop(store: reloader.store)
        defer { loop.shutdown() }
        #expect(loop.waitFor(.allow))
        let allowVersion = loop.snapshot().version

        // The file changes, but nothing watches it: only the signal triggers the reload.
        try write(reloadConfig(write: "deny"), to: configURL)
        usleep(100_000)
        #expect(loop.snapshot().action == .allow)
        #expect(kill(getpid(), SIGHUP) == 0)
        #expect(loop.waitFor(.deny, notVersion: allowVersion))
        let denyVersion = loop.snapshot().version
        #expect(denyVersion == reloader.store.snapshot.version)

        // A broken configuration (unknown class) is rejected; the deny policy stays.
        try write(reloadConfig(write: "deny").replacingOccurrences(of: "allow: [read]", with: "allow: [reed]"), to: configURL)
        #expect(kill(getpid(), SIGHUP) == 0)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        var rejected: [[String: Any]] = []
        while clock.now < deadline, rejected.isEmpty {
            rejected = try auditLines(auditURL).filter { $0["kind"] as? String == "policy_rejected" }
            usleep(5_000)
        }
        #expect(rejected.count == 1)
        #expect((rejected.first?["message"] as? String)?.contains("policies[0].allow[0]") == true)
        #expect(rejected.first?["policy_version"] as? String == denyVersion)
        let statementsAtRejection = loop.snapshot().statements
        // The loop keeps deciding under the old (deny) policy.
        let clock2 = ContinuousClock()
        let until = clock2.now + .seconds(20)
        while clock2.now < until, loop.snapshot().statements < statementsAtRejection + 50 { usleep(2_000) }
        let later = loop.snapshot()
        #expect(later.statements >= statementsAtRejection + 50)
        #expect(later.action == .deny)
        #expect(later.version == denyVersion)
        #expect(reloader.store.snapshot.version == denyVersion)

        // A direct reload (the control API's path) reports the rejection with locations.
        guard case .rejected(let diagnostics) = reloader.reload(trigger: .api) else {
            Issue.record("a broken configuration was not rejected")
            return
        }
        #expect(diagnostics.map(\.path) == ["policies[0].allow[0]"])
        #expect(later.sessionsCreated == 1)
    }

    @Test func unchangedContentIsNotRepublished() throws {
        let configURL = directory.appendingPathComponent("ringgate.yaml")
        try write(reloadConfig(write: "review"), to: configURL)
        let reloader = try ConfigReloader.start(path: configURL.path, logger: Logger(label: "test.reload"))
        let generation = reloader.store.generation
        // The file just loaded is the one in force: the first poll does not load it again.
        #expect(reloader.pollOnce() == nil)
        // Same policy, different formatting: the version (content hash) is the same.
        try write("# a comment\n" + reloadConfig(write: "review"), to: configURL)
        // A change is loaded on the second poll that sees it unchanged.
        #expect(reloader.pollOnce() == nil)
        #expect(reloader.pollOnce() == .unchanged(version: reloader.store.snapshot.version))
        #expect(reloader.store.generation == generation)
        // Untouched file: no reload at all.
        #expect(reloader.pollOnce() == nil)
    }

    @Test func aFileStillBeingWrittenIsNotLoaded() throws {
        let configURL = directory.appendingPathComponent("ringgate.yaml")
        try write(reloadConfig(write: "allow"), to: configURL)
        let reloader = try ConfigReloader.start(path: configURL.path, logger: Logger(label: "test.reload"))
        let generation = reloader.store.generation
        let allowVersion = reloader.store.snapshot.version
        let full = reloadConfig(write: "deny")
        // Written in place (no rename): the first poll sees half of it ...
        try String(full.prefix(full.count / 2)).write(to: configURL, atomically: false, encoding: .utf8)
        #expect(reloader.pollOnce() == nil)
        // ... the writer finishes before the next poll, which sees a different file again ...
        try full.write(to: configURL, atomically: false, encoding: .utf8)
        #expect(reloader.pollOnce() == nil)
        #expect(reloader.store.generation == generation)
        #expect(reloader.store.snapshot.version == allowVersion)
        // ... and the poll after that, seeing it unchanged, loads the whole file.
        guard case .applied(let version)? = reloader.pollOnce() else {
            Issue.record("the finished file was not applied")
            return
        }
        #expect(version != allowVersion)
        #expect(reloader.store.snapshot.version == version)
        #expect(reloader.pollOnce() == nil)
        #expect(reloader.pollOnce() == nil)
    }
}
