import Codecs

/// Holds a backend frame decoder for the blocking test client and turns its events into
/// whole messages (zero-copy frames, reassembled inspected messages, or parts pieced together).
final class PostgresFrameDecoderBox {
    var decoder = PostgresFrameDecoder(configuration: .backend())
    var partial: [UInt8] = []
    var reassembledCount = 0

    struct DecodeFailure: Error { let error: PostgresProtocolError }

    func feed(_ bytes: [UInt8]) throws -> [(kind: UInt8, message: [UInt8])] {
        var out: [(kind: UInt8, message: [UInt8])] = []
        var failure: PostgresProtocolError?
        bytes.withUnsafeBytes { buffer in
            var cursor = 0
            loop: while true {
                switch decoder.next(in: buffer, at: &cursor) {
                case .needMoreData: break loop
                case .frame(let frame): out.append((frame.kind.typeByte, Array(frame.bytes(in: buffer))))
                case .part(let part):
                    if part.isFirst { partial = [] }
                    partial += buffer[part.offset..<(part.offset + part.count)]
                    if part.isLast, !part.isBuffered, let kind = part.kind { out.append((kind.typeByte, partial)) }
                case .reassembled(let frame):
                    reassembledCount += 1
                    let copy = Array(UnsafeRawBufferPointer(decoder.reassembled)[0..<frame.length])
                    if copy != partial { failure = .decoderFailed }
                    out.append((frame.kind.typeByte, copy))
                case .singleByte(let byte): out.append((0, [byte]))
                case .protocolError(let error):
                    failure = error
                    break loop
                }
            }
        }
        if let failure { throw DecodeFailure(error: failure) }
        return out
    }
}
