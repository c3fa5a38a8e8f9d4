import Codecs
import Yams

extension ConfigSchema {
    static let ruleKeys: Set<String> = [
        "id", "resources", "identities", "groups", "relations", "allow", "review", "deny", "mask", "limits", "approval",
        "grant",
    ]

    func readRule(_ node: Node, _ path: String) -> PolicyRule? {
        guard let entries = reader.mapping(node, path, known: Self.ruleKeys) else { return nil }
        let id = reader.required(entries, "id").flatMap { readName($0, entries.path("id")) }
        var resources: [String] = []
        if let value = reader.required(entries, "resources"), let items = reader.stringListWithNodes(value, entries.path("resources")) {
            for item in items {
                do {
                    _ = try GlobPattern(item.value)
                    resources.append(item.value)
                } catch {
                    reader.report(item.node, item.path, "invalid glob '\(ConfigText.quoted(item.value))': \(error)")
                }
            }
            if items.isEmpty { reader.report(value, entries.path("resources"), "at least one resource pattern is required") }
        }
        let identities = entries["identities"].flatMap { reader.stringList($0, entries.path("identities")) } ?? []
        let groupItems = entries["groups"].flatMap { reader.stringListWithNodes($0, entries.path("groups")) } ?? []
        for item in groupItems {
            reader.groupReferences.append((item.value, reader.location(of: item.node), item.path))
        }
        let grant = entries["grant"].flatMap { readName($0, entries.path("grant")) }
        if grant != nil {
            if entries["identities"] != nil || entries["groups"] != nil {
                reader.report(entries["identities"] ?? entries["groups"], entries.path(entries["identities"] != nil ? "identities" : "groups"),
                    "a rule with 'grant' applies to the grant's holders only (who may ask for it: grants[].requesters)")
            }
        } else if entries["identities"] == nil, entries["groups"] == nil {
            reader.report(node, path, "a rule needs 'identities' or 'groups' (use identities: ['*'] for every caller)")
        }
        var relations: [String] = []
        if let value = entries["relations"], let items = reader.stringListWithNodes(value, entries.path("relations")) {
            for item in items {
                do {
                    relations.append(try RelationPattern(parsing: item.value).description)
                } catch {
                    reader.report(item.node, item.path, "invalid relation '\(ConfigText.quoted(item.value))': \(error)")
                }
            }
        }
        let allow = entries["allow"].map { classes($0, entries.path("allow")) } ?? []
        let review = entries["review"].map { classes($0, entries.path("review")) } ?? []
        let deny = entries["deny"].map { classes($0, entries.path("deny")) } ?? []
        if ["allow", "review", "deny", "mask", "limits"].allSatisfy({ entries[$0] == nil }) {
            reader.report(node, path, "the rule does nothing (give allow, review, deny, mask or limits)")
        }
        var masks: [MaskRule] = []
        if let value = entries["mask"], let items = reader.sequence(value, entries.path("mask")) {
            masks = items.enumerated().compactMap { readMask($1, "\(entries.path("mask"))[\($0)]") }
        }
        var limits = PolicyLimits()
        if let value = entries["limits"] { limits = readLimits(value, entries.path("limits")) ?? limits }
        if !relations.isEmpty, !masks.isEmpty || !limits.isEmpty {
            reader.report(entries["relations"], entries.path("relations"),
                "a rule scoped to relations cannot carry mask or limits (put them in a rule without 'relations')")
        }
        let approval = entries["approval"].flatMap { readApproval($0, entries.path("approval")) }
        if approval != nil, review.isEmpty {
            reader.report(entries["approval"], entries.path("approval"), "'approval' needs 'review' classes in the same rule")
        }
        guard let id else { return nil }
        return PolicyRule(
            id: id, resources: resources, identities: identities, groups: groupItems.map(\.value), relations: relations,
            allow: allow, review: review, deny: deny, masks: masks, limits: limits, approval: approval, grant: grant,
            location: reader.location(of: node))
    }

