import COpenSSL

/// Why a TLS context could not be built or a TLS connection failed, in words for a log line
/// or an error message (OpenSSL's reason, the certificate check's verdict). Never carries key
/// material.
public struct TLSFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// `context`, followed by the reasons OpenSSL queued on this thread (the queue is emptied).
    static func openSSL(_ context: String) -> TLSFailure {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            let full = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "error:0A000086:SSL routines::certificate verify failed" -> the reason after the last colon.
            let reason = full.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? full
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        return TLSFailure(reasons.isEmpty ? context : "\(context): \(reasons.joined(separator: "; "))")
    }
}
