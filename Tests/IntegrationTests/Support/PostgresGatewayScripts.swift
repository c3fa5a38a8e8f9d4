/// Python client scripts for ``PostgresGatewayTests`` (run with Debian's /usr/bin/python3,
/// where psycopg 3 and psycopg2 import). Each takes a libpq connection string as its first
/// argument and prints one JSON object; a SIGALRM guard ends a hung script.
enum PostgresGatewayScripts {
    /// Read-only work through psycopg 3 (text, binary, prepared, server-side cursors) and
    /// psycopg2 (client-side parameters, named cursor). Run directly and through the gateway,
    /// the outputs must be identical.
    static let reads = #"""
        import sys, json, signal
        signal.alarm(90)
        import psycopg, psycopg2

        dsn = sys.argv[1]
        out = {}
        TYPES = ("SELECT 1::int2, 2::int4, 3::int8, 1.25::numeric, 2.5::float8, true, 'zoë'::text, "
                 "'\\xdeadbeef'::bytea, ARRAY[1, 2, 3], '{\"a\": [1, 2]}'::jsonb, '2024-02-29'::date, "
                 "'2024-02-29 12:34:56+00'::timestamptz, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL::text")
        with psycopg.connect(dsn) as conn:
            cur = conn.cursor()
            cur.execute("SELECT id, name, qty FROM items ORDER BY id")
            out["text_rows"] = cur.fetchall()
            cur.execute("SELECT id, name FROM items WHERE id BETWEEN %s AND %s ORDER BY id", (10, 20))
            out["text_params"] = cur.fetchall()
            out["text_types"] = [repr(v) for v in conn.execute(TYPES).fetchone()]
            bcur = conn.cursor(binary=True)
            bcur.execute(TYPES)
            out["binary_types"] = [repr(v) for v in bcur.fetchone()]
            bcur.execute("SELECT id, name, qty FROM items WHERE id > %s ORDER BY id", (90,))
            out["binary_rows"] = bcur.fetchall()
            prepared = []
            for i in range(1, 8):
                cur.execute("SELECT name FROM items WHERE id = %s", (i,), prepare=True)
                prepared.append(cur.fetchone()[0])
            out["prepared"] = prepared
            with conn.cursor(name="rg_named") as ncur:
                ncur.itersize = 7
                ncur.execute("SELECT id, qty FROM items WHERE id <= %s ORDER BY id", (40,))
                out["named_cursor"] = list(ncur)
            with conn.cursor(name="rg_named_binary", binary=True) as ncur:
                ncur.execute("SELECT id, name FROM items ORDER BY id DESC")
                out["named_cursor_binary"] = ncur.fetchmany(5) + ncur.fetchmany(5)
            conn.rollback()
            out["executemany_read"] = [r for r in conn.execute("SELECT count(*) FROM items").fetchall()]
        c2 = psycopg2.connect(dsn)
        cur2 = c2.cursor()
        cur2.execute("SELECT id, name, qty FROM items WHERE qty > %s ORDER BY id LIMIT 10", (30,))
        out["psycopg2_rows"] = [list(r) for r in cur2.fetchall()]
        cur2.execute(TYPES.replace("'\\xdeadbeef'::bytea, ", ""))
        out["psycopg2_types"] = [repr(v) for v in cur2.fetchone()]
        ncur2 = c2.cursor(name="rg_psycopg2_named")
        ncur2.itersize = 3
        ncur2.execute("SELECT id FROM items ORDER BY id LIMIT 10")
        out["psycopg2_named"] = [r[0] for r in ncur2]
        c2.rollback()
        c2.close()
        print(json.dumps(out, sort_keys=True, default=str))
        """#

    /// Allowed writes through psycopg 3 (parameters, executemany, transaction) and psycopg2.
    static let writes = #"""
        import sys, json, signal
        signal.alarm(90)
        import psycopg, psycopg2

