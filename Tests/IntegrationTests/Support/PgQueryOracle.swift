import CPgQuery
import Codecs
import Foundation

/// PostgreSQL's own parser (libpg_query) as the oracle for the classifier: parses a query
/// string and derives, from each top-level statement's parse tree, the classes the classifier
/// must report (the same rules ``StatementClass`` documents, applied to the real tree).
enum PgQueryOracle {
    struct Expected: Equatable {
        var node: String
        var classes: StatementClass
        var drop: DropObjectKind?
    }

    enum Outcome {
        case parsed([Expected])
        case rejected(String)
    }

    /// Parses `sql` and derives each statement's expected classes.
    static func expectations(for sql: String) -> Outcome {
        let result = pg_query_parse(sql)
        defer { pg_query_free_parse_result(result) }
        if let error = result.error {
            return .rejected(error.pointee.message.map { String(cString: $0) } ?? "error")
        }
        guard let tree = result.parse_tree,
              let json = try? JSONSerialization.jsonObject(with: Data(String(cString: tree).utf8)) as? [String: Any]
        else { return .rejected("unreadable parse tree") }
        let statements = json["stmts"] as? [[String: Any]] ?? []
        var expected: [Expected] = []
        for entry in statements {
            guard let stmt = entry["stmt"] as? [String: Any], let (node, body) = stmt.first,
                  let fields = body as? [String: Any] else { continue }
            var classes: StatementClass = []
            var drop: DropObjectKind? = nil
            classify(node: node, fields, classes: &classes, drop: &drop)
            expected.append(Expected(node: node, classes: classes, drop: drop))
        }
        return .parsed(expected)
    }

    static func string(_ value: Any?) -> String? {
        guard let dictionary = value as? [String: Any] else { return nil }
        if let string = dictionary["String"] as? [String: Any] {
            return (string["sval"] ?? string["str"]) as? String
        }
        return nil
    }

