/// Masks the cells of DataRow messages in place, following the session's column table.
///
/// ## The type-aware rule
/// A masked value must neither leak nor break the client's parser:
///
/// - **Textual types** (text, varchar, bpchar, name, "char", unknown), text *or* binary
///   format (both are the same UTF-8 bytes): `.redact(style)` overwrites the value in
///   place with `style.fill`, keeping its byte length and the last `style.keepLast`
///   characters; `.scan` lets the `CellScanner` overwrite what it finds, in place.
/// - **json / jsonb**: `.redact` replaces the value with a JSON string of the same length
///   (`"****"`; jsonb binary keeps its version byte); `.scan` scans in place and, if the
///   scanner changed anything, replaces the whole value the same way (a masked digit
///   inside a JSON number would otherwise make invalid JSON).
/// - **Arrays of character types** (text[], varchar[], ...): `.scan` masks in place, in the
///   array literal (text format) or element by element (binary format; an array that is not
///   well formed becomes NULL); `.redact` sends NULL.
/// - **Every other type** (int8, numeric, bytea, dates, other arrays, ...): a fill character in
///   an int8 or numeric makes clients fail to parse the row, and a binary value is raw
///   bytes, so `.redact` sends **SQL NULL** instead. `.scan` looks at the value as the
///   scanner would see it (text format in place, binary integers rendered as decimal
///   digits in a stack buffer) and sends NULL if the scanner found anything; binary
///   values of other non-scalar types (numeric, bytea, ...) cannot be scanned and are
///   sent as NULL (fail closed). Binary scalars (bool, float, dates, uuid) are kept.
/// - `.null` always sends NULL; `.keep` leaves the value alone.
///
/// Replacing a value by NULL shortens the message: the cells after it move down
/// within the same buffer and the length field is rewritten. The caller sends the new
/// length's bytes; the bytes between the new and the old end are garbage to skip.
public enum DataRowMasker {
    /// Masks one whole DataRow message (type byte and length included) in place.
    ///
    /// - Returns: the message's new length (≤ the old one).
    /// - Throws: when the row is malformed or its column count differs from the table's.
    @inlinable
    public static func mask<Scanner: CellScanner>(
        message: UnsafeMutableRawBufferPointer,
        columns: borrowing PostgresColumnTable,
        scanner: Scanner
    ) throws(PostgresProtocolError) -> Int {
        let type = PostgresMessageType.Backend.dataRow
        guard message.count >= 7, message[0] == type else { throw .unexpectedMessage(type: message.first ?? 0) }
        let declared = Int(Int32(bitPattern: WireReader.loadUInt32(UnsafeRawBufferPointer(message), at: 1)))
        guard declared + 1 == message.count else { throw .invalidField(type: type) }
        let columnCount = Int(Int16(bitPattern: UInt16(message[5]) << 8 | UInt16(message[6])))
        guard columnCount == columns.count else { throw .unexpectedMessage(type: type) }
        guard columns.masksAnything else {
            try validateCells(message, count: columnCount)
            return message.count
        }
        var read = 7
        var write = 7
        var index = 0
        while index < columnCount {
            guard message.count - read >= 4 else { throw .truncated(type: type) }
            let length = Int32(bitPattern: WireReader.loadUInt32(UnsafeRawBufferPointer(message), at: read))
            if length < -1 { throw .invalidField(type: type) }
            let valueLength = max(Int(length), 0)
            guard message.count - read - 4 >= valueLength else { throw .truncated(type: type) }
            let column = columns.storage[index]  // index < columns.count, checked above
            var makeNull = false
            if length >= 0, column.actionKind != PostgresColumn.keepKind {
                let cell = UnsafeMutableRawBufferPointer(rebasing: message[(read + 4)..<(read + 4 + valueLength)])
                makeNull = maskCell(cell, column: column, scanner: scanner)
            }
            if makeNull {
                storeInt32(-1, in: message, at: write)
                write += 4
            } else {
                let span = 4 + valueLength
                if write != read, let base = message.baseAddress {
                    (base + write).copyMemory(from: base + read, byteCount: span)
                }
                write += span
            }
            read += 4 + valueLength
            index += 1
        }
        guard read == message.count else { throw .trailingBytes(type: type) }
        if write != read { storeInt32(Int32(truncatingIfNeeded: write - 1), in: message, at: 1) }
        return write
    }

    /// Masks one non-NULL cell in place; returns true when it must become NULL instead.
    @inlinable
    static func maskCell<Scanner: CellScanner>(
        _ cell: UnsafeMutableRawBufferPointer, column: PostgresColumn, scanner: Scanner
    ) -> Bool {
        let binary = column.format == 1
        switch column.actionKind {
        case PostgresColumn.keepKind:
            return false
        case PostgresColumn.redactKind:
            switch column.category {
            case .text:
                TextMasking.fill(cell, style: column.maskStyle)
                return false
            case .json:
                TextMasking.replaceJSON(jsonText(cell, typeOID: column.typeOID, binary: binary), style: column.maskStyle)
                return false
            case .integer, .scalar, .textArray, .other:
                return true
            }
        case PostgresColumn.scanKind:
            switch column.category {
            case .text:
                scanner.maskInPlace(cell)
                return false
            case .json:
                let text = jsonText(cell, typeOID: column.typeOID, binary: binary)
                let before = TextMasking.fingerprint(text)
                scanner.maskInPlace(text)
                if TextMasking.fingerprint(text) != before {
                    TextMasking.replaceJSON(text, style: .full)
                }
                return false
            case .textArray where binary:
                return !scanBinaryTextArray(cell, scanner: scanner)
            case .textArray:
                // The array literal: masking overwrites letters and digits only, so quotes,
                // braces, commas and escapes stay where they were.
                scanner.maskInPlace(cell)
                return false
            case .integer where binary:
                return scanBinaryInteger(cell, scanner: scanner)
            case .scalar where binary:
                return false
            case .other where binary:
                return true
            case .integer, .scalar, .other:
                let before = TextMasking.fingerprint(cell)
                scanner.maskInPlace(cell)
                return TextMasking.fingerprint(cell) != before
            }
        default:  // null
            return true
        }
    }

