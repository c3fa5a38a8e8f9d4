/// One column of a RowDescription, viewed in place.
public struct ColumnDescriptionView {
    /// The column's name (UTF-8 per client_encoding), without the terminator.
    public let name: UnsafeRawBufferPointer
    /// OID of the table the column comes from, 0 when it is not a plain column.
    public let tableOID: UInt32
    /// The column's attribute number in that table, 0 when not a plain column.
    public let attributeNumber: Int16
    /// OID of the column's data type.
    public let typeOID: UInt32
    /// pg_type.typlen: negative for variable-width types.
    public let typeSize: Int16
    /// pg_attribute.atttypmod.
    public let typeModifier: Int32
    /// 0 text, 1 binary (0 is also "not known yet" in a Describe of a statement).
    public let format: Int16

    @inlinable
    public init(name: UnsafeRawBufferPointer, tableOID: UInt32, attributeNumber: Int16, typeOID: UInt32,
                typeSize: Int16, typeModifier: Int32, format: Int16) {
        self.name = name
        self.tableOID = tableOID
        self.attributeNumber = attributeNumber
        self.typeOID = typeOID
        self.typeSize = typeSize
        self.typeModifier = typeModifier
        self.format = format
    }
}

/// A RowDescription ('T') body, validated once, iterated without allocation.
public struct RowDescriptionView: Sequence {
    public let columnCount: Int
    @usableFromInline let columns: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.rowDescription
        var reader = WireReader(body)
        guard let n = reader.readInt16() else { throw .truncated(type: type) }
        guard n >= 0 else { throw .invalidField(type: type) }
        let start = reader.index
        var i = 0
        while i < Int(n) {
            guard reader.readCString() != nil, reader.readBytes(18) != nil else { throw .truncated(type: type) }
            i += 1
        }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        columnCount = Int(n)
        columns = UnsafeRawBufferPointer(rebasing: body[start...])
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
        public mutating func next() -> ColumnDescriptionView? {
            guard left > 0, let name = reader.readCString(), let table = reader.readInt32(),
                  let attnum = reader.readInt16(), let typeOID = reader.readInt32(), let size = reader.readInt16(),
                  let modifier = reader.readInt32(), let format = reader.readInt16() else { return nil }
            left -= 1
            return ColumnDescriptionView(name: name, tableOID: UInt32(bitPattern: table), attributeNumber: attnum,
                                         typeOID: UInt32(bitPattern: typeOID), typeSize: size,
                                         typeModifier: modifier, format: format)
        }
    }

    @inlinable
    public func makeIterator() -> Iterator {
        Iterator(reader: WireReader(columns), left: columnCount)
    }
}