        dsn = sys.argv[1]
        out = {}
        with psycopg.connect(dsn) as conn:
            conn.execute("INSERT INTO scratch (note) VALUES (%s)", ("psycopg3-param",))
            conn.cursor().executemany("INSERT INTO scratch (note) VALUES (%s)", [("psycopg3-many-1",), ("psycopg3-many-2",)])
            conn.cursor(binary=True).execute("UPDATE scratch SET note = note || %s WHERE note LIKE %s", ("!", "psycopg3-%"))
            conn.commit()
            conn.execute("INSERT INTO scratch (note) VALUES ('psycopg3-rolled-back')")
            conn.rollback()
            out["psycopg3"] = [r[0] for r in conn.execute("SELECT note FROM scratch WHERE note LIKE 'psycopg3-%' ORDER BY note")]
        c2 = psycopg2.connect(dsn)
        cur = c2.cursor()
        cur.execute("INSERT INTO scratch (note) VALUES (%s) RETURNING id", ("psycopg2-param",))
        out["psycopg2_returning"] = cur.fetchone()[0] > 0
        c2.commit()
        cur.execute("SELECT note FROM scratch WHERE note LIKE 'psycopg2-%' ORDER BY note")
        out["psycopg2"] = [r[0] for r in cur.fetchall()]
        c2.close()
        print(json.dumps(out, sort_keys=True))
        """#

    /// Destructive statements in every protocol form psycopg has: simple (no parameters),
    /// extended (`prepare=True`, binary, with parameters), multi-statement, pipeline mode,
    /// and psycopg2 (simple, inside its implicit transaction). Each denial records the
    /// SQLSTATE and primary message; after each, an allowed statement runs on the same connection.
    static let blocked = #"""
        import sys, json, signal
        signal.alarm(90)
        import psycopg, psycopg2

        dsn = sys.argv[1]
        out = {}
        DESTRUCTIVE = [
            ("drop", "DROP TABLE items"),
            ("truncate", "TRUNCATE items"),
            ("delete-without-where", "DELETE FROM items"),
            ("update-without-where", "UPDATE items SET qty = 0"),
            ("alter", "ALTER TABLE items ADD COLUMN extra int"),
            ("opaque", "DO $$ BEGIN EXECUTE 'DROP TABLE items'; END $$"),
            ("multi", "SELECT 1; DROP TABLE items"),
        ]
        PARAMETRIZED = [
            ("update-without-where", "UPDATE items SET qty = %s", (0,)),
            ("delete-without-where", "WITH d AS (DELETE FROM items RETURNING id) SELECT count(*) + %s FROM d", (1,)),
            ("alter", "ALTER TABLE items RENAME TO items_renamed_%s", (1,)),
        ]

        def outcome(run):
            try:
                run()
                return {"state": "executed"}
            except psycopg.Error as e:
                return {"state": e.sqlstate, "message": e.diag.message_primary}
            except psycopg2.Error as e:
                return {"state": e.pgcode, "message": e.diag.message_primary}

        with psycopg.connect(dsn, autocommit=True) as conn:
            def count():
                return conn.execute("SELECT count(*) FROM items").fetchone()[0]
            for label, sql in DESTRUCTIVE:
                out[f"{label}/simple"] = outcome(lambda: conn.execute(sql))
                out[f"{label}/simple"]["after"] = count()
                out[f"{label}/prepare"] = outcome(lambda: conn.execute(sql, prepare=True))
                out[f"{label}/prepare"]["after"] = count()
                out[f"{label}/binary"] = outcome(lambda: conn.cursor(binary=True).execute(sql))
                out[f"{label}/binary"]["after"] = count()
            for label, sql, params in PARAMETRIZED:
                out[f"{label}/params"] = outcome(lambda: conn.execute(sql, params))
                out[f"{label}/params"]["after"] = count()

