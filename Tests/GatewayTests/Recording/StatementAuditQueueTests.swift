import Testing

@testable import Gateway

/// Statement audit events carry their result's rows and bytes once the results loop counts.
@Suite struct StatementAuditQueueTests {
    static let context = SessionAuditContext(
        sessionID: 1, identity: "alice", groups: [], resource: "pg", clientAddress: nil, database: "db", upstreamUser: "app")

    static func event(_ rule: String) -> AuditEvent {
        .statement(context, policyVersion: "v", classes: .read, relations: [], action: "allow", reason: "rule", rule: rule)
    }

    @Test func countedEventsWaitForTheirBatchAndCarryItsRowsAndBytes() {
        let sink = CollectingAuditSink()
        var queue = StatementAuditQueue()
        queue.decided(Self.event("q1"), mark: 1)
        queue.decided(Self.event("q2"), mark: 2)
        queue.resultRow(bytes: 20)
        queue.resultRow(bytes: 30)
        #expect(sink.recorded.isEmpty, "held until the batch's ReadyForQuery")
        queue.batchEnded(readySeen: 1, sink: sink)
        #expect(sink.recorded.map(\.rule) == ["q1"])
        #expect(sink.recorded[0].rows == 2 && sink.recorded[0].bytes == 50)
        // A pipelined extended batch: two statements end at one ReadyForQuery; the last carries the counts.
        queue.decided(Self.event("p3"), mark: 2)
        queue.resultRow(bytes: 7)
        queue.batchEnded(readySeen: 2, sink: sink)
        #expect(sink.recorded.map(\.rule) == ["q1", "q2", "p3"])
        #expect(sink.recorded[1].rows == nil && sink.recorded[2].rows == 1 && sink.recorded[2].bytes == 7)
        // A batch without a waiting statement does not leak its counts into the next one.
        queue.resultRow(bytes: 99)
        queue.batchEnded(readySeen: 3, sink: sink)
        queue.decided(Self.event("q4"), mark: 4)
        queue.flush(sink: sink)
        #expect(sink.recorded.last?.rule == "q4" && sink.recorded.last?.rows == 0 && sink.recorded.last?.bytes == 0)
    }

    @Test func rowsAndBytesAreInTheJSONLine() {
        var event = Self.event("r")
        event.rows = 3
        event.bytes = 120
        var line: [UInt8] = []
        event.appendJSONLine(to: &line)
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains(#""bytes":120,"#) && text.contains(#""rows":3,"#))
    }
}
