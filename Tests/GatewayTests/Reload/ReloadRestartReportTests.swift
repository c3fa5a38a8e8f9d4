import Foundation
import Logging
import Testing

@testable import Gateway

/// A reload names the settings it cannot apply to running listeners (they need a restart) in
/// the log and in the `policy_reloaded` audit event, instead of keeping them silently.
@Suite struct ReloadRestartReportTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    func reloader(_ yaml: String, audit: CollectingAuditSink) throws -> ConfigReloader {
        try directory.write("ringgate.yaml", Array(yaml.utf8))
        return try ConfigReloader.start(path: directory.file("ringgate.yaml"), logger: Logger(label: "test.reload"), audit: audit)
    }

    @Test("listener, upstream and gateway changes are reported as needing a restart, with the policy change applied")
    func listenerChangesAreReported() throws {
        defer { directory.remove() }
        let audit = CollectingAuditSink()
        let original = reloadConfig(write: "allow")
        let reloader = try reloader(original, audit: audit)
        #expect(reloader.pendingRestart.isEmpty)

        let changed = reloadConfig(write: "deny")
            .replacingOccurrences(of: "listen: 127.0.0.1:7101", with: "listen: 127.0.0.1:7102")
            .replacingOccurrences(of: "upstream: 127.0.0.1:5432", with: "upstream: 127.0.0.1:5433\n    idle_timeout: 5m")
            + "\ngateway:\n  loops: 3\n"
        try directory.write("ringgate.yaml", Array(changed.utf8))
        guard case .applied = reloader.reload(trigger: .api) else {
            Issue.record("policy change not applied")
            return
        }
        #expect(reloader.pendingRestart.items == ["pg-prod (listen, upstream, idle_timeout)", "gateway (loops)"])
        let event = try #require(audit.recorded.last)
        #expect(event.kind == .policyReloaded)
        #expect(event.message == "trigger=api; restart_required=pg-prod (listen, upstream, idle_timeout); gateway (loops)")
    }

    @Test("a change that leaves the policy as it is but needs a restart is still audited")
    func unchangedPolicyStillReported() throws {
        defer { directory.remove() }
        let audit = CollectingAuditSink()
        let original = reloadConfig(write: "allow")
        let reloader = try reloader(original, audit: audit)
        let moved = original.replacingOccurrences(of: "upstream: 127.0.0.1:5432", with: "upstream: 127.0.0.1:6432")
        try directory.write("ringgate.yaml", Array(moved.utf8))
        guard case .unchanged = reloader.reload(trigger: .signal) else {
            Issue.record("policy version changed")
            return
        }
        #expect(audit.recorded.map(\.message) == ["trigger=SIGHUP; restart_required=pg-prod (upstream)"])

        // Back to what runs: nothing pending, nothing audited for an unchanged policy.
        try directory.write("ringgate.yaml", Array(original.utf8))
        _ = reloader.reload(trigger: .signal)
        #expect(reloader.pendingRestart.isEmpty)
        #expect(audit.recorded.count == 1)
    }

    @Test("added and removed resources, TLS and credentials are compared against the running configuration")
    func comparison() {
        var running = GatewayConfiguration()
        var a = ResourceSettings(
            name: "a", protocol: .postgres, listen: HostPort(host: "127.0.0.1", port: 1),
            upstream: HostPort(host: "127.0.0.1", port: 2))
        a.credentials = UpstreamCredentials(username: "gate", password: nil)
        running.resources = [a, ResourceSettings(
            name: "gone", protocol: .tcp, listen: HostPort(host: "127.0.0.1", port: 3),
            upstream: HostPort(host: "127.0.0.1", port: 4))]
        var loaded = running
        loaded.resources[0].tls.mode = .require
        loaded.resources[0].credentials = UpstreamCredentials(username: "other", password: nil)
        loaded.resources[0].production = true
        loaded.resources[0].defaultAction = .allow
        loaded.resources[1].name = "new"
        #expect(RestartRequiredChanges.between(running, loaded).items == ["a (tls, credentials)", "new (added)", "gone (removed)"])
        #expect(RestartRequiredChanges.between(running, running).isEmpty)
    }
}
