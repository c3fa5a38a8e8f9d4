import Codecs
import Foundation
import Testing

/// Masked results through real client libraries: psql (text), psycopg2 (text, typed
/// parsing of int8/numeric/jsonb) and psycopg 3 in binary mode. Each must read the rows
/// without error, see NULL where a non-text value was masked, and never see the secret.
/// Needs Debian's postgresql-client-15, python3-psycopg2 and python3-psycopg.
@Suite(.serialized) struct RealClientMaskingTests {
    static let sql = """
        select 'alice@example.com'::text as email, 4111111111111111::int8 as card, \
        '{"ssn": "078-05-1120"}'::jsonb as doc, 1234.56::numeric as salary, 'visible'::text as plain, \
        'Zoë Ångström'::varchar as name
        """
    static let actions: [String: CellMaskAction] = [
        "email": .redact(.keepLast4), "card": .redact(.full), "doc": .redact(.full), "salary": .redact(.full), "name": .redact(.full),
    ]

    static func output(_ executable: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func psqlAndPsycopgReadMaskedRows() throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        let proxy = try MaskingTestProxy(upstreamPort: UInt16(server.port), actions: Self.actions)
        defer { proxy.stop() }
        let dsn = "host=127.0.0.1 port=\(proxy.port) user=postgres dbname=postgres sslmode=disable gssencmode=disable"

        let psql = try Self.output("/usr/bin/psql", [dsn, "-X", "-A", "-t", "-F", "|", "-c", Self.sql])
        #expect(psql.status == 0, "\(psql.text)")
        // jsonb `{"ssn": "078-05-1120"}` (22 bytes) becomes a 22-byte JSON string; 'Zoë Ångström'
        // (12 characters, 15 UTF-8 bytes) becomes 15 fill bytes; int8 and numeric become NULL.
        let json = "\"" + String(repeating: "*", count: 20) + "\""
        let name = String(repeating: "*", count: 15)
        #expect(psql.text == "*************.com||\(json)||visible|\(name)\n")

        let script = """
            import sys, psycopg2, psycopg
            dsn = sys.argv[1]; sql = sys.argv[2]
            c = psycopg2.connect(dsn); cur = c.cursor(); cur.execute(sql); print(repr(cur.fetchone())); c.close()
            with psycopg.connect(dsn) as c3:
                cur = c3.cursor(binary=True); cur.execute(sql); print(repr(cur.fetchone()))
            """
        let python = try Self.output("/usr/bin/python3", ["-c", script, dsn, Self.sql])
        #expect(python.status == 0, "\(python.text)")
        let lines = python.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let expected = "('*************.com', None, '\(String(repeating: "*", count: 20))', None, 'visible', '\(name)')"
        #expect(lines.first == expected)  // psycopg2, text format: jsonb parsed to a str
        #expect(lines.last == expected)  // psycopg 3, binary format
        #expect(!python.text.contains("4111") && !python.text.contains("078-05") && !python.text.contains("alice"))
    }
}
