import Codecs

/// A canonical text form of everything in a configuration that decides policy: resources'
/// names, protocols, defaults and production flags; groups; rules in order. Locations,
/// comments, key order, formatting and non-policy settings do not change it, so the policy
/// version (its hash) changes exactly when a decision could.
enum CanonicalPolicyText {
    static func render(_ config: GatewayConfiguration) -> String {
        // v2: deny wins over specificity, `all` excludes opaque (same text, other decisions).
        var lines: [String] = ["ringgate-policy-v2"]
        for resource in config.resources.sorted(by: { $0.name < $1.name }) {
            lines.append("resource \(quote(resource.name)) \(resource.protocol.rawValue) default=\(resource.defaultAction) production=\(resource.production)"
                + (resource.approval.map { " " + approval($0) } ?? ""))
        }
        for group in config.groups.sorted(by: { $0.name < $1.name }) {
            lines.append("group \(quote(group.name)) members=\(list(group.members.sorted())) groups=\(list(group.includes.sorted()))" + (group.providers.isEmpty ? "" : " providers=\(list(group.providers.sorted()))"))
        }
        for rule in config.policies {
            var line = "rule \(quote(rule.id)) resources=\(list(rule.resources)) identities=\(list(rule.identities.sorted()))"
            line += " groups=\(list(rule.groups.sorted())) relations=\(list(rule.relations))"
            line += " allow=\(rule.allow.rawValue) review=\(rule.review.rawValue) deny=\(rule.deny.rawValue)"
            line += " max_rows=\(rule.limits.maxRows.map(String.init) ?? "-")"
            line += " max_bytes=\(rule.limits.maxBytes.map(String.init) ?? "-")"
            line += " max_statement_length=\(rule.limits.maxStatementLength.map(String.init) ?? "-")"
            if let settings = rule.approval { line += " " + approval(settings) }
            if let grant = rule.grant { line += " grant=\(quote(grant))" }
            for mask in rule.masks {
                switch mask.target {
                case .columns(let columns): line += " mask=columns:\(list(columns)):\(mask.style.rawValue)"
                case .detector(let detector, let keywords):
                    line += " mask=detector:\(detector.rawValue):\(list(keywords)):\(mask.style.rawValue)"
                }
            }
            lines.append(line)
        }
        for grant in config.grants.sorted(by: { $0.name < $1.name }) {
            var line = "grant \(quote(grant.name)) resources=\(list(grant.resources)) max_duration=\(grant.maxDurationMilliseconds)"
            line += " requesters=\(list(grant.requesterIdentities.sorted())):\(list(grant.requesterGroups.sorted()))"
            if let settings = grant.approval { line += " " + approval(settings) }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func approval(_ settings: ApprovalSettings) -> String {
        "approval=\(list(settings.approverGroups.sorted())):\(settings.minApprovals):\(settings.requireJustification):\(settings.timeoutMilliseconds)"
    }

    private static func quote(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    private static func list(_ items: [String]) -> String {
        "[" + items.map(quote).joined(separator: ",") + "]"
    }
}
