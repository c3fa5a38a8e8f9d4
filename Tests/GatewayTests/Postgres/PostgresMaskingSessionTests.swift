import CAllocCounter
import Foundation
import IOCore
import Testing

@testable import Gateway

/// Masking and limits in the PostgreSQL session, without sockets (``EmbeddedSession``):
/// the catalog read after login, rows masked in place however the stream is cut, rows made
/// shorter by NULL, the gateway's Describe before an Execute, limits, and no allocation per
/// masked row.
@Suite struct PostgresMaskingSessionTests {
    typealias T = PostgresSessionTests
    typealias Harness = EmbeddedSession<GatewaySession>

    static func policy(limits: String = "") -> String {
        T.policy + """

              - id: masks
                resources: [pg]
                groups: [devs]
                mask:
                  - columns: [t.secret]
                  - detector: credit_card
            \(limits)
            """
    }

    static let tableOID: Int32 = 5000
    static let card = "4111111111111111"

    // MARK: Messages

    /// A RowDescription: (name, table OID, attribute number, type OID, format).
    static func rowDescription(_ columns: [(String, Int32, Int16, Int32, Int16)]) -> [UInt8] {
        var body = T.int16(Int16(columns.count))
        for (name, table, attribute, type, format) in columns {
            body += T.cString(name)
            body += T.int32(table)
            body += T.int16(attribute)
            body += T.int32(type)
            body += T.int16(-1)
            body += T.int32(-1)
            body += T.int16(format)
        }
        return T.message("T", body)
    }

    static func dataRow(_ cells: [String?]) -> [UInt8] {
        var body = T.int16(Int16(cells.count))
        for cell in cells {
            if let cell {
                body += T.int32(Int32(cell.utf8.count))
                body += Array(cell.utf8)
            } else {
                body += T.int32(-1)
            }
        }
        return T.message("D", body)
    }

    static func commandComplete(_ tag: String) -> [UInt8] { T.message("C", T.cString(tag)) }

    /// The server's answer to the catalog read: table `t` (id int4, secret text, note text).
    static let catalogAnswer: [UInt8] = rowDescription([("?", 0, 0, 25, 0)])
        + [("1", "id", "23"), ("2", "secret", "25"), ("3", "note", "25")].flatMap { attribute, name, type in
            dataRow(["c", "\(tableOID)", attribute, "public", "t", name, type])
        }
        + dataRow(["m", "6000", nil, nil, nil, nil, nil])
        + commandComplete("SELECT 4") + T.ready()

    /// Logs in under the masking policy and answers the catalog read.
    static func loggedIn(limits: String = "") async throws -> Harness {
        let fixture = try await T.fixture(policy: policy(limits: limits))
        var harness = try await T.loggedIn(fixture)
        let read = harness.takeSent(to: .upstream)
        #expect(T.types(read) == "Q", "the catalog read follows the login")
        #expect(String(decoding: read, as: UTF8.self).contains("secret"))
        harness.receive(catalogAnswer, from: .upstream)
        let leaked = harness.takeSent(to: .client)
        #expect(leaked.isEmpty, "the catalog read's results are the gateway's own")
        return harness
    }

    /// `SELECT id, secret AS s, note, num` from the server: num is an int8 expression.
    static let result: [UInt8] = rowDescription([
        ("id", tableOID, 1, 23, 0), ("s", tableOID, 2, 25, 0), ("note", tableOID, 3, 25, 0), ("num", 0, 0, 20, 0),
    ])
        + dataRow(["1", "hunter2", "card \(card) on file", card])
        + dataRow(["2", "swordfish", "nothing here", "42"])
        + dataRow(["3", nil, nil, nil])
        + commandComplete("SELECT 3") + T.ready()

    static let masked: [UInt8] = rowDescription([
        ("id", tableOID, 1, 23, 0), ("s", tableOID, 2, 25, 0), ("note", tableOID, 3, 25, 0), ("num", 0, 0, 20, 0),
    ])
        + dataRow(["1", "*******", "card **************** on file", nil])
        + dataRow(["2", "*********", "nothing here", "42"])
        + dataRow(["3", nil, nil, nil])
        + commandComplete("SELECT 3") + T.ready()

    // MARK: Tests

