/// Query texts for the classification benchmarks, about 1 KiB each, kept in stable buffers.
public enum SQLQueries {
    /// A realistic single reporting SELECT with joins, a CTE, a subquery, string literals,
    /// casts, a window function and a comment, padded with column aliases to 1,024 bytes.
    public static let joinSelect: String = {
        let head = """
            -- monthly revenue per customer segment
            WITH recent AS (SELECT o.customer_id, o.id, o.total_cents, o.created_at \
            FROM sales.orders o WHERE o.created_at >= now() - interval '30 days' AND o.status <> 'cancelled') \
            SELECT c.id, c.name, c.email, s.name AS segment, r.name AS region, \
            count(DISTINCT recent.id) AS orders, sum(recent.total_cents)::numeric / 100 AS revenue, \
            max(recent.created_at) AS last_order, \
            rank() OVER (PARTITION BY s.id ORDER BY sum(recent.total_cents) DESC) AS seg_rank
            """
        let tail = """
             FROM public.customers AS c \
            JOIN recent ON recent.customer_id = c.id \
            JOIN sales.line_items li ON li.order_id = recent.id \
            LEFT JOIN crm.segments s ON s.id = c.segment_id \
            LEFT OUTER JOIN "Geo"."Regions" r ON r.code = c.region_code \
            WHERE c.deleted_at IS NULL AND c.country IN ('DE', 'FR', 'IT', 'ES') \
            AND c.id NOT IN (SELECT customer_id FROM crm.blocklist WHERE reason = 'fraud') \
            GROUP BY c.id, c.name, c.email, s.id, s.name, r.name \
            HAVING sum(recent.total_cents) > 10000 \
            ORDER BY revenue DESC, c.name ASC LIMIT 100 OFFSET $1
            """
        // Pad with extra selected columns (", c.extra_N") to just under 1 KiB, then spaces.
        var columns = ""
        var column = 0
        while head.utf8.count + columns.utf8.count + tail.utf8.count < 1024 - 16 {
            columns += ", c.extra_\(column)"
            column += 1
        }
        var text = head + columns + tail
        while text.utf8.count < 1024 { text += " " }
        precondition(text.utf8.count == 1024, "the join query is \(text.utf8.count) bytes")
        return text
    }()

    /// A 1 KiB multi-statement script mixing the constructs the classifier inspects
    /// (the one of the SQL allocation test): a data-modifying CTE, nested comments,
    /// escaped and dollar-quoted strings, SELECT INTO, UPDATE, EXPLAIN ANALYZE, COPY,
    /// a side-effect function, DROP, then short SELECTs up to 1 KiB (27 statements).
    public static let script: String = {
        var text = "WITH d AS (DELETE FROM t WHERE id = $1 RETURNING *), /* nested /* comment */ */ "
            + "x AS (SELECT a, b FROM s.u JOIN v ON u.id = v.id WHERE v.name = 'it''s' AND e = E'\\n') "
            + "SELECT * INTO TEMP out FROM d, x WHERE x.a IN (SELECT a FROM w) AND x.b = $tag$;$tag$; "
            + "UPDATE \"Quoted\" SET c = 1; EXPLAIN ANALYZE DELETE FROM t; COPY (SELECT 1) TO STDOUT; "
            + "SELECT pg_read_file('x'); DROP TABLE IF EXISTS a, b; "
        while text.utf8.count < 1024 { text += "SELECT col FROM tab WHERE col = 'v'; " }
        return String(text.utf8.prefix(1024))!
    }()

    /// A 1 KiB bulk INSERT: one statement of three-integer VALUES rows (numbers are most of its
    /// tokens), padded with spaces to 1,024 bytes.
    public static let insertValues: String = {
        var text = "INSERT INTO sales.readings (sensor_id, minute, value) VALUES "
        var row = 0
        while text.utf8.count < 1024 - 40 {
            text += "(\(1000 + row), \(row * 7), \(250_000 + row * 13)), "
            row += 1
        }
        text += "(0, 0, 0)"
        while text.utf8.count < 1024 { text += " " }
        precondition(text.utf8.count == 1024, "the insert is \(text.utf8.count) bytes")
        return text
    }()

    /// `text`'s UTF-8 bytes in a buffer that lives for the process (never deallocated).
    public static func stableBytes(_ text: String) -> StableBytes {
        let utf8 = Array(text.utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: utf8.count, alignment: 16)
        buffer.copyBytes(from: utf8)
        return StableBytes(bytes: UnsafeRawBufferPointer(buffer))
    }
}

/// Immutable bytes that live for the whole process, shareable with benchmark closures.
public struct StableBytes: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
}
