import Codecs

/// A deterministic stream of PostgreSQL DataRow messages cut into receive buffers, and the
/// proxy loop that decodes (and optionally masks) it, as a session's backend side does.
///
/// Rows have six columns of an ordinary customer table: `id` (int8, text format),
/// `email` (varchar), `card` (text), `amount` (int8, binary format), `note` (text, free
/// prose, NULL in every seventh row, sometimes holding a card number or e-mail), and
/// `doc` (jsonb, text format). Rows average about 179 bytes on the wire; rows that cross a
/// buffer edge take the decoder's reassembly path.
public final class DataRowStream: @unchecked Sendable {
    /// Total bytes of the stream (the sum of the buffers' sizes).
    public let byteCount: Int
    /// DataRows in the stream.
    public let rowCount: Int
    /// Receive-buffer size the stream was cut into.
    public let bufferSize: Int

    /// Pristine receive buffers (never modified).
    private let pristine: [UnsafeMutableRawBufferPointer]
    /// Work buffers the masking loop copies `pristine` into before masking in place.
    private let work: [UnsafeMutableRawBufferPointer]
    private var decoder = PostgresFrameDecoder(configuration: .backend())
    private var columns = PostgresColumnTable()
    private let scanner: SensitiveDataScanner

    /// - Parameters:
    ///   - targetBytes: stream size to reach (whole rows; the stream is at least this long).
    ///   - bufferSize: receive-buffer size (64 KiB in the gateway).
    public init(targetBytes: Int = 1 << 20, bufferSize: Int = 64 << 10) {
        var stream: [UInt8] = []
        stream.reserveCapacity(targetBytes + 512)
        var rows = 0
        let notes = [
            "Customer called about the late delivery; promised a callback tomorrow morning.",
            "Prefers e-mail contact.",
            "Refund issued for card 4111 1111 1111 1111 after the duplicate charge.",
            "Moved to the enterprise plan; contact ann.lee@example.com for renewals.",
            "",
        ]
        while stream.count < targetBytes {
            let i = rows
            let note: [UInt8]? = i % 7 == 6 ? nil : Array(notes[i % notes.count].utf8)
            Self.appendDataRow([
                Array(String(100_000 + i).utf8),
                Array("customer\(i)@example.com".utf8),
                Array("4111 1111 1111 \(1000 + i % 9000)".utf8),
                Self.bigEndian(Int64(i) &* 1_000_003),
                note,
                Array("{\"tier\": \"gold\", \"visits\": \(i % 97), \"tags\": [\"a\", \"b\"]}".utf8),
            ], to: &stream)
            rows += 1
        }
        byteCount = stream.count
        rowCount = rows
        self.bufferSize = bufferSize
        var pristine: [UnsafeMutableRawBufferPointer] = []
        var work: [UnsafeMutableRawBufferPointer] = []
        var start = 0
        while start < stream.count {
            let end = min(start + bufferSize, stream.count)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: end - start, alignment: 64)
            buffer.copyBytes(from: stream[start..<end])
            pristine.append(buffer)
            work.append(UnsafeMutableRawBufferPointer.allocate(byteCount: end - start, alignment: 64))
            start = end
        }
        self.pristine = pristine
        self.work = work
        scanner = MixedText.scanner()
        let plan: [PostgresColumn] = [
            PostgresColumn(typeOID: 20, action: .keep),                      // id int8 (text)
            PostgresColumn(typeOID: 1043, action: .redact(.keepLast4)),      // email varchar
            PostgresColumn(typeOID: 25, action: .scan),                      // card text
            PostgresColumn(typeOID: 20, typeSize: 8, format: 1, action: .keep), // amount int8 (binary)
            PostgresColumn(typeOID: 25, action: .scan),                      // note text
            PostgresColumn(typeOID: 3802, action: .redact(.full)),           // doc jsonb
        ]
        for column in plan {
            do { try columns.append(column) } catch { preconditionFailure("column table: \(error)") }
        }
    }

    deinit {
        for buffer in pristine { buffer.deallocate() }
        for buffer in work { buffer.deallocate() }
    }

    /// Decodes every buffer of the stream; returns the DataRows seen (whole frames plus
    /// reassembled ones). Allocates nothing once the decoder's scratch buffer exists.
    @inline(never)
    public func decode() -> Int {
        var rows = 0
        var index = 0
        while index < pristine.count {
            let buffer = UnsafeRawBufferPointer(pristine[index])
            index += 1
            var cursor = 0
            loop: while true {
                switch decoder.next(in: buffer, at: &cursor) {
                case .needMoreData: break loop
                case .frame, .reassembled: rows += 1
                case .part, .singleByte: continue
                case .protocolError: preconditionFailure("the benchmark stream is well formed")
                }
            }
        }
        return rows
    }

    /// Copies the pristine stream into the work buffers (a memcpy of `byteCount` bytes,
    /// included in the measurement), then decodes and masks every DataRow in place:
    /// whole frames where they landed, rows crossing a buffer edge in the decoder's
    /// scratch copy. Returns the sum of the masked rows' new lengths.
    @inline(never)
    public func decodeAndMask() -> Int {
        var total = 0
        var index = 0
        while index < work.count {
            let buffer = work[index]
            buffer.copyMemory(from: UnsafeRawBufferPointer(pristine[index]))
            index += 1
            var cursor = 0
            loop: while true {
                switch decoder.next(in: UnsafeRawBufferPointer(buffer), at: &cursor) {
                case .needMoreData:
                    break loop
                case .frame(let frame):
                    let message = UnsafeMutableRawBufferPointer(rebasing: buffer[frame.offset..<(frame.offset + frame.length)])
                    total &+= maskRow(message)
                case .reassembled(let frame):
                    let scratch = decoder.reassembled
                    let message = UnsafeMutableRawBufferPointer(rebasing: scratch[frame.offset..<(frame.offset + frame.length)])
                    total &+= maskRow(message)
                case .part, .singleByte:
                    continue
                case .protocolError:
                    preconditionFailure("the benchmark stream is well formed")
                }
            }
        }
        return total
    }

    @inline(__always)
    private func maskRow(_ message: UnsafeMutableRawBufferPointer) -> Int {
        do {
            return try DataRowMasker.mask(message: message, columns: columns, scanner: scanner)
        } catch {
            preconditionFailure("the benchmark rows are well formed")
        }
    }

    /// The first row of the work buffers after `decodeAndMask()` (to check masking ran).
    public var firstMaskedRow: [UInt8] { Array(work[0][0..<Swift.min(work[0].count, 200)]) }

    private static func bigEndian(_ value: Int64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    private static func appendDataRow(_ cells: [[UInt8]?], to stream: inout [UInt8]) {
        var body: [UInt8] = []
        appendInt16(Int16(cells.count), to: &body)
        for cell in cells {
            if let cell {
                appendInt32(Int32(cell.count), to: &body)
                body += cell
            } else {
                appendInt32(-1, to: &body)
            }
        }
        stream.append(UInt8(ascii: "D"))
        appendInt32(Int32(body.count + 4), to: &stream)
        stream += body
    }

    private static func appendInt32(_ value: Int32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    private static func appendInt16(_ value: Int16, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}
