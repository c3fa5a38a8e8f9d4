import Codecs

/// Why the policy decides what it does, for people: `ringgate explain` and
/// `ringgate check-config --effective`.
public enum PolicyExplanation {
    /// The decision for one statement and the rule that made it. `provider` names the identity
    /// provider whose token carried `groups` (`nil`: a gateway token), as a session passes it.
    public static func explain(
        snapshot: PolicySnapshot, identity: String, groups: [String], provider: String? = nil, grants: [String] = [],
        resource: String, statement: StatementInput
    ) -> (decision: Decision, report: String) {
        let subject = snapshot.subject(identity: identity, groups: groups, provider: provider, grants: grants)
        let resourceID = snapshot.resource(named: resource)
        let decision = statement.relations.withUnsafeBufferPointer { relations in
            statement.text.withUnsafeBytes { text in
                snapshot.evaluate(
                    identity: subject, resource: resourceID, classes: statement.classes, relations: relations, in: text,
                    statementLength: statement.length)
            }
        }
        var lines: [String] = []
        lines.append("decision:       \(decision.action)")
        lines.append("reason:         \(decision.reason)")
        if let ruleID = snapshot.ruleID(of: decision) {
            let rule = snapshot.rules[Int(decision.rule)]
            lines.append("rule:           \(ruleID) (line \(rule.location.line))")
            lines.append("                \(describe(rule))")
        } else {
            lines.append("rule:           (none)")
        }
        if !decision.statementClass.isEmpty { lines.append("deciding class: \(decision.statementClass.names.joined(separator: ","))") }
        if decision.statementClass == .opaque, resourceID.rawValue >= 0 {
            // Said when opaque was decided as the most severe class (no rule naming it applied).
            let fallback = snapshot.opaqueFallback(resource: Int(resourceID.rawValue), subject: subject)
            let namesOpaque = snapshot.ruleID(of: decision).map { _ in
                PolicyAction.allCases.contains { snapshot.rules[Int(decision.rule)].classes(for: $0).contains(.opaque) }
            } ?? false
            if decision == fallback.decision, !namesOpaque {
                let name = StatementClass(rawValue: 1 << UInt32(fallback.slot)).names.joined()
                lines.append("opaque:         no rule names it; decided as its most severe class (\(name))")
            }
        }
        lines.append("classes:        \(statement.classes.isEmpty ? "(none: treated as opaque)" : statement.classes.names.joined(separator: ","))")
        lines.append("identity:       \(identity) (groups: \(list(snapshot.groupNames(of: subject))))")
        lines.append("resource:       \(resource)\(resourceID.rawValue < 0 ? " (unknown)" : "")")
        lines.append("policy version: \(snapshot.version)")
        return (decision, lines.joined(separator: "\n"))
    }

    /// Every class's decision (for statements naming no relation-scoped rule), the
    /// relation-scoped rules, masks and limits for one caller on one resource.
    public static func effectivePolicy(
        snapshot: PolicySnapshot, identity: String, groups: [String], provider: String? = nil, resource: String
    ) -> String {
        let subject = snapshot.subject(identity: identity, groups: groups, provider: provider)
        let resourceID = snapshot.resource(named: resource)
        var lines: [String] = ["policy version: \(snapshot.version)"]
        lines.append("identity: \(identity) (groups: \(list(snapshot.groupNames(of: subject))))")
        guard let settings = snapshot.configuration.resources.first(where: { $0.name == resource }) else {
            lines.append("resource: \(resource): not configured (every statement is denied)")
            return lines.joined(separator: "\n")
        }
        lines.append(
            "resource: \(resource) (\(settings.protocol.rawValue)\(settings.production ? ", production" : ""), default \(settings.defaultAction))")
        lines.append("")
        lines.append("class decisions:")
        for (name, value) in StatementClass.allNamed {
            let decision = snapshot.evaluate(
                identity: subject, resource: resourceID, classes: value, relations: UnsafeBufferPointer(start: nil, count: 0),
                in: UnsafeRawBufferPointer(start: nil, count: 0), statementLength: 0)
            let source = snapshot.ruleID(of: decision).map { "rule \($0)" } ?? "\(decision.reason)"
            lines.append("  " + pad(name, 22) + pad(decision.action.description, 8) + source)
        }
        let scoped = snapshot.applicableRules(for: subject, on: resourceID).filter { !$0.relations.isEmpty }
        lines.append("")
        lines.append("relation rules (most specific first):")
        if scoped.isEmpty { lines.append("  (none)") }
        for rule in scoped { lines.append("  \(rule.id): \(describe(rule))") }
        let attributes = snapshot.attributes(for: subject, on: resourceID)
        lines.append("")
        lines.append("masks:")
        if attributes.masks.isEmpty { lines.append("  (none)") }
        for applied in attributes.masks {
            switch applied.mask.target {
            case .columns(let columns):
                lines.append("  columns \(columns.joined(separator: ", ")) -> \(applied.mask.style.rawValue) (rule \(applied.rule))")
            case .detector(let detector, let keywords):
                let extra = keywords.isEmpty ? "" : " [\(keywords.joined(separator: ", "))]"
                lines.append("  detector \(detector.rawValue)\(extra) -> \(applied.mask.style.rawValue) (rule \(applied.rule))")
            }
        }
        let limits = attributes.limits
        lines.append("")
        lines.append(
            "limits: max_rows=\(limits.maxRows.map(String.init) ?? "none") max_bytes=\(limits.maxBytes.map(String.init) ?? "none") max_statement_length=\(limits.maxStatementLength.map(String.init) ?? "none")"
        )
        return lines.joined(separator: "\n")
    }

    static func describe(_ rule: PolicyRule) -> String {
        var parts: [String] = []
        for action in [PolicyAction.deny, .review, .allow] where !rule.classes(for: action).isEmpty {
            parts.append("\(action) \(rule.classes(for: action).names.joined(separator: ","))")
        }
        if !rule.relations.isEmpty { parts.append("on \(rule.relations.joined(separator: ", "))") }
        parts.append("resources \(rule.resources.joined(separator: ","))")
        if let grant = rule.grant { parts.append("while grant \(grant) is held") }
        return parts.joined(separator: "; ")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private static func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
}