    /// The JSON text of a json/jsonb value: jsonb's binary form starts with a version byte.
    @inlinable
    static func jsonText(_ cell: UnsafeMutableRawBufferPointer, typeOID: UInt32, binary: Bool) -> UnsafeMutableRawBufferPointer {
        if binary, typeOID == PostgresTypeCategory.OID.jsonb, !cell.isEmpty {
            return UnsafeMutableRawBufferPointer(rebasing: cell[1...])
        }
        return cell
    }

    /// Scans each element of a binary array of a character type in place; false when the
    /// value is not such an array or is malformed (the cell must become NULL: fail closed).
    @inlinable
    static func scanBinaryTextArray<Scanner: CellScanner>(_ cell: UnsafeMutableRawBufferPointer, scanner: Scanner) -> Bool {
        let bytes = UnsafeRawBufferPointer(cell)
        guard cell.count >= 12 else { return false }
        let dimensions = Int(Int32(bitPattern: WireReader.loadUInt32(bytes, at: 0)))
        let elementType = WireReader.loadUInt32(bytes, at: 8)
        guard dimensions >= 0, dimensions <= 6,
              PostgresTypeCategory(typeOID: elementType) == .text else { return false }
        var offset = 12
        var elements = dimensions == 0 ? 0 : 1
        for _ in 0..<dimensions {
            guard cell.count - offset >= 8 else { return false }
            let size = Int(Int32(bitPattern: WireReader.loadUInt32(bytes, at: offset)))
            guard size >= 0, size <= cell.count else { return false }
            elements = elements.multipliedReportingOverflow(by: size).partialValue
            guard elements <= cell.count else { return false }
            offset += 8
        }
        for _ in 0..<elements {
            guard cell.count - offset >= 4 else { return false }
            let length = Int(Int32(bitPattern: WireReader.loadUInt32(bytes, at: offset)))
            offset += 4
            if length == -1 { continue }
            guard length >= 0, cell.count - offset >= length else { return false }
            scanner.maskInPlace(UnsafeMutableRawBufferPointer(rebasing: cell[offset..<(offset + length)]))
            offset += length
        }
        return offset == cell.count
    }

    /// Renders a binary int2/int4/int8 as decimal digits on the stack and scans them;
    /// true when the scanner found something (the cell must become NULL).
    @inlinable
    static func scanBinaryInteger<Scanner: CellScanner>(_ cell: UnsafeMutableRawBufferPointer, scanner: Scanner) -> Bool {
        var value: Int64
        switch cell.count {
        case 2: value = Int64(Int16(bitPattern: UInt16(cell[0]) << 8 | UInt16(cell[1])))
        case 4: value = Int64(Int32(bitPattern: WireReader.loadUInt32(UnsafeRawBufferPointer(cell), at: 0)))
        case 8:
            let high = UInt64(WireReader.loadUInt32(UnsafeRawBufferPointer(cell), at: 0))
            let low = UInt64(WireReader.loadUInt32(UnsafeRawBufferPointer(cell), at: 4))
            value = Int64(bitPattern: high << 32 | low)
        default: return true
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: sign + 20 digits fit
        return withUnsafeMutableBytes(of: &digits) { raw in
            var end = raw.count
            let negative = value < 0
            var magnitude = value.magnitude
            repeat {
                end -= 1
                raw[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if negative {
                end -= 1
                raw[end] = UInt8(ascii: "-")
            }
            let text = UnsafeMutableRawBufferPointer(rebasing: raw[end...])
            let before = TextMasking.fingerprint(text)
            scanner.maskInPlace(text)
            return TextMasking.fingerprint(text) != before
        }
    }

    @inlinable
    static func storeInt32(_ value: Int32, in buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        let v = UInt32(bitPattern: value)
        buffer[offset] = UInt8(truncatingIfNeeded: v >> 24)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
        buffer[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[offset + 3] = UInt8(truncatingIfNeeded: v)
    }

    @inlinable
    static func validateCells(_ message: UnsafeMutableRawBufferPointer, count: Int) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.dataRow
        var read = 7
        var index = 0
        while index < count {
            guard message.count - read >= 4 else { throw .truncated(type: type) }
            let length = Int32(bitPattern: WireReader.loadUInt32(UnsafeRawBufferPointer(message), at: read))
            if length < -1 { throw .invalidField(type: type) }
            let valueLength = max(Int(length), 0)
            guard message.count - read - 4 >= valueLength else { throw .truncated(type: type) }
            read += 4 + valueLength
            index += 1
        }
        guard read == message.count else { throw .trailingBytes(type: type) }
    }
}