    /// The classes of a top-level (or nested, for CTE bodies) statement node.
    static func classify(node: String, _ fields: [String: Any], classes: inout StatementClass, drop: inout DropObjectKind?) {
        switch node {
        case "SelectStmt":
            classes.insert(.read)
            walk(fields, classes: &classes)
        case "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt":
            modification(node: node, fields, classes: &classes)
        case "CreateTableAsStmt":
            classes.insert(.create)
            let into = fields["into"] as? [String: Any]
            if let query = fields["query"] as? [String: Any], query["ExecuteStmt"] != nil {
                classes.formUnion([.write, .opaque])
            } else {
                if into?["skipData"] as? Bool != true {
                    classes.insert(.write)
                    // Filling the new relation reads the rows of the relations its query names.
                    if containsRangeVar(fields["query"] ?? [:]) { classes.insert(.read) }
                }
                walk(fields["query"] ?? [:], classes: &classes)
            }
        case "CreateFunctionStmt":
            classes.insert(.opaque)
        case "CreateRoleStmt", "AlterRoleStmt", "AlterRoleSetStmt", "GrantStmt", "GrantRoleStmt",
             "AlterDefaultPrivilegesStmt", "ReassignOwnedStmt":
            classes.insert(.grant)
        case "DropRoleStmt":
            classes.formUnion([.drop, .grant])
            drop = .role
        case "DropOwnedStmt":
            classes.formUnion([.drop, .grant])
            drop = .owned
        case "DropStmt":
            classes.insert(.drop)
            drop = dropKind(fields["removeType"] as? String ?? "")
        case "DropdbStmt":
            classes.insert(.drop)
            drop = .database
        case "DropTableSpaceStmt":
            classes.insert(.drop)
            drop = .tablespace
        case "DropSubscriptionStmt":
            classes.insert(.drop)
            drop = .subscription
        case "DropUserMappingStmt":
            classes.insert(.drop)
            drop = .other
        case "CreateSchemaStmt":
            classes.insert(.create)
            for element in fields["schemaElts"] as? [[String: Any]] ?? [] where element["GrantStmt"] != nil {
                classes.insert(.grant)
            }
        case "RenameStmt":
            classes.insert(fields["renameType"] as? String == "OBJECT_ROLE" ? .grant : .alter)
        case "TruncateStmt":
            classes.insert(.truncate)
        case "CopyStmt":
            if fields["is_from"] as? Bool == true {
                classes.formUnion([.copyFrom, .write])
            } else {
                classes.formUnion([.copyTo, .read])
            }
            if fields["is_program"] as? Bool == true { classes.insert(.copyProgram) }
            if let query = fields["query"] as? [String: Any], let (inner, body) = query.first,
               let innerFields = body as? [String: Any] {
                var ignored: DropObjectKind? = nil
                classify(node: inner, innerFields, classes: &classes, drop: &ignored)
            }
        case "ExplainStmt":
            var analyze = false
            for option in fields["options"] as? [[String: Any]] ?? [] {
                guard let element = option["DefElem"] as? [String: Any],
                      element["defname"] as? String == "analyze" else { continue }
                analyze = true
                if let value = string(element["arg"])?.lowercased(), ["false", "off", "0", "f", "no", "n"].contains(value) {
                    analyze = false
                }
                if let integer = (element["arg"] as? [String: Any])?["Integer"] as? [String: Any],
                   (integer["ival"] as? Int ?? 0) == 0 {
                    analyze = false
                }
                if let boolean = (element["arg"] as? [String: Any])?["Boolean"] as? [String: Any],
                   boolean["boolval"] as? Bool != true {
                    analyze = false
                }
            }
            if analyze, let query = fields["query"] as? [String: Any], let (inner, body) = query.first,
               let innerFields = body as? [String: Any] {
                classify(node: inner, innerFields, classes: &classes, drop: &drop)
                classes.insert(.read)
            } else {
                classes = .read
                drop = nil
            }
        case "TransactionStmt":
            classes.insert(.transaction)
        case "VariableSetStmt":
            let name = (fields["name"] as? String ?? "").lowercased()
            if name == "role" || name == "session_authorization" {
                classes.insert(.grant)
            } else if fields["kind"] as? String == "VAR_SET_MULTI" && name.hasPrefix("transaction") {
                // SET TRANSACTION ... / SET TRANSACTION SNAPSHOT (not RESET transaction_deferrable)
                classes.insert(.transaction)
            } else {
                classes.insert(.set)
            }
        case "ConstraintsSetStmt":
            classes.insert(.set)
        case "VariableShowStmt":
            classes.insert(.read)
        case "DoStmt", "ExecuteStmt", "CallStmt", "LoadStmt":
            classes.insert(.opaque)
        case "PrepareStmt":
            classes.insert(.utility)
            if let query = fields["query"] as? [String: Any], let (inner, body) = query.first,
               let innerFields = body as? [String: Any] {
                var ignored: DropObjectKind? = nil
                classify(node: inner, innerFields, classes: &classes, drop: &ignored)
            }
        case "DeclareCursorStmt":
            classes.insert(.read)
            if let query = fields["query"] as? [String: Any], let (inner, body) = query.first,
               let innerFields = body as? [String: Any] {
                var ignored: DropObjectKind? = nil
                classify(node: inner, innerFields, classes: &classes, drop: &ignored)
            }
        case "FetchStmt":
            classes.insert(fields["ismove"] as? Bool == true ? .utility : .read)
        case "DeallocateStmt", "VacuumStmt", "CheckPointStmt", "ListenStmt", "NotifyStmt", "UnlistenStmt",
             "DiscardStmt", "LockStmt", "ClusterStmt", "ReindexStmt", "ClosePortalStmt":
            classes.insert(.utility)
        case "RefreshMatViewStmt":
            classes.insert(.write)
        case "CommentStmt", "SecLabelStmt", "AlterSystemStmt":
            classes.insert(.alter)
        default:
            if node.hasPrefix("Create") || node == "ViewStmt" || node == "IndexStmt" || node == "DefineStmt"
                || node == "CompositeTypeStmt" || node == "RuleStmt" || node == "ImportForeignSchemaStmt" {
                classes.insert(.create)
            } else if node.hasPrefix("Alter") {
                classes.insert(.alter)
            } else {
                classes.insert(.opaque)
            }
        }
    }

