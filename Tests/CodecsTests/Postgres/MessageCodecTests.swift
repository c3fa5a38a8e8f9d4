import Codecs
import Testing

/// Encodes with `body` into a fresh buffer, then decodes the result as one whole frame.
func encode(capacity: Int = 4096, _ body: (inout WireWriter) -> Void) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: capacity)
    let count = try out.withUnsafeMutableBytes { buffer in
        var writer = WireWriter(buffer)
        body(&writer)
        return try writer.finish()
    }
    return Array(out[..<count])
}

/// Decodes `bytes` (exactly one message) and hands its body to `check`.
func withSingleFrame(_ bytes: [UInt8], sender: PostgresFrameDecoderConfiguration.Sender,
                     _ check: (PostgresFrameKind, UnsafeRawBufferPointer) throws -> Void) throws {
    var decoder = PostgresFrameDecoder(configuration: PostgresFrameDecoderConfiguration(sender: sender))
    try bytes.withUnsafeBytes { buffer in
        var cursor = 0
        guard case .frame(let frame) = decoder.next(in: buffer, at: &cursor) else {
            Issue.record("expected one frame")
            return
        }
        #expect(frame.length == bytes.count)
        #expect(decoder.next(in: buffer, at: &cursor) == .needMoreData)
        try check(frame.kind, frame.body(in: buffer))
    }
}

func text(_ bytes: UnsafeRawBufferPointer?) -> String? {
    bytes.map { String(decoding: $0, as: UTF8.self) }
}

func withBytes<R>(_ string: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try Array(string.utf8).withUnsafeBytes(body)
}

@Suite struct BackendEncoderRoundTripTests {
    @Test func authenticationRequests() throws {
        try withSingleFrame(try encode { PostgresBackendEncoder.authenticationOk(&$0) }, sender: .backend) { kind, body in
            #expect(kind == .message(UInt8(ascii: "R")))
            guard case .ok = try AuthenticationMessageView(body: body) else { Issue.record("not ok"); return }
        }
        try withSingleFrame(try encode { PostgresBackendEncoder.authenticationCleartextPassword(&$0) }, sender: .backend) { _, body in
            guard case .cleartextPassword = try AuthenticationMessageView(body: body) else { Issue.record("not cleartext"); return }
        }
        try withSingleFrame(try encode { PostgresBackendEncoder.authenticationMD5Password(&$0, salt: 0xDEAD_BEEF) }, sender: .backend) { _, body in
            guard case .md5Password(let salt) = try AuthenticationMessageView(body: body) else { Issue.record("not md5"); return }
            #expect(salt == 0xDEAD_BEEF)
        }
        try withSingleFrame(try encode { PostgresBackendEncoder.authenticationSASL(&$0, mechanism: "SCRAM-SHA-256") }, sender: .backend) { _, body in
            guard case .sasl(let list) = try AuthenticationMessageView(body: body) else { Issue.record("not sasl"); return }
            #expect(AuthenticationMessageView.mechanisms(list, contain: "SCRAM-SHA-256"))
            #expect(!AuthenticationMessageView.mechanisms(list, contain: "SCRAM-SHA-256-PLUS"))
        }
        let challenge = "r=abc,s=c2FsdA==,i=4096"
        let cont = try withBytes(challenge) { data in try encode { PostgresBackendEncoder.authenticationSASLContinue(&$0, data: data) } }
        try withSingleFrame(cont, sender: .backend) { _, body in
            guard case .saslContinue(let data) = try AuthenticationMessageView(body: body) else { Issue.record("not continue"); return }
            #expect(text(data) == challenge)
        }
        let final = try withBytes("v=xyz") { data in try encode { PostgresBackendEncoder.authenticationSASLFinal(&$0, data: data) } }
        try withSingleFrame(final, sender: .backend) { _, body in
            guard case .saslFinal(let data) = try AuthenticationMessageView(body: body) else { Issue.record("not final"); return }
            #expect(text(data) == "v=xyz")
        }
    }

