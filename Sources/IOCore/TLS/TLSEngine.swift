import COpenSSL
import Glibc

/// One TLS connection over two memory BIOs: the loop feeds the ciphertext it received and
/// sends the ciphertext the engine produced; the session sees plaintext only.
///
/// Owned by one loop thread, freed explicitly with ``free()`` (it lives in the loop's slot
/// table). After the handshake, reading and writing records allocates nothing: OpenSSL keeps
/// its record buffers, and a memory BIO reuses its storage once it has grown to the largest
/// burst.
struct TLSEngine {
    /// What reading plaintext gave.
    enum ReadResult: Equatable {
        /// This many plaintext bytes were written to the buffer.
        case bytes(Int)
        /// Nothing more until more ciphertext arrives.
        case needMoreCiphertext
        /// The peer closed TLS (close_notify).
        case closed
        /// A protocol error, a refused handshake or an untrusted certificate.
        case failed
    }

    private let ssl: OpaquePointer
    /// Ciphertext received from the peer (the engine reads it).
    private let input: OpaquePointer
    /// Ciphertext for the peer (the engine writes it).
    private let output: OpaquePointer
    /// The handshake completed.
    private(set) var isEstablished = false
    /// The engine failed; nothing more goes through it.
    private(set) var hasFailed = false

    /// A connection that accepts (server context) or connects (client context). For a client,
    /// `serverName` is sent as SNI (unless it is an IP address) and, when the context verifies
    /// its peer, checked against the certificate.
    init(context: TLSContext, serverName: String?) throws(TLSFailure) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.raw) else { throw .openSSL("SSL_new") }
        guard let input = rg_bio_new_mem(), let output = rg_bio_new_mem() else {
            SSL_free(ssl)
            throw .openSSL("BIO_new")
        }
        SSL_set_bio(ssl, input, output)
        self.ssl = ssl
        self.input = input
        self.output = output
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName {
                let isAddress = SocketAddress.isIPLiteral(serverName)
                if !isAddress { _ = rg_tls_set_server_name(ssl, serverName) }
                if context.verifiesPeer, rg_tls_verify_host(ssl, serverName, isAddress ? 1 : 0) != 1 {
                    SSL_free(ssl)
                    throw .openSSL("cannot verify the host name \(serverName)")
                }
            }
        }
    }

    /// Frees the connection and its BIOs.
    func free() {
        SSL_free(ssl)
    }

    /// Hands `ciphertext` to the engine (copied). False on failure (out of memory).
    mutating func feed(_ ciphertext: UnsafeRawBufferPointer) -> Bool {
        guard !ciphertext.isEmpty else { return true }
        let written = BIO_write(input, ciphertext.baseAddress, Int32(ciphertext.count))
        if written != Int32(ciphertext.count) { hasFailed = true }
        return !hasFailed
    }

    /// Advances the handshake (a client sends its hello here). Returns `.failed` on failure.
    mutating func handshake() -> ReadResult {
        guard !hasFailed else { return .failed }
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isEstablished = true
            return .needMoreCiphertext
        }
        return classify(result)
    }

    /// Decrypts as much plaintext as fits into `buffer` (advancing the handshake first).
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        guard !hasFailed else { return .failed }
        var filled = 0
        while filled < buffer.count {
            let result = SSL_read(ssl, buffer.baseAddress! + filled, Int32(buffer.count - filled))
            if result > 0 {
                filled += Int(result)
                continue
            }
            if filled > 0 { break }
            noteHandshake()
            return classify(result)
        }
        noteHandshake()
        return .bytes(filled)
    }

    @inline(__always)
    private mutating func noteHandshake() {
        if !isEstablished && SSL_is_init_finished(ssl) == 1 { isEstablished = true }
    }

    /// Encrypts `plaintext` into the output (all of it: a memory BIO never fills). False when
    /// the handshake has not finished (call again once established) or the engine failed.
    mutating func write(_ plaintext: UnsafeRawBufferPointer) -> Bool {
        guard !hasFailed, isEstablished else { return false }
        guard !plaintext.isEmpty else { return true }
        let result = SSL_write(ssl, plaintext.baseAddress, Int32(plaintext.count))
        if result == Int32(plaintext.count) { return true }
        _ = classify(result)
        return false
    }

    /// Queues a close_notify alert for the peer.
    mutating func shutdown() {
        guard isEstablished, !hasFailed else { return }
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Ciphertext waiting to be sent.
    var pendingOutput: Int { rg_bio_pending(output) }

    /// Moves up to `buffer.count` bytes of ciphertext for the peer into `buffer`.
    func takeOutput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = BIO_read(output, buffer.baseAddress, Int32(buffer.count))
        return max(0, Int(count))
    }

    /// An alert was sent or received, or a renegotiation was attempted, after the handshake.
    var sawAlertOrRenegotiation: Bool {
        isEstablished && rg_tls_events(ssl) != 0
    }

    /// Why the engine failed: the certificate check's verdict when it refused the peer,
    /// else OpenSSL's reasons (the thread's error queue is emptied).
    func failure() -> TLSFailure {
        let verdict = SSL_get_verify_result(ssl)
        if verdict != Int(X509_V_OK) {
            ERR_clear_error()
            let text = X509_verify_cert_error_string(verdict).map { String(cString: $0) } ?? "error \(verdict)"
            return TLSFailure("certificate verify failed: \(text)")
        }
        return .openSSL(isEstablished ? "TLS error" : "TLS handshake failed")
    }

    /// What was negotiated (allocates; for logins and logs, not per message).
    func connectionInfo() -> TLSConnectionInfo {
        var alpnPointer: UnsafePointer<UInt8>?
        var alpnLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpnPointer, &alpnLength)
        let alpn = alpnPointer.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLength)), as: UTF8.self) }
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? ""
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? ""
        return TLSConnectionInfo(
            version: version, cipher: cipher, alpn: alpn == "" ? nil : alpn, resumed: SSL_session_reused(ssl) == 1)
    }

    private mutating func classify(_ result: Int32) -> ReadResult {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needMoreCiphertext
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            hasFailed = true
            return .failed
        }
    }
}

/// What a TLS connection negotiated.
public struct TLSConnectionInfo: Sendable, Hashable {
    /// `TLSv1.3`, `TLSv1.2`.
    public var version: String
    public var cipher: String
    /// The ALPN protocol agreed on, if any.
    public var alpn: String?
    /// The session was resumed (a ticket or session id), no full handshake.
    public var resumed: Bool
}