    static func modification(node: String, _ fields: [String: Any], classes: inout StatementClass) {
        classes.insert(.write)
        if node == "UpdateStmt" && fields["whereClause"] == nil { classes.insert(.updateWithoutWhere) }
        if node == "DeleteStmt" && fields["whereClause"] == nil { classes.insert(.deleteWithoutWhere) }
        if let returning = fields["returningList"] as? [Any], !returning.isEmpty { classes.insert(.read) }
        // Reading another relation (INSERT ... SELECT ... FROM, UPDATE ... FROM, DELETE ... USING,
        // MERGE ... USING, subqueries) is a read too: every RangeVar but the target's.
        if fields.contains(where: { $0.key != "relation" && containsRangeVar($0.value) }) { classes.insert(.read) }
        walk(fields, classes: &classes)
    }

    /// Whether a parse tree (part) names a relation.
    static func containsRangeVar(_ value: Any) -> Bool {
        if let array = value as? [Any] { return array.contains { containsRangeVar($0) } }
        guard let dictionary = value as? [String: Any] else { return false }
        return dictionary.contains { $0.key == "RangeVar" || containsRangeVar($0.value) }
    }

    /// Looks through a query's tree for what the classifier reports inside queries:
    /// data-modifying CTE bodies, SELECT INTO, and calls of side-effect functions.
    static func walk(_ value: Any, classes: inout StatementClass) {
        if let array = value as? [Any] {
            for element in array { walk(element, classes: &classes) }
            return
        }
        guard let dictionary = value as? [String: Any] else { return }
        for (key, child) in dictionary {
            switch key {
            case "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt":
                if let fields = child as? [String: Any] { modification(node: key, fields, classes: &classes) }
                continue
            case "intoClause":
                classes.formUnion([.create, .write])
            case "RangeVar":
                // Statistics catalogs expose every table's column values: opaque (fail closed).
                if let range = child as? [String: Any], let name = range["relname"] as? String,
                   ["pg_stats", "pg_statistic", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic_ext_data"].contains(name),
                   (range["schemaname"] as? String).map({ $0 == "pg_catalog" }) ?? true {
                    classes.insert(.opaque)
                }
            case "FuncCall":
                if let call = child as? [String: Any], let names = call["funcname"] as? [Any],
                   let last = string(names.last) {
                    var name = last
                    let matched = name.withUTF8 { SQLSideEffectFunctions.matches(UnsafeRawBufferPointer($0), caseSensitive: true) }
                    if matched { classes.insert(.opaque) }
                }
            default:
                break
            }
            walk(child, classes: &classes)
        }
    }

    static func dropKind(_ removeType: String) -> DropObjectKind {
        switch removeType {
        case "OBJECT_TABLE": return .table
        case "OBJECT_VIEW": return .view
        case "OBJECT_MATVIEW": return .materializedView
        case "OBJECT_INDEX": return .index
        case "OBJECT_SEQUENCE": return .sequence
        case "OBJECT_SCHEMA": return .schema
        case "OBJECT_FUNCTION", "OBJECT_AGGREGATE", "OBJECT_ROUTINE": return .function
        case "OBJECT_PROCEDURE": return .procedure
        case "OBJECT_TRIGGER": return .trigger
        case "OBJECT_TYPE": return .type
        case "OBJECT_DOMAIN": return .domain
        case "OBJECT_EXTENSION": return .extension
        case "OBJECT_POLICY": return .policy
        case "OBJECT_RULE": return .rule
        case "OBJECT_FOREIGN_TABLE": return .foreignTable
        case "OBJECT_FOREIGN_SERVER": return .server
        case "OBJECT_PUBLICATION": return .publication
        default: return .other
        }
    }
}
