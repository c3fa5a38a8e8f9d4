/// The config groups an identity belongs to: groups listing it in `members`, groups including
/// those (transitively), and the token's own groups (already filtered to the trusted ones).
enum ConfigGroupMembership {
    static func groups(of identity: String, tokenGroups: [String], in groups: [GroupSettings]) -> Set<String> {
        var member = Set(tokenGroups)
        for group in groups where group.members.contains(identity) { member.insert(group.name) }
        // A group that includes a group the identity is in contains the identity too.
        var changed = true
        while changed {
            changed = false
            for group in groups where !member.contains(group.name) && group.includes.contains(where: member.contains) {
                member.insert(group.name)
                changed = true
            }
        }
        return member
    }
}
