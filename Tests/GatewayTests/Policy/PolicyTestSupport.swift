import Codecs
import Gateway

/// Compiles YAML (which must be valid) into a snapshot.
func compile(_ yaml: String) throws -> PolicySnapshot {
    PolicySnapshot(compiling: try ConfigLoader.parse(yaml: yaml, file: "policy.yaml"))
}

extension PolicySnapshot {
    /// Evaluates a statement described by class and relation names.
    func decide(
        _ identity: String, groups: [String] = [], on resource: String, _ classes: StatementClass,
        relations: [String] = [], length: Int = 10
    ) throws -> Decision {
        let statement = try StatementInput(classNames: classes.names, relationNames: relations, length: length)
        let subject = subject(identity: identity, groups: groups)
        let id = self.resource(named: resource)
        return statement.relations.withUnsafeBufferPointer { refs in
            statement.text.withUnsafeBytes { text in
                evaluate(identity: subject, resource: id, classes: classes, relations: refs, in: text, statementLength: statement.length)
            }
        }
    }

    /// The id of the rule that made the decision, or the reason when no rule did.
    func why(_ decision: Decision) -> String { ruleID(of: decision) ?? decision.reason.description }
}

/// Two resources and a few groups, reused by the precedence tests.
let resourcesYAML = """
    resources:
      - name: pg-prod
        protocol: postgres
        listen: 127.0.0.1:7001
        upstream: 127.0.0.1:5432
        production: true
        default: deny
      - name: pg-prod-eu
        protocol: postgres
        listen: 127.0.0.1:7002
        upstream: 127.0.0.1:5432
        default: deny
      - name: pg-dev
        protocol: postgres
        listen: 127.0.0.1:7003
        upstream: 127.0.0.1:5432
        default: allow
      - name: pg-review
        protocol: postgres
        listen: 127.0.0.1:7004
        upstream: 127.0.0.1:5432
        default: review
    groups:
      - name: staff
        members: [carol]
        groups: [analysts, oncall]
      - name: analysts
        members: [alice]
      - name: oncall
        members: [bob]
        groups: [sre]
      - name: sre
        members: [erin]
    """
