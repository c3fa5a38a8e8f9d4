/// The textual COPY dialect of a `COPY ... TO STDOUT` (the CopyOutResponse says only
/// "textual"; the statement's options say which).
public struct CopyTextFormat: Sendable, Hashable {
    /// Field separator: tab for text, comma for CSV by default.
    public var delimiter: UInt8
    /// CSV (quoted fields, empty unquoted field = NULL) instead of text (`\N` = NULL,
    /// backslash escapes).
    public var isCSV: Bool
    /// CSV quote character.
    public var quote: UInt8
    /// CSV escape character (defaults to the quote character).
    public var escape: UInt8

    public init(delimiter: UInt8 = 9, isCSV: Bool = false, quote: UInt8 = UInt8(ascii: "\""), escape: UInt8? = nil) {
        self.delimiter = delimiter
        self.isCSV = isCSV
        self.quote = quote
        self.escape = escape ?? quote
    }

    public static let text = CopyTextFormat()
    public static let csv = CopyTextFormat(delimiter: UInt8(ascii: ","), isCSV: true)
}

/// Masks the rows of a textual `COPY ... TO STDOUT` in place, with the same column
/// table (and so the same plan) as DataRow masking.
///
/// The server sends exactly one row per CopyData message ("Messages sent from the
/// backend will always correspond to single data rows", protocol docs §55.7), so each
/// message is masked on its own; a CopyData that does not end its row, or has more or
/// fewer fields than the table has columns, is a protocol error (fail closed, never
/// passed through half-masked). Binary COPY cannot be masked field by field: a session
/// must refuse it when its plan masks anything.
///
/// Rules: COPY output is text whatever the column type, so `.redact` and `.null`
/// overwrite the field with the fill character (keeping its length and, for `.redact`,
/// its last characters), escape sequences (`\t`, `\\`, `\123`, CSV `""`) counting as one
/// character and overwritten whole so no dangling escape can swallow a delimiter.
/// NULL fields (`\N`, or an empty unquoted CSV field) are left alone. `.scan` hands the
/// field's raw bytes (inside the quotes for CSV) to the scanner.
public enum CopyTextMasker {
    /// Masks one CopyData message (type byte and length included) in place.
    @inlinable
    public static func mask<Scanner: CellScanner>(
        message: UnsafeMutableRawBufferPointer,
        columns: borrowing PostgresColumnTable,
        format: CopyTextFormat,
        scanner: Scanner
    ) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.copyData
        guard message.count >= 5, message[0] == type else { throw .unexpectedMessage(type: message.first ?? 0) }
        guard columns.masksAnything else { return }
        let row = UnsafeMutableRawBufferPointer(rebasing: message[5...])
        guard let last = row.last, last == UInt8(ascii: "\n") else { throw .unsupportedCopyData }
        let rowEnd = row.count - 1
        var position = 0
        var index = 0
        while true {
            guard index < columns.count else { throw .unsupportedCopyData }
            let field = format.isCSV
                ? scanCSVField(row, from: position, end: rowEnd, format: format)
                : scanTextField(row, from: position, end: rowEnd, delimiter: format.delimiter)
            guard field.end >= 0 else { throw .unsupportedCopyData }
            if !field.isNull {
                let content = UnsafeMutableRawBufferPointer(rebasing: row[field.contentStart..<field.contentEnd])
                let column = columns.storage[index]  // index < columns.count, checked above
                switch column.actionKind {
                case PostgresColumn.keepKind: break
                case PostgresColumn.redactKind: fillUnits(content, style: column.maskStyle, format: format, quoted: field.quoted)
                case PostgresColumn.scanKind: scanner.maskInPlace(content)
                default: fillUnits(content, style: .full, format: format, quoted: field.quoted)
                }
            }
            index += 1
            if field.end == rowEnd { break }
            position = field.end + 1
        }
        guard index == columns.count else { throw .unsupportedCopyData }
    }

    /// A field: its raw range, the range to mask, whether NULL or quoted. `end` is the
    /// index of the delimiter or row end after it, -1 when malformed.
    public struct Field {
        public var contentStart: Int
        public var contentEnd: Int
        public var end: Int
        public var isNull: Bool
        public var quoted: Bool

        @inlinable
        public init(contentStart: Int, contentEnd: Int, end: Int, isNull: Bool, quoted: Bool) {
            self.contentStart = contentStart
            self.contentEnd = contentEnd
            self.end = end
            self.isNull = isNull
            self.quoted = quoted
        }
    }

    @inlinable
    static func scanTextField(_ row: UnsafeMutableRawBufferPointer, from start: Int, end rowEnd: Int, delimiter: UInt8) -> Field {
        var i = start
        while i < rowEnd {
            let byte = row[i]
            if byte == delimiter { break }
            if byte == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            i += 1
        }
        guard i <= rowEnd else { return Field(contentStart: start, contentEnd: start, end: -1, isNull: false, quoted: false) }
        let isNull = i - start == 2 && row[start] == UInt8(ascii: "\\") && row[start + 1] == UInt8(ascii: "N")
        return Field(contentStart: start, contentEnd: i, end: i, isNull: isNull, quoted: false)
    }

    @inlinable
    static func scanCSVField(_ row: UnsafeMutableRawBufferPointer, from start: Int, end rowEnd: Int, format: CopyTextFormat) -> Field {
        let malformed = Field(contentStart: start, contentEnd: start, end: -1, isNull: false, quoted: false)
        if start < rowEnd, row[start] == format.quote {
            var i = start + 1
            while i < rowEnd {
                let byte = row[i]
                if byte == format.escape, i + 1 < rowEnd, row[i + 1] == format.quote || row[i + 1] == format.escape,
                   format.escape != format.quote || row[i + 1] == format.quote {
                    i += 2
                    continue
                }
                if byte == format.quote { break }
                i += 1
            }
            // i is the closing quote; a delimiter or the row end must follow.
            guard i < rowEnd, i + 1 == rowEnd || row[i + 1] == format.delimiter else { return malformed }
            return Field(contentStart: start + 1, contentEnd: i, end: i + 1, isNull: false, quoted: true)
        }
        var i = start
        while i < rowEnd, row[i] != format.delimiter {
            if row[i] == format.quote { return malformed }
            i += 1
        }
        return Field(contentStart: start, contentEnd: i, end: i, isNull: i == start, quoted: false)
    }

    /// Overwrites a field's characters with the fill, keeping the last `keepLast`; an
    /// escape sequence is one character and is overwritten whole.
    @inlinable
    static func fillUnits(_ content: UnsafeMutableRawBufferPointer, style: MaskStyle, format: CopyTextFormat, quoted: Bool) {
        let total = countUnits(content, format: format, quoted: quoted)
        let maskedUnits = max(total - Int(style.keepLast), 0)
        var unit = 0
        var i = 0
        while i < content.count, unit < maskedUnits {
            let length = unitLength(content, at: i, format: format, quoted: quoted)
            var j = 0
            while j < length {
                content[i + j] = style.fill
                j += 1
            }
            i += length
            unit += 1
        }
    }

    @inlinable
    static func countUnits(_ content: UnsafeMutableRawBufferPointer, format: CopyTextFormat, quoted: Bool) -> Int {
        var count = 0
        var i = 0
        while i < content.count {
            i += unitLength(content, at: i, format: format, quoted: quoted)
            count += 1
        }
        return count
    }

    /// Length of the character starting at `i`: an escape sequence, or one UTF-8 scalar.
    @inlinable
    static func unitLength(_ content: UnsafeMutableRawBufferPointer, at i: Int, format: CopyTextFormat, quoted: Bool) -> Int {
        let byte = content[i]
        let escapeLength: Int
        if format.isCSV {
            escapeLength = quoted && byte == format.escape && i + 1 < content.count ? 2 : 1
        } else {
            escapeLength = byte == UInt8(ascii: "\\") && i + 1 < content.count ? 2 : 1
        }
        if escapeLength == 2 { return 2 }
        var length = 1
        while i + length < content.count, content[i + length] & 0xC0 == 0x80 { length += 1 }
        return length
    }
}