    @Test func rowsAreMaskedInPlaceWhereverTheStreamIsCut() async throws {
        var harness = try await Self.loggedIn()
        for cut in 0...Self.result.count {
            harness.receive(T.query("SELECT id, secret AS s, note, num::int8 FROM t"), from: .client)
            let query = harness.takeSent(to: .upstream)
            #expect(T.types(query) == "Q")
            harness.receive(Self.result, from: .upstream, cuts: [cut])
            let sent = harness.takeSent(to: .client)
            #expect(sent == Self.masked, "cut at \(cut): \(String(decoding: sent, as: UTF8.self))")
        }
    }

    @Test func anExecuteWithoutDescribeIsDescribedByTheGateway() async throws {
        var harness = try await Self.loggedIn()
        // A statement prepared long ago: Bind, Execute, Sync, no Describe.
        harness.receive(T.bind + T.execute + T.sync, from: .client)
        let upstream = harness.takeSent(to: .upstream)
        #expect(T.types(upstream) == "BDES", "the gateway's Describe goes right before the Execute")
        let rows = Array(Self.result.dropLast(Self.commandComplete("SELECT 3").count + T.ready().count))
        harness.receive(T.message("2", []) + rows + Self.commandComplete("SELECT 3") + T.ready(), from: .upstream)
        let sent = harness.takeSent(to: .client)
        let expectedRows = Array(Self.masked.dropFirst(Self.rowDescription([
            ("id", Self.tableOID, 1, 23, 0), ("s", Self.tableOID, 2, 25, 0), ("note", Self.tableOID, 3, 25, 0), ("num", 0, 0, 20, 0),
        ]).count))
        #expect(sent == T.message("2", []) + expectedRows, "no RowDescription the client did not ask for, rows masked")
        // The client's own Describe is answered to the client, and no second one is added.
        harness.receive(T.bind + T.message("D", [UInt8(ascii: "P"), 0]) + T.execute + T.sync, from: .client)
        #expect(T.types(harness.takeSent(to: .upstream)) == "BDES")
    }

    @Test func maxBytesEndsTheResultAndTheSessionGoesOn() async throws {
        var harness = try await Self.loggedIn(limits: "    limits:\n      max_bytes: 100\n")
        harness.receive(T.query("SELECT id, secret AS s, note, num FROM t"), from: .client)
        _ = harness.takeSent(to: .upstream)
        harness.receive(Self.result, from: .upstream)
        let sent = harness.takeSent(to: .client)
        #expect(T.types(sent) == "TDEZ", "the row past the limit and the rest are dropped: \(T.types(sent))")
        #expect(T.errorStates(sent) == ["54000"])
        harness.receive(T.query("SELECT 1"), from: .client)
        _ = harness.takeSent(to: .upstream)
        harness.receive(Self.rowDescription([("?column?", 0, 0, 23, 0)]) + Self.dataRow(["1"]) + Self.commandComplete("SELECT 1") + T.ready(),
                        from: .upstream)
        #expect(T.types(harness.takeSent(to: .client)) == "TDCZ")
    }

    @Test func maskingAllocatesNothingPerRow() async throws {
        var harness = try await Self.loggedIn()
        let rows = (0..<200).flatMap { _ in Self.dataRow(["7", "secret-value", "card \(Self.card) here", Self.card]) }
        let header = Array(Self.result.prefix(Self.rowDescription([
            ("id", Self.tableOID, 1, 23, 0), ("s", Self.tableOID, 2, 25, 0), ("note", Self.tableOID, 3, 25, 0), ("num", 0, 0, 20, 0),
        ]).count))
        harness.receive(T.query("SELECT id, secret AS s, note, num FROM t"), from: .client)
        _ = harness.takeSent(to: .upstream)
        harness.receive(header + rows, from: .upstream)  // warm-up
        _ = harness.takeSent(to: .client)
        let measured = rows + Self.commandComplete("SELECT 400") + T.ready()
        // The first statement's end warms up the audit path.
        harness.receive(measured, from: .upstream)
        _ = harness.takeSent(to: .client)
        harness.receive(T.query("SELECT id, secret AS s, note, num FROM t"), from: .client)
        _ = harness.takeSent(to: .upstream)
        harness.receive(header, from: .upstream)
        _ = harness.takeSent(to: .client)
        let before = rg_thread_allocation_count()
        harness.receive(measured, from: .upstream)
        let allocations = rg_thread_allocation_count() - before
        let sent = harness.takeSent(to: .client)
        #expect(T.types(sent) == String(repeating: "D", count: 200) + "CZ")
        #expect(!String(decoding: sent, as: UTF8.self).contains(Self.card))
        #expect(allocations == 0, "\(allocations) allocations for 200 masked rows and the end of their result")
    }
}
