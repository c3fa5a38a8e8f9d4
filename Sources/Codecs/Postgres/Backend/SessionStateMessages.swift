/// A ParameterStatus ('S') body: a run-time parameter's name and current value.
public struct ParameterStatusView {
    public let name: UnsafeRawBufferPointer
    public let value: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.parameterStatus
        var reader = WireReader(body)
        guard let n = reader.readCString(), let v = reader.readCString() else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        name = n
        value = v
    }
}

/// A BackendKeyData ('K') body: the key a client needs to cancel queries.
public struct BackendKeyDataView: Sendable, Hashable {
    public let processID: Int32
    public let secretKey: Int32

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.backendKeyData
        var reader = WireReader(body)
        guard let pid = reader.readInt32(), let key = reader.readInt32() else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        processID = pid
        secretKey = key
    }
}

/// A ReadyForQuery ('Z') body: the transaction status.
public struct ReadyForQueryView: Sendable, Hashable {
    /// `I` idle, `T` in a transaction block, `E` in a failed transaction block.
    public let transactionStatus: UInt8

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.readyForQuery
        guard body.count == 1 else { throw body.isEmpty ? .truncated(type: type) : .trailingBytes(type: type) }
        let status = body[0]
        guard status == UInt8(ascii: "I") || status == UInt8(ascii: "T") || status == UInt8(ascii: "E") else {
            throw .invalidField(type: type)
        }
        transactionStatus = status
    }
}

/// A CommandComplete ('C') body: the command tag (`SELECT 3`, `INSERT 0 1`, ...).
public struct CommandCompleteView {
    public let tag: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.commandComplete
        var reader = WireReader(body)
        guard let text = reader.readCString() else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        tag = text
    }
}

/// A ParameterDescription ('t') body: the type OIDs of a prepared statement's parameters.
public struct ParameterDescriptionView {
    public let count: Int
    @usableFromInline let oids: UnsafeRawBufferPointer

    public init(body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        let type = PostgresMessageType.Backend.parameterDescription
        var reader = WireReader(body)
        guard let n = reader.readInt16() else { throw .truncated(type: type) }
        guard n >= 0 else { throw .invalidField(type: type) }
        guard let list = reader.readBytes(Int(n) * 4) else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        count = Int(n)
        oids = list
    }

    @inlinable
    public func typeOID(at index: Int) -> UInt32? {
        guard index >= 0, index < count else { return nil }
        return WireReader.loadUInt32(oids, at: index * 4)
    }
}

/// A CopyInResponse ('G'), CopyOutResponse ('H') or CopyBothResponse ('W') body.
public struct CopyResponseView {
    /// 0 text, 1 binary.
    public let overallFormat: Int8
    public let columnCount: Int
    @usableFromInline let formats: UnsafeRawBufferPointer

    public init(type: UInt8, body: UnsafeRawBufferPointer) throws(PostgresProtocolError) {
        var reader = WireReader(body)
        guard let format = reader.readUInt8(), let n = reader.readInt16() else { throw .truncated(type: type) }
        guard format <= 1, n >= 0 else { throw .invalidField(type: type) }
        guard let list = reader.readBytes(Int(n) * 2) else { throw .truncated(type: type) }
        guard reader.isAtEnd else { throw .trailingBytes(type: type) }
        overallFormat = Int8(format)
        columnCount = Int(n)
        formats = list
    }

    /// The format code of column `index`.
    @inlinable
    public func format(ofColumn index: Int) -> Int16? {
        guard index >= 0, index < columnCount else { return nil }
        var reader = WireReader(formats, index: index * 2)
        return reader.readInt16()
    }
}
