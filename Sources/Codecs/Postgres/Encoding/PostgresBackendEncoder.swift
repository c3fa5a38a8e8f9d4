/// Encoders for the server-side messages a gateway originates (toward its client).
///
/// Each appends one complete message to `writer` (a caller-provided buffer) without
/// allocating; call `writer.finish()` to learn the size or that the buffer was too small.
public enum PostgresBackendEncoder {
    @inlinable
    static func authentication(_ writer: inout WireWriter, code: Int32) {
        let at = writer.beginMessage(PostgresMessageType.Backend.authentication)
        writer.writeInt32(code)
        writer.finishMessage(lengthOffset: at)
    }

    /// AuthenticationOk.
    @inlinable
    public static func authenticationOk(_ writer: inout WireWriter) {
        authentication(&writer, code: AuthenticationMessageView.okCode)
    }

    /// AuthenticationCleartextPassword: asks the client for its password (the gateway
    /// uses it to receive a bearer token).
    @inlinable
    public static func authenticationCleartextPassword(_ writer: inout WireWriter) {
        authentication(&writer, code: AuthenticationMessageView.cleartextPasswordCode)
    }

    /// AuthenticationMD5Password with its salt.
    @inlinable
    public static func authenticationMD5Password(_ writer: inout WireWriter, salt: UInt32) {
        let at = writer.beginMessage(PostgresMessageType.Backend.authentication)
        writer.writeInt32(AuthenticationMessageView.md5PasswordCode)
        writer.writeInt32(Int32(bitPattern: salt))
        writer.finishMessage(lengthOffset: at)
    }

    /// AuthenticationSASL offering one mechanism (for example `SCRAM-SHA-256`).
    @inlinable
    public static func authenticationSASL(_ writer: inout WireWriter, mechanism: StaticString) {
        let at = writer.beginMessage(PostgresMessageType.Backend.authentication)
        writer.writeInt32(AuthenticationMessageView.saslCode)
        writer.writeCString(mechanism)
        writer.writeUInt8(0)
        writer.finishMessage(lengthOffset: at)
    }

    /// AuthenticationSASLContinue with the mechanism's challenge.
    @inlinable
    public static func authenticationSASLContinue(_ writer: inout WireWriter, data: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Backend.authentication)
        writer.writeInt32(AuthenticationMessageView.saslContinueCode)
        writer.writeBytes(data)
        writer.finishMessage(lengthOffset: at)
    }

    /// AuthenticationSASLFinal with the mechanism's outcome data.
    @inlinable
    public static func authenticationSASLFinal(_ writer: inout WireWriter, data: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Backend.authentication)
        writer.writeInt32(AuthenticationMessageView.saslFinalCode)
        writer.writeBytes(data)
        writer.finishMessage(lengthOffset: at)
    }

    /// ParameterStatus.
    @inlinable
    public static func parameterStatus(_ writer: inout WireWriter, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Backend.parameterStatus)
        writer.writeCString(name)
        writer.writeCString(value)
        writer.finishMessage(lengthOffset: at)
    }

    /// BackendKeyData (the gateway hands out its own keys and maps cancels to upstream ones).
    @inlinable
    public static func backendKeyData(_ writer: inout WireWriter, processID: Int32, secretKey: Int32) {
        let at = writer.beginMessage(PostgresMessageType.Backend.backendKeyData)
        writer.writeInt32(processID)
        writer.writeInt32(secretKey)
        writer.finishMessage(lengthOffset: at)
    }

    /// ErrorResponse.
    @inlinable
    public static func errorResponse(_ writer: inout WireWriter, _ fields: PostgresErrorFields) {
        errorOrNotice(&writer, type: PostgresMessageType.Backend.errorResponse, fields)
    }

    /// NoticeResponse.
    @inlinable
    public static func noticeResponse(_ writer: inout WireWriter, _ fields: PostgresErrorFields) {
        errorOrNotice(&writer, type: PostgresMessageType.Backend.noticeResponse, fields)
    }

    @inlinable
    static func errorOrNotice(_ writer: inout WireWriter, type: UInt8, _ fields: PostgresErrorFields) {
        let at = writer.beginMessage(type)
        writer.writeUInt8(ErrorNoticeView.FieldCode.severity)
        writer.writeCString(fields.severity.text)
        writer.writeUInt8(ErrorNoticeView.FieldCode.severityNonLocalized)
        writer.writeCString(fields.severity.text)
        writer.writeUInt8(ErrorNoticeView.FieldCode.sqlState)
        writer.writeCString(fields.sqlState)
        writer.writeUInt8(ErrorNoticeView.FieldCode.message)
        writer.writeCString(fields.message)
        if !fields.detail.isEmpty {
            writer.writeUInt8(ErrorNoticeView.FieldCode.detail)
            writer.writeCString(fields.detail)
        }
        if !fields.hint.isEmpty {
            writer.writeUInt8(ErrorNoticeView.FieldCode.hint)
            writer.writeCString(fields.hint)
        }
        writer.writeUInt8(0)
        writer.finishMessage(lengthOffset: at)
    }

    /// ReadyForQuery with transaction status `I`, `T` or `E`.
    @inlinable
    public static func readyForQuery(_ writer: inout WireWriter, transactionStatus: UInt8) {
        let at = writer.beginMessage(PostgresMessageType.Backend.readyForQuery)
        writer.writeUInt8(transactionStatus)
        writer.finishMessage(lengthOffset: at)
    }

    /// CommandComplete with a tag such as `SELECT 0`.
    @inlinable
    public static func commandComplete(_ writer: inout WireWriter, tag: UnsafeRawBufferPointer) {
        let at = writer.beginMessage(PostgresMessageType.Backend.commandComplete)
        writer.writeCString(tag)
        writer.finishMessage(lengthOffset: at)
    }

    /// A message without a body (EmptyQueryResponse, NoData, ParseComplete, ...).
    @inlinable
    public static func emptyMessage(_ writer: inout WireWriter, type: UInt8) {
        let at = writer.beginMessage(type)
        writer.finishMessage(lengthOffset: at)
    }
}
