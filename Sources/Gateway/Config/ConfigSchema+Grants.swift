import Yams

extension ConfigSchema {
    /// `grants[]`: `{name, resources, max_duration, requesters: {identities, groups}, approval}`.
    func readGrant(_ node: Node, _ path: String) -> GrantDefinition? {
        let known: Set<String> = ["name", "resources", "max_duration", "requesters", "approval"]
        guard let entries = reader.mapping(node, path, known: known) else { return nil }
        let name = reader.required(entries, "name").flatMap { readName($0, entries.path("name")) }
        var resources: [String] = []
        if let value = reader.required(entries, "resources"), let items = reader.stringListWithNodes(value, entries.path("resources")) {
            for item in items {
                if (try? GlobPattern(item.value)) != nil {
                    resources.append(item.value)
                } else {
                    reader.report(item.node, item.path, "invalid glob '\(ConfigText.quoted(item.value))'")
                }
            }
            if items.isEmpty { reader.report(value, entries.path("resources"), "at least one resource pattern is required") }
        }
        var maxDuration = GrantDefinition.defaultMaxDurationMilliseconds
        if let value = entries["max_duration"] {
            maxDuration = reader.duration(value, entries.path("max_duration"), maximumMilliseconds: GrantDefinition.maximumDurationMilliseconds)
                ?? maxDuration
        }
        var identities: [String] = []
        var groups: [String] = []
        if let value = entries["requesters"], let requesters = reader.mapping(value, entries.path("requesters"), known: ["identities", "groups"]) {
            identities = requesters["identities"].flatMap { reader.stringList($0, requesters.path("identities")) } ?? []
            let items = requesters["groups"].flatMap { reader.stringListWithNodes($0, requesters.path("groups")) } ?? []
            for item in items { reader.groupReferences.append((item.value, reader.location(of: item.node), item.path)) }
            groups = items.map(\.value)
            if identities.isEmpty, groups.isEmpty {
                reader.report(value, entries.path("requesters"), "requesters needs 'identities' or 'groups' (leave it out to let any caller ask)")
            }
        }
        var approval: ApprovalSettings?
        if let value = entries["approval"] {
            approval = readApproval(value, entries.path("approval"))
            if case .mapping(let mapping) = value, mapping.keys.contains(where: { $0.string == "timeout" }) {
                reader.report(value, entries.path("approval.timeout"),
                    "a grant request waits until it is decided or withdrawn: 'timeout' applies to held statements only")
            }
        }
        guard let name else { return nil }
        return GrantDefinition(
            name: name, resources: resources, maxDurationMilliseconds: maxDuration, requesterIdentities: identities,
            requesterGroups: groups, approval: approval, location: reader.location(of: node))
    }
}