    @Test func sessionStateMessages() throws {
        let status = try withBytes("standard_conforming_strings") { name in
            try withBytes("on") { value in try encode { PostgresBackendEncoder.parameterStatus(&$0, name: name, value: value) } }
        }
        try withSingleFrame(status, sender: .backend) { kind, body in
            #expect(kind == .message(UInt8(ascii: "S")))
            let view = try ParameterStatusView(body: body)
            #expect(text(view.name) == "standard_conforming_strings" && text(view.value) == "on")
        }
        try withSingleFrame(try encode { PostgresBackendEncoder.backendKeyData(&$0, processID: 4242, secretKey: -7) }, sender: .backend) { _, body in
            let view = try BackendKeyDataView(body: body)
            #expect(view.processID == 4242 && view.secretKey == -7)
        }
        for status in ["I", "T", "E"] {
            let bytes = try encode { PostgresBackendEncoder.readyForQuery(&$0, transactionStatus: UInt8(ascii: Unicode.Scalar(status)!)) }
            try withSingleFrame(bytes, sender: .backend) { _, body in
                let view = try ReadyForQueryView(body: body)
                #expect(view.transactionStatus == UInt8(ascii: Unicode.Scalar(status)!))
            }
        }
        let complete = try withBytes("SELECT 3") { tag in try encode { PostgresBackendEncoder.commandComplete(&$0, tag: tag) } }
        try withSingleFrame(complete, sender: .backend) { _, body in
            let view = try CommandCompleteView(body: body)
            #expect(text(view.tag) == "SELECT 3")
        }
        try withSingleFrame(try encode { PostgresBackendEncoder.emptyMessage(&$0, type: UInt8(ascii: "I")) }, sender: .backend) { kind, body in
            #expect(kind == .message(UInt8(ascii: "I")))
            try EmptyMessageView.validate(type: UInt8(ascii: "I"), body: body)
        }
    }

    @Test func errorAndNoticeResponses() throws {
        let bytes = try withBytes("statement blocked by policy") { message in
            try withBytes("DROP TABLE is not allowed for role analyst") { detail in
                try withBytes("ask for approval") { hint in
                    try encode {
                        PostgresBackendEncoder.errorResponse(&$0, PostgresErrorFields(severity: .error, sqlState: "42501", message: message, detail: detail, hint: hint))
                    }
                }
            }
        }
        try withSingleFrame(bytes, sender: .backend) { kind, body in
            #expect(kind == .message(UInt8(ascii: "E")))
            let view = try ErrorNoticeView(type: UInt8(ascii: "E"), body: body)
            #expect(text(view.field(ErrorNoticeView.FieldCode.severity)) == "ERROR")
            #expect(text(view.field(ErrorNoticeView.FieldCode.severityNonLocalized)) == "ERROR")
            #expect(text(view.field(ErrorNoticeView.FieldCode.sqlState)) == "42501")
            #expect(text(view.field(ErrorNoticeView.FieldCode.message)) == "statement blocked by policy")
            #expect(text(view.field(ErrorNoticeView.FieldCode.detail)) == "DROP TABLE is not allowed for role analyst")
            #expect(text(view.field(ErrorNoticeView.FieldCode.hint)) == "ask for approval")
        }
        let notice = try encode { PostgresBackendEncoder.noticeResponse(&$0, PostgresErrorFields(severity: .notice, sqlState: "01000", message: "masked")) }
        try withSingleFrame(notice, sender: .backend) { kind, body in
            #expect(kind == .message(UInt8(ascii: "N")))
            let view = try ErrorNoticeView(type: UInt8(ascii: "N"), body: body)
            #expect(text(view.field(ErrorNoticeView.FieldCode.message)) == "masked")
            #expect(view.field(ErrorNoticeView.FieldCode.detail) == nil)
        }
        // An embedded NUL cannot cut the field short on the client's side.
        let nul = try [UInt8(ascii: "a"), 0, UInt8(ascii: "b")].withUnsafeBytes { message in
            try encode { PostgresBackendEncoder.errorResponse(&$0, PostgresErrorFields(severity: .fatal, sqlState: "28000", message: message)) }
        }
        try withSingleFrame(nul, sender: .backend) { _, body in
            let view = try ErrorNoticeView(type: UInt8(ascii: "E"), body: body)
            #expect(text(view.field(ErrorNoticeView.FieldCode.message)) == "a?b")
        }
    }