        # Pipeline mode: the denied statement and the INSERT queued behind it before the Sync
        # must both be dropped; statements after the Sync run.
        with psycopg.connect(dsn, autocommit=True) as conn:
            with conn.pipeline():
                first = conn.execute("SELECT count(*) FROM items")
            out["pipeline/before"] = first.fetchone()[0]
            def denied_then_insert():
                with conn.pipeline():
                    conn.execute("DROP TABLE items")
                    conn.execute("INSERT INTO scratch (note) VALUES ('pipeline-after-denied')")
            out["pipeline/drop"] = outcome(denied_then_insert)
            with conn.pipeline():
                third = conn.execute("SELECT count(*) FROM items")
                conn.execute("INSERT INTO scratch (note) VALUES ('pipeline-after-sync')")
            out["pipeline/after"] = third.fetchone()[0]

        # In a transaction: the denial, then ROLLBACK, then the connection goes on.
        with psycopg.connect(dsn) as conn:
            conn.execute("SELECT 1")
            out["transaction/truncate"] = outcome(lambda: conn.execute("TRUNCATE items", prepare=True))
            conn.rollback()
            out["transaction/after"] = conn.execute("SELECT count(*) FROM items").fetchone()[0]

        c2 = psycopg2.connect(dsn)
        cur = c2.cursor()
        for label, sql in DESTRUCTIVE:
            out[f"{label}/psycopg2"] = outcome(lambda: cur.execute(sql))
            c2.rollback()
            cur.execute("SELECT count(*) FROM items")
            out[f"{label}/psycopg2"]["after"] = cur.fetchone()[0]
        c2.close()
        print(json.dumps(out, sort_keys=True))
        """#

    /// The protocol cancel: psycopg's `conn.cancel()` (CancelRequest with the key the gateway
    /// gave) on a running `pg_sleep(30)`, sent once the server shows the query active.
    /// Also psycopg2's `cancel()`. Prints the outcome and the time taken.
    static let cancel = #"""
        import sys, json, signal, threading, time
        signal.alarm(90)
        import psycopg, psycopg2

        dsn = sys.argv[1]
        out = {}

        def cancel_when_running(cancel):
            time.sleep(0.5)
            with psycopg.connect(dsn, autocommit=True) as watcher:
                for _ in range(200):
                    active = watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'"
                    ).fetchone()[0]
                    if active:
                        break
                    time.sleep(0.05)
            cancel()

        with psycopg.connect(dsn, autocommit=True) as conn:
            thread = threading.Thread(target=cancel_when_running, args=(conn.cancel,))
            thread.start()
            start = time.monotonic()
            try:
                conn.execute("SELECT pg_sleep(30)")
                out["psycopg3"] = "completed"
            except psycopg.errors.QueryCanceled as e:
                out["psycopg3"] = "canceled:" + e.sqlstate
            except psycopg.Error as e:
                out["psycopg3"] = "error:" + str(e.sqlstate) + ":" + str(e)
            out["psycopg3_seconds"] = time.monotonic() - start
            thread.join()
            out["psycopg3_after"] = conn.execute("SELECT 7").fetchone()[0]

        c2 = psycopg2.connect(dsn)
        c2.autocommit = True
        thread = threading.Thread(target=cancel_when_running, args=(c2.cancel,))
        thread.start()
        start = time.monotonic()
        cur = c2.cursor()
        try:
            cur.execute("SELECT pg_sleep(30)")
            out["psycopg2"] = "completed"
        except psycopg2.errors.QueryCanceled as e:
            out["psycopg2"] = "canceled:" + e.pgcode
        except psycopg2.Error as e:
            out["psycopg2"] = "error:" + str(e.pgcode) + ":" + str(e)
        out["psycopg2_seconds"] = time.monotonic() - start
        thread.join()
        cur.execute("SELECT 8")
        out["psycopg2_after"] = cur.fetchone()[0]
        c2.close()
        print(json.dumps(out, sort_keys=True))
        """#

    /// Connects with the given DSN (token in it) and reports the failure, if any.
    static let connect = #"""
        import sys, json, signal
        signal.alarm(60)
        import psycopg

        out = {}
        try:
            with psycopg.connect(sys.argv[1]) as conn:
                out["user"] = conn.execute("SELECT current_user").fetchone()[0]
        except psycopg.Error as e:
            out["error"] = str(e)
            out["sqlstate"] = getattr(e, "sqlstate", None)
        print(json.dumps(out))
        """#
}
