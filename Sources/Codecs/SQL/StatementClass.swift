/// What a SQL statement does, judged by its effect rather than its first word.
///
/// A statement may carry several classes at once: `WITH d AS (DELETE FROM t) SELECT * FROM d`
/// is both ``read`` and ``write``; `DELETE FROM t` is ``write`` and ``deleteWithoutWhere``.
/// This is the vocabulary shared by the SQL classifier (which produces it) and the policy
/// engine (which rules on it). ``opaque`` marks what cannot be seen into; policy must never
/// treat it as safe.
public struct StatementClass: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Reads data (SELECT, TABLE, VALUES, SHOW, EXPLAIN without ANALYZE, COPY ... TO).
    public static let read = StatementClass(rawValue: 1 << 0)
    /// Modifies rows: INSERT, UPDATE, DELETE, MERGE (also inside WITH, COPY (...) and
    /// EXPLAIN ANALYZE), COPY ... FROM, SELECT ... INTO.
    public static let write = StatementClass(rawValue: 1 << 1)
    /// A DELETE with no WHERE clause (every row of the target goes).
    public static let deleteWithoutWhere = StatementClass(rawValue: 1 << 2)
    /// An UPDATE with no WHERE clause (every row of the target changes).
    public static let updateWithoutWhere = StatementClass(rawValue: 1 << 3)
    /// TRUNCATE.
    public static let truncate = StatementClass(rawValue: 1 << 4)
    /// DROP of any object; the object kind is reported separately.
    public static let drop = StatementClass(rawValue: 1 << 5)
    /// ALTER of any object (except roles, which are ``grant``), COMMENT ON, SECURITY LABEL.
    public static let alter = StatementClass(rawValue: 1 << 6)
    /// CREATE of any object (except roles and functions with bodies, see ``opaque``).
    public static let create = StatementClass(rawValue: 1 << 7)
    /// Privileges and roles: GRANT, REVOKE, CREATE/ALTER/DROP ROLE|USER|GROUP,
    /// ALTER DEFAULT PRIVILEGES, REASSIGN OWNED, SET ROLE, SET SESSION AUTHORIZATION.
    public static let grant = StatementClass(rawValue: 1 << 8)
    /// COPY ... FROM (rows flow into the database).
    public static let copyFrom = StatementClass(rawValue: 1 << 9)
    /// COPY ... TO (rows flow out of the database).
    public static let copyTo = StatementClass(rawValue: 1 << 10)
    /// COPY ... PROGRAM: runs a shell command on the database host.
    public static let copyProgram = StatementClass(rawValue: 1 << 11)
    /// BEGIN, START TRANSACTION, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, PREPARE TRANSACTION ...
    public static let transaction = StatementClass(rawValue: 1 << 12)
    /// SET, RESET, SET CONSTRAINTS and other session settings.
    public static let set = StatementClass(rawValue: 1 << 13)
    /// Maintenance and session utilities that neither read nor write user rows:
    /// VACUUM, ANALYZE, CHECKPOINT, LISTEN, NOTIFY, UNLISTEN, DISCARD, DEALLOCATE, LOCK ...
    public static let utility = StatementClass(rawValue: 1 << 14)
    /// What cannot be seen into: DO blocks, EXECUTE of a prepared statement, CALL, function
    /// bodies, and any syntax the classifier does not know. Never safe by default.
    public static let opaque = StatementClass(rawValue: 1 << 15)

    /// Every class, in declaration order, with its configuration name.
    public static let allNamed: [(name: String, value: StatementClass)] = [
        ("read", .read),
        ("write", .write),
        ("delete-without-where", .deleteWithoutWhere),
        ("update-without-where", .updateWithoutWhere),
        ("truncate", .truncate),
        ("drop", .drop),
        ("alter", .alter),
        ("create", .create),
        ("grant", .grant),
        ("copy-from", .copyFrom),
        ("copy-to", .copyTo),
        ("copy-program", .copyProgram),
        ("transaction", .transaction),
        ("set", .set),
        ("utility", .utility),
        ("opaque", .opaque),
    ]

    /// The class with the given configuration name (as in ``allNamed``), if any.
    public init?(name: String) {
        guard let match = Self.allNamed.first(where: { $0.name == name }) else { return nil }
        self = match.value
    }

    /// Configuration names of the classes set here, in declaration order.
    public var names: [String] {
        Self.allNamed.filter { contains($0.value) }.map(\.name)
    }
}

/// The kind of object a DROP statement removes.
public enum DropObjectKind: UInt8, Sendable, Hashable, CaseIterable {
    case table, view, materializedView, index, sequence, schema, database, function, procedure
    case trigger, type, domain, `extension`, role, tablespace, policy, rule, foreignTable
    case server, publication, subscription, owned, other
}
