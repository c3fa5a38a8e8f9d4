import CAllocCounter
import Codecs
import Testing

/// Decoding and masking a stream of DataRows must not touch the heap per message.
@Suite struct PostgresAllocationTests {
    /// Receive buffers holding `rows` DataRows, cut every `chunk` bytes (so some rows cross
    /// buffer edges and take the reassembly path).
    static func buffers(rows: Int, chunk: Int) -> [UnsafeMutableRawBufferPointer] {
        var stream: [UInt8] = []
        for i in 0..<rows {
            stream += Wire.dataRow([bytes("\(i)"), bytes("user\(i)@example.com"), bytes("4111 1111 1111 \(1000 + i % 9000)"),
                                    int64BigEndian(Int64(i) * 1_000_003), nil, bytes("{\"k\": \(i)}")])
        }
        var result: [UnsafeMutableRawBufferPointer] = []
        var start = 0
        while start < stream.count {
            let end = min(start + chunk, stream.count)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: end - start, alignment: 16)
            buffer.copyBytes(from: stream[start..<end])
            result.append(buffer)
            start = end
        }
        return result
    }

    static func columns() throws -> PostgresColumnTable {
        var table = PostgresColumnTable()
        var planner = NamePlanner(actions: ["email": .redact(.keepLast4), "card": .scan, "amount": .redact(.full), "doc": .redact(.full)])
        let description = Wire.rowDescription([
            .init(name: "id", type: 25), .init(name: "email", type: 1043), .init(name: "card", type: 25),
            .init(name: "amount", type: 20, size: 8, format: 1), .init(name: "note", type: 25), .init(name: "doc", type: 3802),
        ])
        try Array(description[5...]).withUnsafeBytes { body in
            try table.load(try RowDescriptionView(body: body), planner: &planner)
        }
        return table
    }

    /// Runs the proxy loop over every buffer: frames are masked where they landed,
    /// reassembled rows in the scratch buffer. Returns the rows masked.
    static func run(_ decoder: inout PostgresFrameDecoder, buffers: [UnsafeMutableRawBufferPointer],
                    columns: borrowing PostgresColumnTable) -> (rows: Int, errors: Int) {
        var rows = 0
        var errors = 0
        let scanner = DigitRunScanner()
        // An index loop: in debug builds `for ... in` over an array allocates per iteration
        // (measured), which would hide what the codec itself does.
        var index = 0
        while index < buffers.count {
            let buffer = buffers[index]
            index += 1
            var cursor = 0
            loop: while true {
                switch decoder.next(in: UnsafeRawBufferPointer(buffer), at: &cursor) {
                case .needMoreData:
                    break loop
                case .frame(let frame):
                    let message = UnsafeMutableRawBufferPointer(rebasing: buffer[frame.offset..<(frame.offset + frame.length)])
                    do { _ = try DataRowMasker.mask(message: message, columns: columns, scanner: scanner); rows += 1 } catch { errors += 1 }
                case .reassembled(let frame):
                    let scratch = decoder.reassembled
                    let message = UnsafeMutableRawBufferPointer(rebasing: scratch[frame.offset..<(frame.offset + frame.length)])
                    do { _ = try DataRowMasker.mask(message: message, columns: columns, scanner: scanner); rows += 1 } catch { errors += 1 }
                case .part, .singleByte:
                    continue
                case .protocolError:
                    errors += 1
                    break loop
                }
            }
        }
        return (rows, errors)
    }

    @Test func decodingAndMaskingDataRowsAllocatesNothing() throws {
        let columns = try Self.columns()
        // The warm-up is the measured stream's twin, so every path the measured run takes has
        // run once before it: one-time lazy initialization (type metadata, globals) is not
        // counted. (A 200-row warm-up never cut a header across buffers, and the first such
        // cut instantiated `Optional.map`'s metadata in debug builds: 1 allocation.)
        let warmUp = Self.buffers(rows: 5000, chunk: 1500)
        let measured = Self.buffers(rows: 5000, chunk: 1500)
        defer { (warmUp + measured).forEach { $0.deallocate() } }
        var decoder = PostgresFrameDecoder(configuration: .backend())
        let first = Self.run(&decoder, buffers: warmUp, columns: columns)
        #expect(first.rows == 5000 && first.errors == 0)

        let before = rg_thread_allocation_count()
        let result = Self.run(&decoder, buffers: measured, columns: columns)
        let allocations = rg_thread_allocation_count() - before

        #expect(result.rows == 5000 && result.errors == 0)
        #expect(allocations == 0, "\(allocations) allocations for \(result.rows) rows")
        // The rows were really masked (the first row lies whole in the first buffer; rows
        // crossing buffer edges were masked in the decoder's scratch copy instead).
        let firstRow = String(decoding: UnsafeRawBufferPointer(measured[0])[0..<60], as: UTF8.self)
        #expect(!firstRow.contains("@example.com") && firstRow.contains("*.com"))
    }

    @Test func encodingGatewayMessagesAllocatesNothing() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        let before = rg_thread_allocation_count()
        for i in 0..<1000 {
            var writer = WireWriter(buffer)
            PostgresBackendEncoder.errorResponse(&writer, PostgresErrorFields(severity: .error, sqlState: "42501", message: "blocked by policy"))
            PostgresBackendEncoder.readyForQuery(&writer, transactionStatus: UInt8(ascii: "I"))
            PostgresBackendEncoder.backendKeyData(&writer, processID: Int32(i), secretKey: 7)
            total += writer.count
        }
        let allocations = rg_thread_allocation_count() - before
        #expect(allocations == 0)
        #expect(total > 0)
    }
}
