import Codecs
import Gateway
import Testing

/// A rule scoped to a relation holds against the ways a statement can read that relation's
/// rows that were found to slip past it (issue: relation-scoped bypass classes). Each case goes
/// through the real classifier and the compiled policy, as a session decides it.
@Suite struct RelationScopedBypassTests {
    static let policy = """
        resources:
          - name: pg
            protocol: postgres
            listen: 127.0.0.1:1
            upstream: 127.0.0.1:2
            default: allow
            credentials:
              username: app
        groups:
          - name: analysts
            members: [carol]
        policies:
          - id: no-salaries
            resources: [pg]
            groups: [analysts]
            relations: [hr.salaries]
            deny: [read]
        """

    /// Statements that read hr.salaries' rows: every one must be denied.
    static let reads = [
        "SELECT * FROM hr.salaries",
        "TABLE hr.salaries",
        "TABLE ONLY hr.salaries",
        "SELECT 1 UNION TABLE hr.salaries",
        "WITH x AS (TABLE hr.salaries) SELECT * FROM x",
        "INSERT INTO public.copy TABLE hr.salaries",
        "INSERT INTO public.copy SELECT * FROM hr.salaries",
        "UPDATE public.t SET a = s.amount FROM hr.salaries s WHERE s.id = t.id",
        "UPDATE public.t SET a = (SELECT max(amount) FROM hr.salaries)",
        "DELETE FROM public.t USING hr.salaries s WHERE s.id = t.id",
        "DELETE FROM public.t WHERE id IN (SELECT id FROM hr.salaries)",
        "MERGE INTO public.t USING hr.salaries s ON t.id = s.id WHEN MATCHED THEN DELETE",
        "CREATE TABLE public.copy AS SELECT * FROM hr.salaries",
        "CREATE MATERIALIZED VIEW public.mv AS SELECT * FROM hr.salaries",
        // Functions that read a relation, cursor, schema or query named in a string: opaque.
        "SELECT table_to_xml('hr.salaries', true, false, '')",
        "SELECT table_to_xml_and_xmlschema('hr.salaries', true, false, '')",
        "SELECT query_to_xml('select * from hr.salaries', true, false, '')",
        "SELECT schema_to_xml('hr', true, false, '')",
        "SELECT database_to_xml(true, false, '')",
        "SELECT cursor_to_xml('c', 10, true, false, '')",
        "SELECT * FROM ts_stat('select v from hr.salaries')",
        // Identifiers spelled with Unicode escapes.
        #"SELECT * FROM U&"\0068r"."salaries""#,
        #"SELECT * FROM hr.U&"sal\0061ries""#,
        #"SELECT * FROM U&"h!0072" UESCAPE '!'.salaries"#,
        #"SELECT * FROM u&"hr" uescape '!'.salaries"#,
        // Statistics catalogs hold column values of every table (most common values, histograms).
        "SELECT most_common_vals FROM pg_stats WHERE tablename = 'salaries'",
        "SELECT * FROM pg_catalog.pg_statistic",
        "SELECT * FROM PG_STATS_EXT",
    ]

    /// Statements that do not read it stay allowed (the fixes are not a blanket deny).
    static let others = [
        "SELECT * FROM public.t",
        "TABLE public.t",
        #"SELECT * FROM U&"hr"."other""#,
        "INSERT INTO public.t VALUES (1)",
        "UPDATE public.t SET a = 1 WHERE id = 2",
        "CREATE TABLE public.empty AS SELECT * FROM hr.salaries WITH NO DATA",
    ]

    func decide(_ sql: String) throws -> Decision {
        let snapshot = PolicySnapshot(compiling: try ConfigLoader.parse(yaml: Self.policy))
        var session = PolicySession(store: PolicyStore(snapshot), identity: "carol", resource: "pg")
        let statement = StatementInput.classify(sql: sql)
        return statement.relations.withUnsafeBufferPointer { refs in
            statement.text.withUnsafeBytes { text in
                session.evaluate(classes: statement.classes, relations: refs, in: text, statementLength: statement.length)
            }
        }
    }

    @Test(arguments: reads)
    func readingTheRelationIsDenied(_ sql: String) throws {
        #expect(try decide(sql).action == .deny, "\(sql): \(StatementInput.classify(sql: sql).classes.names)")
    }

    @Test(arguments: others)
    func otherStatementsStayAllowed(_ sql: String) throws {
        #expect(try decide(sql).action == .allow, "\(sql): \(StatementInput.classify(sql: sql).classes.names)")
    }
}
