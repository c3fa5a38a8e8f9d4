import Codecs
import Gateway
import Testing

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }
private func s(_ b: [UInt8]?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }

/// Encodes one message with the codec's encoders.
private func encoded(_ body: (inout WireWriter) -> Void) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 8192)
    let count = try out.withUnsafeMutableBytes { buffer in
        var writer = WireWriter(buffer)
        body(&writer)
        return try writer.finish()
    }
    return Array(out[..<count])
}

private struct ColumnNamePlanner: ColumnMaskPlanner {
    var actions: [String: CellMaskAction]
    mutating func action(for column: ColumnDescriptionView, at index: Int) -> CellMaskAction {
        actions[String(decoding: column.name, as: UTF8.self)] ?? .keep
    }
}

/// A detector stand-in for these tests: masks runs of 13+ digits with `#`.
private struct LongDigitScanner: CellScanner {
    func maskInPlace(_ cell: UnsafeMutableRawBufferPointer) {
        var start = 0
        for i in 0...cell.count {
            let digit = i < cell.count && cell[i] >= 48 && cell[i] <= 57
            if !digit {
                if i - start >= 13 { for j in start..<i { cell[j] = UInt8(ascii: "#") } }
                start = i + 1
            }
        }
    }
}

/// The codec against a real PostgreSQL 15: SCRAM and MD5 logins, results masked
/// by the type-aware rule, COPY TO STDOUT masked, all through a 61-byte receive
/// buffer so messages cross buffer edges.
@Suite(.serialized) struct RealPostgresWireTests {
    private func startup(_ connection: WireTestConnection) throws {
        let message = try b("postgres").withUnsafeBytes { user in
            try b("postgres").withUnsafeBytes { db in try encoded { PostgresFrontendEncoder.startupMessage(&$0, user: user, database: db) } }
        }
        try connection.send(message)
    }

    /// Runs the SCRAM exchange; returns the first message after the client-final.
    private func scramLogin(_ connection: WireTestConnection, password: String) throws -> [UInt8] {
        try startup(connection)
        let request = try connection.receive().message
        let offered = try Array(request[5...]).withUnsafeBytes { body -> Bool in
            guard case .sasl(let list) = try AuthenticationMessageView(body: body) else { return false }
            try SCRAMSHA256Client<SwiftCryptoAuthPrimitives>.checkOffered(in: list)
            return true
        }
        #expect(offered, "first answer: \(request.prefix(80))")
        var scram = SCRAMSHA256Client(password: b(password), clientNonce: SCRAMSHA256Client<SwiftCryptoAuthPrimitives>.randomNonce(),
                                      primitives: SwiftCryptoAuthPrimitives())
        let first = try scram.clientFirstMessage()
        try connection.send(try first.withUnsafeBytes { data in
            try encoded { PostgresFrontendEncoder.saslInitialResponse(&$0, mechanism: "SCRAM-SHA-256", data: data) }
        })
        let challenge = try connection.receive().message
        let serverFirst = try Array(challenge[5...]).withUnsafeBytes { body -> [UInt8] in
            guard case .saslContinue(let data) = try AuthenticationMessageView(body: body) else { return [] }
            return Array(data)
        }
        let final = try scram.receive(serverFirst: serverFirst)
        try connection.send(try final.withUnsafeBytes { data in try encoded { PostgresFrontendEncoder.saslResponse(&$0, data: data) } })
        let outcome = try connection.receive().message
        if outcome.first == UInt8(ascii: "R") {
            let serverFinal = try Array(outcome[5...]).withUnsafeBytes { body -> [UInt8] in
                guard case .saslFinal(let data) = try AuthenticationMessageView(body: body) else { return [] }
                return Array(data)
            }
            try scram.receive(serverFinal: serverFinal)
            #expect(scram.state == .authenticated)
            return try connection.receive().message
        }
        return outcome
    }

    /// Reads until ReadyForQuery; returns the ParameterStatus values seen.
    private func readUntilReady(_ connection: WireTestConnection) throws -> [String: String] {
        var parameters: [String: String] = [:]
        while true {
            let (kind, message) = try connection.receive()
            if kind == UInt8(ascii: "S") {
                try Array(message[5...]).withUnsafeBytes { body in
                    let view = try ParameterStatusView(body: body)
                    parameters[s(Array(view.name))!] = s(Array(view.value))
                }
            }
            if kind == UInt8(ascii: "E") { Issue.record("server error: \(s(Array(message)) ?? "")") }
            if kind == UInt8(ascii: "Z") { return parameters }
        }
    }

    private func query(_ connection: WireTestConnection, _ sql: String) throws {
        try connection.send(try b(sql).withUnsafeBytes { text in try encoded { PostgresFrontendEncoder.query(&$0, sql: text) } })
    }