    /// `approval: {approver_groups, min_approvals, require_justification, timeout}`.
    func readApproval(_ node: Node, _ path: String) -> ApprovalSettings? {
        guard let entries = reader.mapping(node, path, known: ["approver_groups", "min_approvals", "require_justification", "timeout"]) else {
            return nil
        }
        var settings = ApprovalSettings()
        if let value = entries["approver_groups"], let items = reader.stringListWithNodes(value, entries.path("approver_groups")) {
            for item in items { reader.groupReferences.append((item.value, reader.location(of: item.node), item.path)) }
            settings.approverGroups = items.map(\.value)
            if items.isEmpty { reader.report(value, entries.path("approver_groups"), "at least one approver group is required") }
        }
        if let value = entries["min_approvals"] {
            settings.minApprovals = reader.int(value, entries.path("min_approvals"), range: 1...16) ?? 1
        }
        if let value = entries["require_justification"] {
            settings.requireJustification = reader.bool(value, entries.path("require_justification")) ?? false
        }
        if let value = entries["timeout"] {
            settings.timeoutMilliseconds = reader.duration(value, entries.path("timeout"), maximumMilliseconds: 24 * 3_600_000)
                ?? ApprovalSettings.defaultTimeoutMilliseconds
        }
        return settings
    }

    /// Statement class names (as in `StatementClass.allNamed`), or `all`: every class but
    /// `opaque`, which a rule must name itself (unnamed, it is decided as the most severe class).
    func classes(_ node: Node, _ path: String) -> StatementClass {
        guard let items = reader.stringListWithNodes(node, path) else { return [] }
        var result: StatementClass = []
        for item in items {
            if item.value == "all" {
                result.formUnion(StatementClass(StatementClass.allNamed.map(\.value)).subtracting(.opaque))
            } else if let value = StatementClass(name: item.value) {
                result.formUnion(value)
            } else {
                reader.report(item.node, item.path,
                    "unknown statement class '\(ConfigText.quoted(item.value))' (expected all or one of: \(StatementClass.allNamed.map(\.name).joined(separator: ", ")))")
            }
        }
        return result
    }

    func readMask(_ node: Node, _ path: String) -> MaskRule? {
        guard let entries = reader.mapping(node, path, known: ["columns", "detector", "keywords", "style"]) else { return nil }
        let style = entries["style"].flatMap { reader.choice($0, entries.path("style"), MaskStyleName.allCases.map { ($0.rawValue, $0) }) } ?? .redact
        switch (entries["columns"], entries["detector"]) {
        case (let columns?, nil):
            if entries["keywords"] != nil { reader.report(entries["keywords"], entries.path("keywords"), "keywords belong to detector: keywords") }
            guard let items = reader.stringListWithNodes(columns, entries.path("columns")) else { return nil }
            var patterns: [String] = []
            for item in items {
                let folded = item.value.lowercased()
                guard folded.contains(".") else {
                    reader.report(item.node, item.path, "column pattern '\(ConfigText.quoted(item.value))' must be table.column (use *.column for any table)")
                    continue
                }
                do {
                    _ = try GlobPattern(folded)
                    patterns.append(folded)
                } catch {
                    reader.report(item.node, item.path, "invalid glob '\(ConfigText.quoted(item.value))': \(error)")
                }
            }
            return MaskRule(target: .columns(patterns), style: style)
        case (nil, let detectorNode?):
            guard let detector = reader.choice(detectorNode, entries.path("detector"), MaskDetector.allCases.map { ($0.rawValue, $0) }) else {
                return nil
            }
            var keywords: [String] = []
            if let value = entries["keywords"] { keywords = reader.stringList(value, entries.path("keywords")) ?? [] }
            if detector == .keywords, keywords.isEmpty {
                reader.report(node, entries.path("keywords"), "detector keywords needs a non-empty 'keywords' list")
            } else if detector != .keywords, entries["keywords"] != nil {
                reader.report(entries["keywords"], entries.path("keywords"), "keywords belong to detector: keywords")
            }
            return MaskRule(target: .detector(detector, keywords: keywords), style: style)
        default:
            reader.report(node, path, "a mask entry needs exactly one of 'columns' and 'detector'")
            return nil
        }
    }