    @Test func encodersReportASmallOutputBuffer() {
        var out = [UInt8](repeating: 0, count: 8)
        out.withUnsafeMutableBytes { buffer in
            var writer = WireWriter(buffer)
            PostgresBackendEncoder.errorResponse(&writer, PostgresErrorFields(severity: .error, sqlState: "XX000", message: "too long for eight bytes"))
            #expect(throws: PostgresProtocolError.self) { try writer.finish() }
        }
    }
}

@Suite struct FrontendEncoderRoundTripTests {
    /// Decodes a frontend stream that starts with `startup` and returns every frame's kind and body.
    func frames(_ bytes: [UInt8]) -> [(PostgresFrameKind, [UInt8])] {
        var decoder = PostgresFrameDecoder(configuration: .frontend())
        var result: [(PostgresFrameKind, [UInt8])] = []
        bytes.withUnsafeBytes { buffer in
            var cursor = 0
            while case .frame(let frame) = decoder.next(in: buffer, at: &cursor) {
                result.append((frame.kind, Array(frame.body(in: buffer))))
            }
        }
        return result
    }

    @Test func startupPhaseMessages() throws {
        let ssl = try encode { PostgresFrontendEncoder.sslRequest(&$0) }
        let startup = try withBytes("alice") { user in
            try withBytes("sales") { db in
                try (Wire.cstring("application_name") + Wire.cstring("ringgate")).withUnsafeBytes { extra in
                    try encode { PostgresFrontendEncoder.startupMessage(&$0, user: user, database: db, extra: extra) }
                }
            }
        }
        let decoded = frames(ssl + startup)
        #expect(decoded.map(\.0) == [.sslRequest, .startup])
        try decoded[1].1.withUnsafeBytes { body in
            let view = try StartupMessageView(body: body)
            #expect(view.protocolVersion == 196_608)
            #expect(text(view.value(of: "user")) == "alice")
            #expect(text(view.value(of: "database")) == "sales")
            #expect(text(view.value(of: "application_name")) == "ringgate")
            #expect(view.value(of: "options") == nil)
        }
        let cancel = try encode { PostgresFrontendEncoder.cancelRequest(&$0, processID: 99, secretKey: 12345) }
        let cancelFrames = frames(cancel)
        #expect(cancelFrames.map(\.0) == [.cancelRequest])
        try cancelFrames[0].1.withUnsafeBytes { body in
            let view = try CancelRequestView(body: body)
            #expect(view.processID == 99 && view.secretKey == 12345)
        }
    }

