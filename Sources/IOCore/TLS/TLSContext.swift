import COpenSSL

/// An OpenSSL context (`SSL_CTX`): the certificate, key, trust anchors and settings that the
/// TLS connections made from it share. Immutable once built; OpenSSL makes creating
/// connections from one context safe from any thread. A certificate reload builds a new
/// context (see ``TLSContextSource``); connections keep the one they started with.
public final class TLSContext: @unchecked Sendable {
    /// Whether connections from this context accept (server) or connect (client).
    public enum Role: Sendable {
        case server
        case client
    }

    let raw: OpaquePointer
    public let role: Role
    /// Client contexts: whether the peer's certificate chain is verified.
    public let verifiesPeer: Bool
    /// Server contexts: the ALPN protocols accepted, in the wire format the callback reads.
    private let alpn: UnsafeMutablePointer<UInt8>?

    private init(raw: OpaquePointer, role: Role, verifiesPeer: Bool, alpn: UnsafeMutablePointer<UInt8>?) {
        self.raw = raw
        self.role = role
        self.verifiesPeer = verifiesPeer
        self.alpn = alpn
    }

    deinit {
        SSL_CTX_free(raw)
        alpn?.deallocate()
    }

    /// A server context from a PEM certificate chain and its private key.
    ///
    /// - Parameters:
    ///   - alpn: protocols a client may negotiate (for example `postgresql`). A client that
    ///     offers ALPN without one of them is refused; a client that offers none is accepted.
    ///   - clientCAFile: when set, clients must present a certificate signed by one of these CAs.
    public static func server(
        certificateFile: String, keyFile: String, minimumVersion: TLSVersion = .v1_2,
        alpn: [String] = [], clientCAFile: String? = nil
    ) throws(TLSFailure) -> TLSContext {
        ERR_clear_error()
        guard let raw = SSL_CTX_new(TLS_server_method()) else { throw .openSSL("SSL_CTX_new") }
        var wire: UnsafeMutablePointer<UInt8>?
        do throws(TLSFailure) {
            try configure(raw, minimumVersion: minimumVersion)
            guard SSL_CTX_use_certificate_chain_file(raw, certificateFile) == 1 else {
                throw .openSSL("cannot load certificate \(certificateFile)")
            }
            guard SSL_CTX_use_PrivateKey_file(raw, keyFile, SSL_FILETYPE_PEM) == 1 else {
                throw .openSSL("cannot load private key \(keyFile)")
            }
            guard SSL_CTX_check_private_key(raw) == 1 else {
                throw .openSSL("private key \(keyFile) does not match certificate \(certificateFile)")
            }
            let sessionContext: [UInt8] = Array("ringgate".utf8)
            _ = SSL_CTX_set_session_id_context(raw, sessionContext, UInt32(sessionContext.count))
            // TLS 1.3 resumption: one ticket per handshake (OpenSSL's default is two).
            _ = SSL_CTX_set_num_tickets(raw, 1)
            if let clientCAFile {
                guard SSL_CTX_load_verify_locations(raw, clientCAFile, nil) == 1 else {
                    throw .openSSL("cannot load CA file \(clientCAFile)")
                }
                SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            }
            if !alpn.isEmpty {
                wire = try alpnWireFormat(alpn)
            }
        } catch {
            SSL_CTX_free(raw)
            throw error
        }
        rg_tls_ctx_install_callbacks(raw, wire)
        return TLSContext(raw: raw, role: .server, verifiesPeer: clientCAFile != nil, alpn: wire)
    }

    /// A client context. With `caFile`, the server's chain is verified against it (the host
    /// name is checked per connection, see ``SessionIO/startTLS(_:context:serverName:replaying:)``);
    /// without, the connection is encrypted but the server is not authenticated.
    public static func client(
        caFile: String?, certificateFile: String? = nil, keyFile: String? = nil, minimumVersion: TLSVersion = .v1_2
    ) throws(TLSFailure) -> TLSContext {
        ERR_clear_error()
        guard let raw = SSL_CTX_new(TLS_client_method()) else { throw .openSSL("SSL_CTX_new") }
        do throws(TLSFailure) {
            try configure(raw, minimumVersion: minimumVersion)
            if let caFile {
                guard SSL_CTX_load_verify_locations(raw, caFile, nil) == 1 else {
                    throw .openSSL("cannot load CA file \(caFile)")
                }
                SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nil)
            } else {
                SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nil)
            }
            if let certificateFile, let keyFile {
                guard SSL_CTX_use_certificate_chain_file(raw, certificateFile) == 1,
                      SSL_CTX_use_PrivateKey_file(raw, keyFile, SSL_FILETYPE_PEM) == 1,
                      SSL_CTX_check_private_key(raw) == 1
                else { throw .openSSL("cannot load client certificate \(certificateFile) with key \(keyFile)") }
            }
        } catch {
            SSL_CTX_free(raw)
            throw error
        }
        rg_tls_ctx_install_callbacks(raw, nil)
        return TLSContext(raw: raw, role: .client, verifiesPeer: caFile != nil, alpn: nil)
    }

    private static func configure(_ raw: OpaquePointer, minimumVersion: TLSVersion) throws(TLSFailure) {
        guard rg_tls_ctx_set_min_version(raw, minimumVersion.openSSLValue) == 1 else {
            throw .openSSL("cannot set the minimum TLS version")
        }
        rg_tls_ctx_set_secure_options(raw)
    }

    /// One length byte, then each protocol as a length-prefixed string.
    private static func alpnWireFormat(_ protocols: [String]) throws(TLSFailure) -> UnsafeMutablePointer<UInt8> {
        var list: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard !bytes.isEmpty, bytes.count < 256 else { throw TLSFailure("invalid ALPN protocol name \(name)") }
            list.append(UInt8(bytes.count))
            list += bytes
        }
        guard list.count < 256 else { throw TLSFailure("ALPN protocol list too long") }
        let wire = UnsafeMutablePointer<UInt8>.allocate(capacity: list.count + 1)
        wire[0] = UInt8(list.count)
        for (index, byte) in list.enumerated() { wire[index + 1] = byte }
        return wire
    }
}
