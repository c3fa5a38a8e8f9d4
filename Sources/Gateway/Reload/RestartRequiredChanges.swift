/// The differences between the configuration the listeners run with and a reloaded one that a
/// reload cannot apply: listener, upstream, session and process settings fixed at start.
///
/// Policy, groups, masks, limits, defaults and the identity settings (token verifiers) apply
/// live; everything compared here needs a restart, and a reload reports it rather than keep
/// it silently.
public struct RestartRequiredChanges: Sendable, Hashable {
    /// One entry per resource or section, in configuration order: `pg-prod (listen, upstream)`,
    /// `pg-new (added)`, `gateway (loops)`.
    public var items: [String]

    public var isEmpty: Bool { items.isEmpty }

    /// The entries joined for a log line or an audit message.
    public var summary: String { items.joined(separator: "; ") }

    /// Compares `running` (what the listeners were started with) to `loaded`.
    public static func between(_ running: GatewayConfiguration, _ loaded: GatewayConfiguration) -> RestartRequiredChanges {
        var items: [String] = []
        let old = Dictionary(running.resources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Set(loaded.resources.map(\.name))
        for resource in loaded.resources {
            guard let before = old[resource.name] else {
                items.append("\(resource.name) (added)")
                continue
            }
            let fields = changedFields(before, resource)
            if !fields.isEmpty { items.append("\(resource.name) (\(fields.joined(separator: ", ")))") }
        }
        for resource in running.resources where !new.contains(resource.name) {
            items.append("\(resource.name) (removed)")
        }
        let gateway = changedFields(running.gateway, loaded.gateway)
        if !gateway.isEmpty { items.append("gateway (\(gateway.joined(separator: ", ")))") }
        return RestartRequiredChanges(items: items)
    }

    private static func changedFields(_ a: ResourceSettings, _ b: ResourceSettings) -> [String] {
        var fields: [String] = []
        if a.protocol != b.protocol { fields.append("protocol") }
        if a.listen != b.listen { fields.append("listen") }
        if a.upstream != b.upstream { fields.append("upstream") }
        if a.connectTimeoutMilliseconds != b.connectTimeoutMilliseconds { fields.append("connect_timeout") }
        if a.idleTimeoutMilliseconds != b.idleTimeoutMilliseconds { fields.append("idle_timeout") }
        if a.tls != b.tls { fields.append("tls") }
        if a.credentials != b.credentials { fields.append("credentials") }
        if a.databases != b.databases { fields.append("databases") }
        if a.ignoreStartupUser != b.ignoreStartupUser { fields.append("ignore_startup_user") }
        if a.record != b.record { fields.append("record") }
        if a.clientTLS != b.clientTLS { fields.append("client_tls") }
        if a.plaintextFrom != b.plaintextFrom { fields.append("plaintext_from") }
        return fields
    }

    private static func changedFields(_ a: GatewaySettings, _ b: GatewaySettings) -> [String] {
        var fields: [String] = []
        if a.ioBackend != b.ioBackend { fields.append("io_backend") }
        if a.loops != b.loops { fields.append("loops") }
        if a.drainTimeoutMilliseconds != b.drainTimeoutMilliseconds { fields.append("drain_timeout") }
        if a.accessLogPath != b.accessLogPath { fields.append("access_log") }
        if a.auditLogPath != b.auditLogPath { fields.append("audit_log") }
        if a.dataDirectory != b.dataDirectory { fields.append("data_dir") }
        if a.effectiveStore != b.effectiveStore { fields.append("store") }
        if a.recording != b.recording { fields.append("recording") }
        // The files client_tls names are re-read when they change; the settings themselves are not.
        if a.clientTLS != b.clientTLS { fields.append("client_tls") }
        if a.plaintextFrom != b.plaintextFrom { fields.append("plaintext_from") }
        if a.control != b.control { fields.append("control") }
        if a.replicaID != b.replicaID { fields.append("replica_id") }
        return fields
    }
}