    func readLimits(_ node: Node, _ path: String) -> PolicyLimits? {
        guard let entries = reader.mapping(node, path, known: ["max_rows", "max_bytes", "max_statement_length"]) else { return nil }
        var limits = PolicyLimits()
        if let value = entries["max_rows"] { limits.maxRows = reader.int(value, entries.path("max_rows"), range: 1...Int(Int32.max)) }
        if let value = entries["max_bytes"] { limits.maxBytes = reader.byteSize(value, entries.path("max_bytes")) }
        if let value = entries["max_statement_length"] {
            limits.maxStatementLength = reader.byteSize(value, entries.path("max_statement_length"))
        }
        return limits
    }
}

/// Checks references between sections once everything is read: unknown groups, group cycles,
/// resource patterns that match no resource.
struct PolicyReferenceChecker {
    let reader: ConfigNodeReader
    let config: GatewayConfiguration

    func check() {
        let groupNames = Set(config.groups.map(\.name))
        for reference in reader.groupReferences where !groupNames.contains(reference.name) {
            reader.report(at: reference.location, reference.path, "unknown group '\(ConfigText.quoted(reference.name))'")
        }
        checkCycles()
        checkGrants()
        for (index, rule) in config.policies.enumerated() {
            for pattern in rule.resources {
                guard let glob = try? GlobPattern(pattern) else { continue }
                if !reader.declaredResourceNames.contains(where: { glob.matches($0) }) {
                    reader.report(at: rule.location, "policies[\(index)].resources", "pattern '\(ConfigText.quoted(pattern))' matches no resource")
                }
            }
        }
    }

    /// Rules name declared grants; every grant is named by a rule, and asked for on a resource.
    private func checkGrants() {
        let declared = Set(config.grants.map(\.name))
        for (index, rule) in config.policies.enumerated() {
            if let grant = rule.grant, !declared.contains(grant) {
                reader.report(at: rule.location, "policies[\(index)].grant", "unknown grant '\(ConfigText.quoted(grant))'")
            }
        }
        let named = Set(config.policies.compactMap(\.grant))
        for (index, grant) in config.grants.enumerated() {
            if !named.contains(grant.name) {
                reader.report(at: grant.location, "grants[\(index)].name",
                    "grant '\(ConfigText.quoted(grant.name))' gives nothing: no rule names it (policies[].grant)")
            }
            for pattern in grant.resources {
                guard let glob = try? GlobPattern(pattern) else { continue }
                if !reader.declaredResourceNames.contains(where: { glob.matches($0) }) {
                    reader.report(at: grant.location, "grants[\(index)].resources", "pattern '\(ConfigText.quoted(pattern))' matches no resource")
                }
            }
        }
        if let first = config.grants.first, config.gateway.control == nil {
            reader.report(at: first.location, "grants", "grants need gateway.control (they are asked for and decided through the control API)")
        }
    }

    /// Depth-first search over `groups[].groups`; each cycle is reported once, at its first group.
    private func checkCycles() {
        var byName: [String: GroupSettings] = [:]
        for group in config.groups where byName[group.name] == nil { byName[group.name] = group }
        var state: [String: UInt8] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ name: String) {
            guard let group = byName[name] else { return }
            state[name] = 1
            stack.append(name)
            for next in group.includes {
                switch state[next] {
                case 1:
                    let start = stack.firstIndex(of: next) ?? 0
                    let cycle = stack[start...] + [next]
                    let at = byName[next]?.location ?? group.location
                    let index = config.groups.firstIndex { $0.name == next } ?? 0
                    reader.report(at: at, "groups[\(index)].groups", "group cycle: \(cycle.joined(separator: " -> "))")
                case nil:
                    visit(next)
                default:
                    break
                }
            }
            stack.removeLast()
            state[name] = 2
        }
        for group in config.groups where state[group.name] == nil { visit(group.name) }
    }
}
