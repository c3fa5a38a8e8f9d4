/// Encoders for the client-side messages a gateway originates (toward the upstream server).
public enum PostgresFrontendEncoder {
    /// StartupMessage for protocol 3.0: `user`, `database` (if not empty), then any extra
    /// name/value pairs from `extra` (a flat sequence name, value, name, value, ...).
    public static func startupMessage(_ writer: inout WireWriter, user: UnsafeRawBufferPointer,
                                      database: UnsafeRawBufferPointer,
                                      extra: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        let start = writer.count
        writer.writeInt32(0)
        writer.writeInt32(PostgresMessageType.StartupCode.protocol3)
        writer.writeCString("user")
        writer.writeCString(user)
        if !database.isEmpty {
            writer.writeCString("database")
            writer.writeCString(database)
        }
        // `extra` is already in wire form (NUL-terminated pairs) when given.
        writer.writeBytes(extra)
        writer.writeUInt8(0)
        writer.patchInt32(Int32(truncatingIfNeeded: writer.count - start), at: start)
    }

    /// SSLRequest.
    public static func sslRequest(_ writer: inout WireWriter) {
        writer.writeInt32(8)
        writer.writeInt32(PostgresMessageType.StartupCode.sslRequest)
    }

    /// CancelRequest for the upstream backend's key.
    public static func cancelRequest(_ writer: inout WireWriter, processID: Int32, secretKey: Int32) {
        writer.writeInt32(16)
        writer.writeInt32(PostgresMessageType.StartupCode.cancelRequest)
        writer.writeInt32(processID)
        writer.writeInt32(secretKey)
    }

    /// PasswordMessage (cleartext or `md5...`).
    public static func passwordMessage(_ writer: inout WireWriter, password: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Frontend.password)
        writer.writeCString(password)
        writer.finishMessage(lengthOffset: at)
    }

    /// SASLInitialResponse with the mechanism and the client-first message.
    public static func saslInitialResponse(_ writer: inout WireWriter, mechanism: StaticString, data: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Frontend.password)
        writer.writeCString(mechanism)
        writer.writeInt32(Int32(truncatingIfNeeded: data.count))
        writer.writeBytes(data)
        writer.finishMessage(lengthOffset: at)
    }

    /// SASLResponse with the client-final message.
    public static func saslResponse(_ writer: inout WireWriter, data: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Frontend.password)
        writer.writeBytes(data)
        writer.finishMessage(lengthOffset: at)
    }

    /// Query.
    @inlinable
    public static func query(_ writer: inout WireWriter, sql: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Frontend.query)
        writer.writeCString(sql)
        writer.finishMessage(lengthOffset: at)
    }

    /// Terminate.
    @inlinable
    public static func terminate(_ writer: inout WireWriter) {
        let at = writer.beginMessage(PostgresMessageType.Frontend.terminate)
        writer.finishMessage(lengthOffset: at)
    }

    /// Sync.
    @inlinable
    public static func sync(_ writer: inout WireWriter) {
        let at = writer.beginMessage(PostgresMessageType.Frontend.sync)
        writer.finishMessage(lengthOffset: at)
    }
}
