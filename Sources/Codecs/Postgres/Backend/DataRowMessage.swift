/// One cell of a DataRow: where its bytes are, or SQL NULL.
public struct DataRowCell: Sendable, Hashable {
    /// Offset of the cell's value bytes in the DataRow body.
    public let offset: Int
    /// Value length, or -1 for SQL NULL.
    public let length: Int32

    @inlinable public var isNull: Bool { length < 0 }

    @inlinable
    public init(offset: Int, length: Int32) {
        self.offset = offset
        self.length = length
    }
}

/// A DataRow ('D') body, validated once, iterated without allocation.
public struct DataRowView: Sequence {
    public let columnCount: Int
    public let body: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.dataRow
        var reader = WireReader(body)
        guard let n = reader.readInt16() else { throw .truncated(type: type) }
        guard n >= 0 else { throw .invalidField(type: type) }
        var i = 0
        while i < Int(n) {
            guard let length = reader.readInt32() else { throw .truncated(type: type) }
            if length >= 0 {
                guard reader.readBytes(Int(length)) != nil else { throw .truncated(type: type) }
            } else if length != -1 {
                throw .invalidField(type: type)
            }
            i += 1
        }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        columnCount = Int(n)
        self.body = body
    }

    /// The bytes of `cell` (`nil` for NULL).
    @inlinable
    public func value(_ cell: DataRowCell) -> UnsafeRawBufferPointer? {
        guard cell.length >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: body[cell.offset..<(cell.offset + Int(cell.length))])
    }

    public struct Iterator: IteratorProtocol {
        @usableFromInline var reader: WireReader
        @usableFromInline var left: Int

        @inlinable
        init(reader: WireReader, left: Int) {
            self.reader = reader
            self.left = left
        }

        @inlinable
        public mutating func next() -> DataRowCell? {
            guard left > 0, let length = reader.readInt32() else { return nil }
            left -= 1
            let cell = DataRowCell(offset: reader.index, length: length)
            if length > 0 { reader.index += Int(length) }
            return cell
        }
    }

    @inlinable
    public func makeIterator() -> Iterator {
        Iterator(reader: WireReader(body, index: 2), left: columnCount)
    }
}
