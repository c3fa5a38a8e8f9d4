import Codecs

/// How a refused statement is answered: instead of synthesizing the answer, the session
/// sends the server a stand-in that it must reject with a syntax error (a Query, or a Parse
/// in the extended protocol), and puts the policy's ErrorResponse in place of the server's.
///
/// So the server itself applies what an error means: an implicit transaction is rolled back,
/// an explicit one is marked failed (ReadyForQuery `E`), the rest of an extended batch is
/// skipped until Sync, and the answer arrives in order with the results of everything
/// pipelined before it. If an earlier error already made the server skip the stand-in, no
/// error comes for it, and the client sees that earlier error, as it would without the gateway.
enum PostgresRefusal {
    /// The stand-in statement: a word that cannot begin any SQL statement, made unique per
    /// process so that no client text can produce the same syntax error by accident.
    static let standIn: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        let nonce = generator.next() as UInt64
        return Array("ringgate_refused_\(String(nonce, radix: 16))".utf8)
    }()

    /// A Query message carrying the stand-in.
    static func query(into writer: inout WireWriter) {
        standIn.withUnsafeBytes { PostgresFrontendEncoder.query(&writer, sql: $0) }
    }

    /// A Parse message (unnamed statement, no parameter types) carrying the stand-in.
    static func parse(into writer: inout WireWriter) {
        writer.writeUInt8(PostgresMessageType.Frontend.parse)
        writer.writeInt32(Int32(4 + 1 + standIn.count + 1 + 2))
        writer.writeUInt8(0)
        standIn.withUnsafeBytes { writer.writeCString($0) }
        writer.writeInt16(0)
    }

    /// True when an ErrorResponse body is the server's answer to the stand-in.
    static func isStandInError(_ body: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var syntaxError = false
        var mentionsStandIn = false
        while index < body.count, body[index] != 0 {
            let code = body[index]
            index += 1
            guard let end = body[index...].firstIndex(of: 0) else { return false }
            let value = UnsafeRawBufferPointer(rebasing: body[index..<end])
            if code == UInt8(ascii: "C") { syntaxError = value.elementsEqual("42601".utf8) }
            if code == UInt8(ascii: "M") { mentionsStandIn = contains(value, standIn) }
            index = end + 1
        }
        return syntaxError && mentionsStandIn
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