    @Test func regularMessages() throws {
        let startup = Wire.startup([("user", "u")])
        let query = try withBytes("select 'a;b'; delete from t") { sql in try encode { PostgresFrontendEncoder.query(&$0, sql: sql) } }
        let password = try withBytes("s3cret") { pw in try encode { PostgresFrontendEncoder.passwordMessage(&$0, password: pw) } }
        let initial = try withBytes("n,,n=,r=abc") { data in try encode { PostgresFrontendEncoder.saslInitialResponse(&$0, mechanism: "SCRAM-SHA-256", data: data) } }
        let response = try withBytes("c=biws,r=abcdef,p=xyz") { data in try encode { PostgresFrontendEncoder.saslResponse(&$0, data: data) } }
        let sync = try encode { PostgresFrontendEncoder.sync(&$0) }
        let terminate = try encode { PostgresFrontendEncoder.terminate(&$0) }
        let decoded = frames(startup + query + password + initial + response + sync + terminate)
        #expect(decoded.map(\.0) == [.startup] + ["Q", "p", "p", "p", "S", "X"].map { .message(UInt8(ascii: Unicode.Scalar($0)!)) })
        try decoded[1].1.withUnsafeBytes { body in
            let view = try QueryMessageView(body: body)
            #expect(text(view.query) == "select 'a;b'; delete from t")
        }
        try decoded[2].1.withUnsafeBytes { body in
            let view = try PasswordMessageView(body: body)
            #expect(text(view.password) == "s3cret")
        }
        try decoded[3].1.withUnsafeBytes {
            let view = try SASLInitialResponseView(body: $0)
            #expect(text(view.mechanism) == "SCRAM-SHA-256" && text(view.initialResponse) == "n,,n=,r=abc")
        }
        decoded[4].1.withUnsafeBytes { #expect(text(SASLResponseView(body: $0).data) == "c=biws,r=abcdef,p=xyz") }
        try decoded[5].1.withUnsafeBytes { try EmptyMessageView.validate(type: UInt8(ascii: "S"), body: $0) }
    }
}

@Suite struct MessageViewTests {
    @Test func extendedQueryMessages() throws {
        let parse = Wire.cstring("s1") + Wire.cstring("select $1::int, $2") + Wire.int16(2) + Wire.int32(23) + Wire.int32(0)
        try parse.withUnsafeBytes { body in
            let view = try ParseMessageView(body: body)
            #expect(text(view.statementName) == "s1" && text(view.query) == "select $1::int, $2")
            #expect(view.parameterTypeCount == 2 && view.parameterType(at: 0) == 23 && view.parameterType(at: 1) == 0 && view.parameterType(at: 2) == nil)
        }
        let bind = Wire.cstring("p1") + Wire.cstring("s1") + Wire.int16(1) + Wire.int16(1)
            + Wire.int16(3) + Wire.int32(4) + Wire.int32(42) + Wire.int32(-1) + Wire.int32(0)
            + Wire.int16(2) + Wire.int16(0) + Wire.int16(1)
        try bind.withUnsafeBytes { body in
            let view = try BindMessageView(body: body)
            #expect(text(view.portalName) == "p1" && text(view.statementName) == "s1")
            #expect(view.parameterCount == 3 && view.parameterFormat(at: 2) == 1)
            var seen: [[UInt8]?] = []
            view.forEachParameter { _, value in seen.append(value.map { Array($0) }) }
            #expect(seen == [Wire.int32(42), nil, []])
            #expect(view.resultFormat(forColumn: 0) == 0 && view.resultFormat(forColumn: 1) == 1)
        }
        try (Wire.cstring("p1") + Wire.int32(100)).withUnsafeBytes { body in
            let view = try ExecuteMessageView(body: body)
            #expect(text(view.portalName) == "p1" && view.maxRows == 100)
        }
        try ([UInt8(ascii: "P")] + Wire.cstring("p1")).withUnsafeBytes { body in
            let view = try DescribeOrCloseMessageView(type: UInt8(ascii: "D"), body: body)
            #expect(view.target == UInt8(ascii: "P") && text(view.name) == "p1")
        }
        try Wire.cstring("disk full").withUnsafeBytes { body in
            let view = try CopyFailMessageView(body: body)
            #expect(text(view.message) == "disk full")
        }
    }