    @Test func scramLoginThenMaskedRowsAndCopy() throws {
        let server = try PostgresServer.start(authMethod: "scram-sha-256")
        defer { server.stop() }
        let connection = try WireTestConnection(port: UInt16(server.port))
        let afterAuth = try scramLogin(connection, password: PostgresServer.password)
        #expect(afterAuth.first == UInt8(ascii: "R"))  // AuthenticationOk
        let parameters = try readUntilReady(connection)
        #expect(parameters["server_version"]?.hasPrefix("15") == true)

        try query(connection, """
            select 'alice@example.com'::text as email, 4111111111111111::int8 as card, \
            '{"card": "4111111111111111"}'::jsonb as doc, 'call 4111111111111111 now'::varchar as note, \
            null::text as nothing, 42::numeric as amount, 'ok'::text as plain
            """)
        var table = PostgresColumnTable()
        var planner = ColumnNamePlanner(actions: ["email": .redact(.keepLast4), "card": .redact(.full), "doc": .scan,
                                                  "note": .scan, "nothing": .redact(.full), "amount": .scan])
        var rows: [[String?]] = []
        while true {
            var (kind, message) = try connection.receive()
            if kind == UInt8(ascii: "T") {
                try Array(message[5...]).withUnsafeBytes { try table.load(try RowDescriptionView(body: $0), planner: &planner) }
            } else if kind == UInt8(ascii: "D") {
                let length = try message.withUnsafeMutableBytes { try DataRowMasker.mask(message: $0, columns: table, scanner: LongDigitScanner()) }
                message = Array(message[..<length])
                try Array(message[5...]).withUnsafeBytes { body in
                    let view = try DataRowView(body: body)
                    rows.append(view.map { s(view.value($0).map { Array($0) }) })
                }
            } else if kind == UInt8(ascii: "Z") {
                break
            }
        }
        #expect(rows.count == 1)
        #expect(rows.first == [
            "*************.com", nil, "\"" + String(repeating: "*", count: 26) + "\"", "call ################ now", nil, "42", "ok",
        ])

        try query(connection, "copy (select 'bob@example.com' as email, 42 as n, E'tab\\there' as t) to stdout")
        var copyTable = PostgresColumnTable()
        var copied: [String] = []
        while true {
            var (kind, message) = try connection.receive()
            if kind == UInt8(ascii: "H") {
                let count = try Array(message[5...]).withUnsafeBytes { try CopyResponseView(type: kind, body: $0).columnCount }
                #expect(count == 3)
                try copyTable.append(PostgresColumn(typeOID: PostgresTypeCategory.OID.text, action: .redact(.keepLast4)))
                try copyTable.append(PostgresColumn(typeOID: PostgresTypeCategory.OID.int4, action: .keep))
                try copyTable.append(PostgresColumn(typeOID: PostgresTypeCategory.OID.text, action: .redact(.full)))
            } else if kind == UInt8(ascii: "d") {
                try message.withUnsafeMutableBytes { try CopyTextMasker.mask(message: $0, columns: copyTable, format: .text, scanner: NoCellScanner()) }
                copied.append(s(Array(message[5...]))!)
            } else if kind == UInt8(ascii: "Z") {
                break
            }
        }
        // `tab\there` is 9 bytes on the wire; the escape `\t` is overwritten whole.
        #expect(copied == ["***********.com\t42\t*********\n"])
        #expect(connection.decoder.reassembledCount > 0)
        try connection.send(try encoded { PostgresFrontendEncoder.terminate(&$0) })
    }

    @Test func wrongPasswordIsRefusedByTheServer() throws {
        let server = try PostgresServer.start(authMethod: "scram-sha-256")
        defer { server.stop() }
        let connection = try WireTestConnection(port: UInt16(server.port))
        let outcome = try scramLogin(connection, password: "wrong")
        #expect(outcome.first == UInt8(ascii: "E"))
        try Array(outcome[5...]).withUnsafeBytes { body in
            let view = try ErrorNoticeView(type: UInt8(ascii: "E"), body: body)
            #expect(s(view.field(ErrorNoticeView.FieldCode.sqlState).map { Array($0) }) == "28P01")
        }
    }

    @Test func md5Login() throws {
        let server = try PostgresServer.start(authMethod: "md5")
        defer { server.stop() }
        // initdb --auth=md5 also sets password_encryption = md5, so the password is
        // stored as an MD5 hash and the server asks for AuthenticationMD5Password.
        let second = try WireTestConnection(port: UInt16(server.port))
        try startup(second)
        let request = try second.receive().message
        let salt = try Array(request[5...]).withUnsafeBytes { body -> UInt32? in
            guard case .md5Password(let salt) = try AuthenticationMessageView(body: body) else { return nil }
            return salt
        }
        let saltValue = try #require(salt)
        let response = MD5Password.response(user: b("postgres"), password: b(PostgresServer.password), salt: saltValue,
                                             primitives: SwiftCryptoAuthPrimitives())
        try second.send(try response.withUnsafeBytes { pw in try encoded { PostgresFrontendEncoder.passwordMessage(&$0, password: pw) } })
        let ok = try second.receive().message
        try Array(ok[5...]).withUnsafeBytes { body in
            guard case .ok = try AuthenticationMessageView(body: body) else {
                Issue.record("expected AuthenticationOk")
                return
            }
        }
        _ = try readUntilReady(second)
    }
}
