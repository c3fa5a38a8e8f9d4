/// Built-in functions whose calls have effects beyond reading rows, so that a statement
/// calling them is not a plain read.
///
/// ``StatementClass/read`` means the statement's *syntax* only reads: any function a SELECT
/// calls may still write (user-defined functions can do anything, and the classifier cannot
/// see into them). This list catches the well-known built-ins and common extensions that
/// touch the server's files, other sessions, configuration, large objects or other
/// databases, or run SQL given as a string; a statement calling one gets
/// ``StatementClass/opaque`` added. A trailing `*` matches a prefix.
public enum SQLSideEffectFunctions {
    /// The names matched (lower case; PostgreSQL folds unquoted names).
    public static let patterns: [String] = [
        // Server files and directories.
        "pg_read_file", "pg_read_binary_file", "pg_stat_file", "pg_ls_*", "pg_file_*", "pg_logdir_ls",
        // Large objects (server-side import/export, writes).
        "lo_*", "loread", "lowrite",
        // Other sessions, configuration and cluster control.
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
        "pg_promote", "pg_switch_wal", "pg_create_restore_point", "pg_backup_start", "pg_backup_stop",
        "pg_start_backup", "pg_stop_backup", "set_config", "pg_log_backend_memory_contexts",
        "pg_import_system_collations",
        // Replication slots and origins, logical decoding messages.
        "pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
        "pg_drop_replication_slot", "pg_copy_physical_replication_slot",
        "pg_copy_logical_replication_slot", "pg_replication_origin_*", "pg_logical_emit_message",
        "pg_logical_slot_get_*", "pg_replication_slot_advance",
        // Sequences (setval rewrites a sequence's state).
        "setval",
        // Run SQL text or reach other databases.
        "query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema", "dblink*",
        // Read a relation, cursor, schema or database named in a string: what they read is not
        // in the statement's text, so the statement counts as opaque (fail closed).
        "table_to_xml", "table_to_xml_and_xmlschema", "table_to_xmlschema",
        "cursor_to_xml", "cursor_to_xmlschema",
        "schema_to_xml", "schema_to_xml_and_xmlschema", "schema_to_xmlschema",
        "database_to_xml", "database_to_xml_and_xmlschema", "database_to_xmlschema",
        "ts_stat", "ts_rewrite", "currtid2",
    ]

    @usableFromInline
    static let compiled: [(bytes: [UInt8], isPrefix: Bool)] = patterns.map { pattern in
        var bytes = Array(pattern.utf8)
        let isPrefix = bytes.last == UInt8(ascii: "*")
        if isPrefix { bytes.removeLast() }
        return (bytes, isPrefix)
    }

    /// Bit `b - 0x40` is set when some pattern starts with byte `b` (all start with a letter).
    @usableFromInline
    static let firstBytes: UInt64 = compiled.reduce(0) { mask, entry in
        guard let first = entry.bytes.first, first >= 0x40 && first < 0x80 else { return ~0 }
        return mask | 1 << UInt64(first &- 0x40)
    }

    /// Bit `(first ^ second << 1) & 63` is set for the first two bytes (lower case) of every
    /// pattern (all have at least three).
    @usableFromInline
    static let firstPairs: UInt64 = compiled.reduce(0) { mask, entry in
        guard entry.bytes.count >= 2 else { return ~0 }
        return mask | 1 << (UInt64(entry.bytes[0] ^ (entry.bytes[1] << 1)) & 63)
    }

    /// Whether `name` (an identifier's bytes, quotes removed) is on the list. Unquoted names
    /// compare with ASCII letters folded to lower case.
    @inlinable
    public static func matches(_ name: UnsafeRawBufferPointer, caseSensitive: Bool) -> Bool {
        // Most calls (count, sum, coalesce ...) fail on the first letter.
        if name.count > 0 {
            let first = name[0]
            let folded = !caseSensitive && first >= 0x41 && first <= 0x5A ? first | 0x20 : first
            let possible = folded >= 0x40 && folded < 0x80
                ? firstBytes & (1 << UInt64(folded &- 0x40)) != 0
                : firstBytes == ~0
            if !possible { return false }
            // `sum`, `set_config`: the second byte tells most apart.
            if name.count >= 2 {
                let second = name[1]
                let foldedSecond = !caseSensitive && second >= 0x41 && second <= 0x5A ? second | 0x20 : second
                if firstPairs & (1 << (UInt64(folded ^ (foldedSecond << 1)) & 63)) == 0 { return false }
            } else if firstPairs != ~0 {
                return false  // one byte: every pattern is longer
            }
        }
        return compiled.withUnsafeBufferPointer { entries in
            for entry in entries {
                let count = entry.bytes.count
                if entry.isPrefix ? name.count < count : name.count != count { continue }
                let equal = entry.bytes.withUnsafeBufferPointer { pattern -> Bool in
                    var index = 0
                    while index < count {
                        var byte = name[index]
                        if !caseSensitive && byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
                        if byte != pattern[index] { return false }
                        index &+= 1
                    }
                    return true
                }
                if equal { return true }
            }
            return false
        }
    }
}