    @Test func resultMessages() throws {
        let description = Wire.rowDescription([
            Wire.Column(name: "id", attnum: 1, type: 20, size: 8, format: 1),
            Wire.Column(name: "email", attnum: 2, type: 25),
        ])
        try Array(description[5...]).withUnsafeBytes { body in
            let view = try RowDescriptionView(body: body)
            let columns = Array(view)
            #expect(columns.count == 2)
            #expect(text(columns[0].name) == "id" && columns[0].typeOID == 20 && columns[0].typeSize == 8 && columns[0].format == 1)
            #expect(text(columns[1].name) == "email" && columns[1].tableOID == 16384 && columns[1].attributeNumber == 2)
        }
        let row = Wire.dataRow([Array("7".utf8), nil, []])
        try Array(row[5...]).withUnsafeBytes { body in
            let view = try DataRowView(body: body)
            let cells = Array(view)
            #expect(cells.map(\.isNull) == [false, true, false])
            #expect(view.value(cells[0]).map { Array($0) } == Array("7".utf8))
            #expect(view.value(cells[1]) == nil && view.value(cells[2])?.count == 0)
        }
        try (Wire.int16(2) + Wire.int32(25) + Wire.int32(23)).withUnsafeBytes { body in
            let view = try ParameterDescriptionView(body: body)
            #expect(view.count == 2 && view.typeOID(at: 1) == 23)
        }
        try ([0] + Wire.int16(2) + Wire.int16(0) + Wire.int16(0)).withUnsafeBytes { body in
            let view = try CopyResponseView(type: UInt8(ascii: "H"), body: body)
            #expect(view.overallFormat == 0 && view.columnCount == 2 && view.format(ofColumn: 1) == 0)
        }
    }

    /// Every view rejects truncated bodies (each prefix of a valid body) with an error.
    @Test func truncatedBodiesAreErrors() {
        let bodies: [(String, [UInt8])] = [
            ("T", Array(Wire.rowDescription([Wire.Column(name: "a", type: 25)])[5...])),
            ("D", Array(Wire.dataRow([Array("abc".utf8), nil])[5...])),
            ("B", Wire.cstring("") + Wire.cstring("") + Wire.int16(0) + Wire.int16(1) + Wire.int32(2) + [1, 2] + Wire.int16(0)),
            ("P", Wire.cstring("") + Wire.cstring("select 1") + Wire.int16(1) + Wire.int32(23)),
            ("E", [UInt8(ascii: "S")] + Wire.cstring("ERROR") + [0]),
            ("K", Wire.int32(1) + Wire.int32(2)),
            ("R", Wire.int32(5) + [1, 2, 3, 4]),
            ("Z", [UInt8(ascii: "I")]),
        ]
        for (type, body) in bodies {
            for length in 0..<body.count {
                let prefix = Array(body[..<length])
                let failed = prefix.withUnsafeBytes { bytes -> Bool in
                    do {
                        switch type {
                        case "T": _ = try RowDescriptionView(body: bytes)
                        case "D": _ = try DataRowView(body: bytes)
                        case "B": _ = try BindMessageView(body: bytes)
                        case "P": _ = try ParseMessageView(body: bytes)
                        case "E": _ = try ErrorNoticeView(type: 0, body: bytes)
                        case "K": _ = try BackendKeyDataView(body: bytes)
                        case "R": _ = try AuthenticationMessageView(body: bytes)
                        default: _ = try ReadyForQueryView(body: bytes)
                        }
                        return false
                    } catch {
                        return true
                    }
                }
                #expect(failed, "\(type) prefix of \(length) bytes was accepted")
            }
        }
    }

    @Test func invalidFieldsAreErrors() {
        #expect(throws: PostgresProtocolError.invalidField(type: UInt8(ascii: "D"))) {
            try (Wire.int16(1) + Wire.int32(-2)).withUnsafeBytes { _ = try DataRowView(body: $0) }
        }
        #expect(throws: PostgresProtocolError.invalidField(type: UInt8(ascii: "D"))) {
            try Wire.int16(-1).withUnsafeBytes { _ = try DataRowView(body: $0) }
        }
        #expect(throws: PostgresProtocolError.trailingBytes(type: UInt8(ascii: "D"))) {
            try (Wire.int16(0) + [1]).withUnsafeBytes { _ = try DataRowView(body: $0) }
        }
        #expect(throws: PostgresProtocolError.invalidField(type: UInt8(ascii: "Z"))) {
            try [UInt8(ascii: "X")].withUnsafeBytes { _ = try ReadyForQueryView(body: $0) }
        }
        #expect(throws: PostgresProtocolError.invalidField(type: UInt8(ascii: "D"))) {
            try ([UInt8(ascii: "Q")] + Wire.cstring("x")).withUnsafeBytes { _ = try DescribeOrCloseMessageView(type: UInt8(ascii: "D"), body: $0) }
        }
        #expect(throws: PostgresProtocolError.trailingBytes(type: UInt8(ascii: "Q"))) {
            try (Wire.cstring("select 1") + [1]).withUnsafeBytes { _ = try QueryMessageView(body: $0) }
        }
    }
}

