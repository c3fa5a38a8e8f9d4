/// One SQL statement with `?` placeholders and its values, in the dialect both engines share.
/// PostgreSQL's engine renumbers the placeholders (`$1`, `$2`, ...).
struct StoreStatement: Sendable {
    var sql: String
    var values: [StoreValue]

    init(_ sql: String, _ values: [StoreValue] = []) {
        self.sql = sql
        self.values = values
    }

    /// The SQL with `?` replaced by `$1`, `$2`, ... (the statements hold no `?` in literals).
    var numberedSQL: String {
        var result = ""
        result.reserveCapacity(sql.utf8.count + values.count * 2)
        var next = 1
        for character in sql {
            if character == "?" {
                result += "$\(next)"
                next += 1
            } else {
                result.append(character)
            }
        }
        return result
    }
}
