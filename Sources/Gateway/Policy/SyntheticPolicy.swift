import Codecs

/// Synthetic rule sets for benchmarks and allocation tests: a typical one (50 rules,
/// 20 groups) and a large one (5,000 rules, 500 groups), with nested groups, glob and exact
/// resource patterns, every action, relation-scoped rules, masks and limits.
public enum SyntheticPolicy {
    /// 50 rules, 20 groups, 5 resources.
    public static func typical() -> GatewayConfiguration {
        configuration(rules: 50, groups: 20, resources: 5)
    }

    /// 5,000 rules, 500 groups, 100 resources.
    public static func large() -> GatewayConfiguration {
        configuration(rules: 5_000, groups: 500, resources: 100)
    }

    /// A generated configuration. Group `gK` (K > 0) includes `g((K-1)/2)`'s parent chain, so
    /// membership is nested; identity `userN` is a direct member of `g(N % groups)`.
    public static func configuration(rules ruleCount: Int, groups groupCount: Int, resources resourceCount: Int) -> GatewayConfiguration {
        let resourceCount = max(1, resourceCount)
        let groupCount = max(1, groupCount)
        var config = GatewayConfiguration()
        for r in 0..<resourceCount {
            let port = UInt16(clamping: 10_000 + r)
            config.resources.append(
                ResourceSettings(
                    name: "pg-\(r)", protocol: .postgres, listen: HostPort(host: "127.0.0.1", port: port),
                    upstream: HostPort(host: "127.0.0.1", port: 5432), production: r % 2 == 0,
                    defaultAction: r % 2 == 0 ? .deny : .allow))
        }
        for g in 0..<groupCount {
            let members = (0..<4).map { "user\(g + $0 * groupCount)" }
            // Nested: group g includes its children 2g+1 and 2g+2 (a binary tree of groups).
            let includes = [2 * g + 1, 2 * g + 2].filter { $0 < groupCount }.map { "g\($0)" }
            config.groups.append(GroupSettings(name: "g\(g)", members: members, includes: includes))
        }
        for i in 0..<ruleCount {
            let resource = i % 4 == 0 ? "pg-*" : "pg-\(i % resourceCount)"
            var rule = PolicyRule(id: "rule-\(i)", resources: [resource], groups: ["g\(i % groupCount)"])
            switch i % 5 {
            case 0: rule.allow = [.read, .transaction, .set]
            case 1: rule.deny = [.drop, .truncate, .grant]
            case 2: rule.review = [.alter, .create]
            case 3:
                rule.relations = ["schema\(i % 7).table\(i)", "orders_\(i)"]
                rule.deny = [.read, .write]
            default:
                rule.allow = [.write]
                rule.limits = PolicyLimits(maxRows: 10_000, maxStatementLength: 1 << 20)
                rule.masks = [MaskRule(target: .columns(["*.ssn"]), style: .redact)]
            }
            config.policies.append(rule)
        }
        config.policies.append(PolicyRule(id: "everyone-read", resources: ["pg-*"], identities: ["*"], allow: [.read]))
        return config
    }

    /// A compiled snapshot with a resolved caller and a set of statements, ready to evaluate
    /// in a loop (for example from a benchmark). Owns the statement bytes it points into.
    public final class Workload {
        public let snapshot: PolicySnapshot
        public let subject: PolicySubject
        public let resource: PolicyResourceID
        /// ``subject`` on ``resource``, pre-filtered (what a session evaluates with).
        public let binding: PolicyBinding
        public let statements: [(classes: StatementClass, relations: Range<Int>, length: Int)]
        private let text: UnsafeMutableRawBufferPointer
        private let relations: UnsafeMutableBufferPointer<RelationReference>

        /// - Parameter configuration: ``typical()``, ``large()`` or any generated configuration.
        public init(configuration: GatewayConfiguration) {
            snapshot = PolicySnapshot(compiling: configuration)
            // user7 sits in a nested group; the token adds two more. pg-2 is production (default deny).
            subject = snapshot.subject(identity: "user7", groups: ["g3", "g2"])
            resource = snapshot.resource(named: "pg-2")
            binding = snapshot.bind(subject, to: resource)
            let statementText = "public.orders schema3.table3 orders_8 accounts"
            let bytes = Array(statementText.utf8)
            text = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            text.copyBytes(from: bytes)
            let references = [
                RelationReference(schema: ByteRange(start: 0, count: 6), schemaQuoted: false, name: ByteRange(start: 7, count: 6), nameQuoted: false, isModified: false),
                RelationReference(schema: ByteRange(start: 14, count: 7), schemaQuoted: false, name: ByteRange(start: 22, count: 6), nameQuoted: false, isModified: true),
                RelationReference(schema: nil, schemaQuoted: false, name: ByteRange(start: 29, count: 8), nameQuoted: false, isModified: false),
                RelationReference(schema: nil, schemaQuoted: false, name: ByteRange(start: 38, count: 8), nameQuoted: false, isModified: false),
            ]
            relations = UnsafeMutableBufferPointer<RelationReference>.allocate(capacity: references.count)
            _ = relations.initialize(from: references)
            statements = [
                ([.read], 0..<1, 40),
                ([.read, .write], 0..<2, 120),
                ([.drop], 0..<0, 30),
                ([.write, .deleteWithoutWhere], 2..<3, 25),
                ([.read], 3..<4, 60),
                ([.alter], 0..<0, 80),
                ([.opaque], 0..<0, 20),
                ([.transaction], 0..<0, 5),
            ]
        }

        deinit {
            text.deallocate()
            relations.deallocate()
        }

        /// Evaluates statement `index % statements.count` with the bound (per-connection) path.
        /// Allocates nothing.
        @inline(__always)
        public func evaluate(_ index: Int) -> Decision {
            let statement = statements[index % statements.count]
            let slice = UnsafeBufferPointer(rebasing: relations[statement.relations])
            return snapshot.evaluate(
                binding, classes: statement.classes, relations: slice, in: UnsafeRawBufferPointer(text),
                statementLength: statement.length)
        }

        /// The same statement through the unbound path (scans every rule of the resource).
        /// Allocates nothing.
        @inline(__always)
        public func evaluateUnbound(_ index: Int) -> Decision {
            let statement = statements[index % statements.count]
            let slice = UnsafeBufferPointer(rebasing: relations[statement.relations])
            return snapshot.evaluate(
                identity: subject, resource: resource, classes: statement.classes, relations: slice,
                in: UnsafeRawBufferPointer(text), statementLength: statement.length)
        }
    }
}