@Suite struct EncodedStreamCutTests {
    /// Everything the gateway encodes, concatenated, decodes to the same messages wherever
    /// the stream is cut (with and without reassembly of every type).
    @Test func encodedStreamsSurviveEveryCut() throws {
        let backend = try encode(capacity: 8192) { w in
            PostgresBackendEncoder.authenticationSASL(&w, mechanism: "SCRAM-SHA-256")
            Array("r=abc,s=c2FsdA==,i=4096".utf8).withUnsafeBytes { PostgresBackendEncoder.authenticationSASLContinue(&w, data: $0) }
            Array("v=xyz".utf8).withUnsafeBytes { PostgresBackendEncoder.authenticationSASLFinal(&w, data: $0) }
            PostgresBackendEncoder.authenticationOk(&w)
            Array("client_encoding".utf8).withUnsafeBytes { n in Array("UTF8".utf8).withUnsafeBytes { v in PostgresBackendEncoder.parameterStatus(&w, name: n, value: v) } }
            PostgresBackendEncoder.backendKeyData(&w, processID: 1, secretKey: 2)
            PostgresBackendEncoder.noticeResponse(&w, PostgresErrorFields(severity: .warning, sqlState: "01000", message: "note"))
            PostgresBackendEncoder.errorResponse(&w, PostgresErrorFields(severity: .error, sqlState: "42501", message: "blocked"))
            PostgresBackendEncoder.emptyMessage(&w, type: UInt8(ascii: "I"))
            PostgresBackendEncoder.readyForQuery(&w, transactionStatus: UInt8(ascii: "I"))
        }
        let frontend = try encode(capacity: 8192) { w in
            PostgresFrontendEncoder.sslRequest(&w)
            Array("u".utf8).withUnsafeBytes { u in Array("d".utf8).withUnsafeBytes { d in PostgresFrontendEncoder.startupMessage(&w, user: u, database: d) } }
            Array("n,,n=,r=x".utf8).withUnsafeBytes { PostgresFrontendEncoder.saslInitialResponse(&w, mechanism: "SCRAM-SHA-256", data: $0) }
            Array("c=biws".utf8).withUnsafeBytes { PostgresFrontendEncoder.saslResponse(&w, data: $0) }
            Array("pw".utf8).withUnsafeBytes { PostgresFrontendEncoder.passwordMessage(&w, password: $0) }
            Array("select 1".utf8).withUnsafeBytes { PostgresFrontendEncoder.query(&w, sql: $0) }
            PostgresFrontendEncoder.sync(&w)
            PostgresFrontendEncoder.terminate(&w)
        }
        for (bytes, sender, count) in [(backend, PostgresFrameDecoderConfiguration.Sender.backend, 10), (frontend, .frontend, 8)] {
            let all = PostgresFrameDecoderConfiguration(sender: sender, inspectedTypes: FrameDecoderTests.everyType)
            let whole = decodeStream([bytes], configuration: all)
            #expect(whole.error == nil && whole.messages.count == count)
            for point in 0...bytes.count {
                for configuration in [all, PostgresFrameDecoderConfiguration(sender: sender)] {
                    let result = decodeStream(cut(bytes, at: [point]), configuration: configuration)
                    #expect(result.error == nil && result.messages == whole.messages && result.reassembledMismatches == 0)
                }
            }
        }
    }
}
