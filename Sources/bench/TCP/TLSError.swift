import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// A TLS failure with OpenSSL's error queue (and the certificate verdict, when there is one).
struct TLSError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    /// `what` failed; appends and clears OpenSSL's error queue.
    static func last(_ what: String) -> TLSError {
        TLSError("\(what) failed\(queuedErrors())")
    }

    /// A failed handshake: the `SSL_get_error` code, the certificate verification result and
    /// OpenSSL's queued errors.
    static func handshake(_ ssl: OpaquePointer, result: Int32) -> TLSError {
        var text = "TLS handshake failed (SSL_get_error \(result)"
        if result == SSL_ERROR_SYSCALL { text += ", errno \(errno): \(String(cString: strerror(errno)))" }
        text += ")"
        let verdict = SSL_get_verify_result(ssl)
        if verdict != X509_V_OK { text += "; certificate not accepted: \(String(cString: X509_verify_cert_error_string(verdict)))" }
        return TLSError(text + queuedErrors())
    }

    /// A failed `SSL_read`/`SSL_write` on connection `index`.
    static func io(_ call: String, connection index: Int, result: Int32) -> TLSError {
        var text = "\(call) on connection \(index) failed (SSL_get_error \(result)"
        if result == SSL_ERROR_SYSCALL { text += ", errno \(errno)" }
        return TLSError(text + ")" + queuedErrors())
    }

    private static func queuedErrors() -> String {
        var text = ""
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            buffer.withUnsafeMutableBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            }
            text += ": " + String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text
    }
}
