/// Python clients for ``PostgresMaskingGatewayTests``: each prints everything it received
/// (repr of every value, and error texts), so the test can search it for unmasked values.
enum PostgresMaskingScripts {
    /// psycopg 3 (text, binary, prepared, server-side cursor, pipeline, COPY) and psycopg2
    /// (plain and named cursor). argv: DSN. Prints one line per result and a last JSON line
    /// with the NULL/shape checks.
    static let readAll = #"""
        import sys, json, signal
        signal.alarm(90)
        import psycopg, psycopg2

        dsn = sys.argv[1]
        QUERIES = [
            "SELECT * FROM customers ORDER BY id",
            "SELECT ssn AS x, email AS y, card AS z FROM customers ORDER BY id",
            "SELECT string_agg(email, ',') FROM customers",
            "SELECT upper(card), card || '', lower(ssn) FROM customers ORDER BY id",
            "SELECT row_to_json(c) FROM customers c ORDER BY id",
            "SELECT tags, card_number FROM customers ORDER BY id",
        ]
        summary = {}
        def show(label, rows):
            print(label, repr(rows))

        with psycopg.connect(dsn, autocommit=True) as conn:
            for i, q in enumerate(QUERIES):
                show(f"p3-text-{i}", conn.execute(q).fetchall())
                show(f"p3-binary-{i}", conn.cursor(binary=True).execute(q).fetchall())
                show(f"p3-prepared-{i}", [conn.execute(q, prepare=True).fetchall() for _ in range(3)])
            with conn.transaction():
                cur = conn.cursor(name="masked_cursor")
                cur.execute("SELECT id, email, ssn, card FROM customers ORDER BY id")
                show("p3-named", cur.fetchmany(2) + cur.fetchall())
            with conn.pipeline():
                a = conn.execute("SELECT email FROM customers ORDER BY id")
                b = conn.execute("SELECT ssn FROM customers WHERE id = %s", (1,))
            show("p3-pipeline", a.fetchall() + b.fetchall())
            for label, sql in [("copy-text", "COPY customers TO STDOUT"),
                               ("copy-csv", "COPY customers TO STDOUT WITH (FORMAT csv, HEADER)"),
                               ("copy-columns", "COPY customers (id, ssn, note) TO STDOUT")]:
                with conn.cursor().copy(sql) as copy:
                    show(label, b"".join(bytes(block) for block in copy).decode())
            try:
                conn.execute("SELECT ssn::int FROM customers WHERE id = 1")
            except psycopg.Error as e:
                show("cast-error", str(e))
            # Unmasked values are byte-identical to the server's.
            summary["plain"] = conn.execute("SELECT id, note FROM customers WHERE id = 3").fetchall()
            summary["binary-id"] = conn.cursor(binary=True).execute("SELECT id, created FROM customers ORDER BY id").fetchall()
            summary["binary-tags"] = [r[0] for r in conn.cursor(binary=True).execute("SELECT tags FROM customers ORDER BY id")]
            summary["masked-types"] = conn.execute(
                "SELECT length(email), length(ssn) FROM customers WHERE id = 1").fetchall()

        conn2 = psycopg2.connect(dsn)
        cur = conn2.cursor()
        cur.execute("SELECT * FROM customers ORDER BY id")
        show("p2-plain", cur.fetchall())
        named = conn2.cursor(name="p2_named")
        named.execute("SELECT email, card, profile, prefs FROM customers ORDER BY id")
        show("p2-named", named.fetchall())
        conn2.close()
        summary["created"] = [str(r[1]) for r in summary.pop("binary-id")]
        print(json.dumps(summary, default=str))
        """#

    /// One psycopg 3 session across a reload. argv: DSN, a file it creates when its first
    /// read is done, a file it waits for before reading again, and where to write the JSON.
    static let acrossReload = #"""
        import sys, json, signal, os, time
        signal.alarm(90)
        import psycopg

        dsn, ready, go, out = sys.argv[1:5]
        with psycopg.connect(dsn, autocommit=True) as conn:
            before = conn.execute("SELECT name FROM items WHERE id = 7").fetchone()[0]
            open(ready, "w").close()
            while not os.path.exists(go):
                time.sleep(0.05)
            after = conn.execute("SELECT name FROM items WHERE id = 7").fetchone()[0]
            aliased = conn.execute("SELECT name AS label FROM items WHERE id = 7").fetchone()[0]
            prepared = conn.execute("SELECT name FROM items WHERE id = %s", (7,), prepare=True).fetchone()[0]
        with open(out, "w") as f:
            json.dump({"before": before, "after": after, "aliased": aliased, "prepared": prepared}, f)
        """#
}
