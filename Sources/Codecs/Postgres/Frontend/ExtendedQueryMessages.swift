/// A Parse ('P') body: statement name, SQL text, parameter type OIDs.
public struct ParseMessageView {
    public let statementName: UnsafeRawBufferPointer
    public let query: UnsafeRawBufferPointer
    public let parameterTypeCount: Int
    @usableFromInline let parameterTypes: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Frontend.parse
        var reader = WireReader(body)
        guard let name = reader.readCString(), let text = reader.readCString(),
              let count = reader.readInt16() else { throw .truncated(type: type) }
        guard count >= 0 else { throw .invalidField(type: type) }
        guard let oids = reader.readBytes(Int(count) * 4) else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        statementName = name
        query = text
        parameterTypeCount = Int(count)
        parameterTypes = oids
    }

    /// The type OID of parameter `index` (0 = unspecified).
    @inlinable
    public func parameterType(at index: Int) -> UInt32? {
        guard index >= 0, index < parameterTypeCount else { return nil }
        return WireReader.loadUInt32(parameterTypes, at: index * 4)
    }
}

/// A Bind ('B') body: portal, statement, parameter formats and values, result formats.
public struct BindMessageView {
    public let portalName: UnsafeRawBufferPointer
    public let statementName: UnsafeRawBufferPointer
    public let parameterFormatCount: Int
    public let parameterCount: Int
    public let resultFormatCount: Int
    @usableFromInline let parameterFormats: UnsafeRawBufferPointer
    @usableFromInline let parameterValues: UnsafeRawBufferPointer
    @usableFromInline let resultFormats: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Frontend.bind
        var reader = WireReader(body)
        guard let portal = reader.readCString(), let statement = reader.readCString(),
              let formatCount = reader.readInt16() else { throw .truncated(type: type) }
        guard formatCount >= 0 else { throw .invalidField(type: type) }
        guard let formats = reader.readBytes(Int(formatCount) * 2), let valueCount = reader.readInt16() else {
            throw .truncated(type: type)
        }
        guard valueCount >= 0 else { throw .invalidField(type: type) }
        let valuesStart = reader.index
        var i = 0
        while i < Int(valueCount) {
            guard let length = reader.readInt32() else { throw .truncated(type: type) }
            if length >= 0 {
                guard reader.readBytes(Int(length)) != nil else { throw .truncated(type: type) }
            } else if length != -1 {
                throw .invalidField(type: type)
            }
            i += 1
        }
        let values = UnsafeRawBufferPointer(rebasing: body[valuesStart..<reader.index])
        guard let resultCount = reader.readInt16() else { throw .truncated(type: type) }
        guard resultCount >= 0 else { throw .invalidField(type: type) }
        guard let results = reader.readBytes(Int(resultCount) * 2) else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        portalName = portal
        statementName = statement
        parameterFormatCount = Int(formatCount)
        parameterFormats = formats
        parameterCount = Int(valueCount)
        parameterValues = values
        resultFormatCount = Int(resultCount)
        resultFormats = results
    }

    /// Calls `body` with each parameter's bytes (`nil` for SQL NULL) in order.
    @inlinable
    public func forEachParameter(_ body: (Int, UnsafeRawBufferPointer?) throws -> Void) rethrows {
        var reader = WireReader(parameterValues)
        var i = 0
        while i < parameterCount, let length = reader.readInt32() {
            if length < 0 {
                try body(i, nil)
            } else if let value = reader.readBytes(Int(length)) {
                try body(i, value)
            }
            i += 1
        }
    }

    /// The format code (0 text, 1 binary) that applies to result column `index`.
    @inlinable
    public func resultFormat(forColumn index: Int) -> Int16 {
        formatCode(resultFormats, count: resultFormatCount, index: index)
    }

    /// The format code that applies to parameter `index`.
    @inlinable
    public func parameterFormat(at index: Int) -> Int16 {
        formatCode(parameterFormats, count: parameterFormatCount, index: index)
    }

    @inlinable
    func formatCode(_ codes: UnsafeRawBufferPointer, count: Int, index: Int) -> Int16 {
        var reader = WireReader(codes)
        switch count {
        case 0: return 0
        case 1: return reader.readInt16() ?? 0
        default:
            guard index >= 0, index < count else { return 0 }
            reader.index = index * 2
            return reader.readInt16() ?? 0
        }
    }
}

/// A Describe ('D') or Close ('C') body: target kind (`S` statement / `P` portal) and name.
public struct DescribeOrCloseMessageView {
    /// `S` (prepared statement) or `P` (portal).
    public let target: UInt8
    public let name: UnsafeRawBufferPointer

    public init(type: UInt8, body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        var reader = WireReader(body)
        guard let target = reader.readUInt8(), let name = reader.readCString() else { throw .truncated(type: type) }
        guard target == UInt8(ascii: "S") || target == UInt8(ascii: "P") else { throw .invalidField(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        self.target = target
        self.name = name
    }
}

/// An Execute ('E') body: portal name and maximum row count (0 = no limit).
public struct ExecuteMessageView {
    public let portalName: UnsafeRawBufferPointer
    public let maxRows: Int32

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Frontend.execute
        var reader = WireReader(body)
        guard let portal = reader.readCString(), let rows = reader.readInt32() else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        portalName = portal
        maxRows = rows
    }
}
