import COpenSSL
import Foundation
import Glibc
@testable import IOCore

/// A throwaway certificate set made by `scripts/make-test-certs.sh` in a fresh directory.
struct TestCertificates {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringgate-certs-\(getpid())-\(UUID().uuidString)").path
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/make-test-certs.sh").path
        // posix_spawn, not Foundation's Process: the tests' sockets stay untouched.
        let words: [String] = ["/bin/bash", script, directory]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        guard posix_spawn(&child, "/bin/bash", nil, nil, argv, environ) == 0 else {
            throw TestSocketError(operation: "spawn make-test-certs.sh", errno: errno)
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw TestSocketError(operation: "make-test-certs.sh exited \(status)", errno: 0) }
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func serverContext() throws -> TLSContext {
        try TLSContext.server(certificateFile: path("server.crt"), keyFile: path("server.key"))
    }
}

/// A blocking TLS client over a ``TestSocket`` (OpenSSL on the descriptor), for driving the
/// gateway's TLS legs from tests.
final class TestTLSClient: @unchecked Sendable {
    let socket: TestSocket
    private let context: OpaquePointer
    private let ssl: OpaquePointer

    enum Failure: Error, CustomStringConvertible {
        case handshake(String)
        case io(String)
        var description: String {
            switch self {
            case .handshake(let text): "handshake failed: \(text)"
            case .io(let text): "TLS I/O failed: \(text)"
            }
        }
    }

    /// Connects and completes the handshake, verifying the server against `caFile` and `serverName`.
    init(
        to address: SocketAddress, caFile: String, serverName: String = "localhost", maxVersion: Int32 = TLS1_3_VERSION,
        alpn: [UInt8]? = nil, resuming session: OpaquePointer? = nil
    ) throws {
        socket = try TestSocket.connect(to: address, timeoutSeconds: 30)
        context = SSL_CTX_new(TLS_client_method())!
        _ = rg_tls_ctx_set_min_version(context, TLS1_2_VERSION)
        _ = SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(maxVersion), nil)
        SSL_CTX_load_verify_locations(context, caFile, nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        ssl = SSL_new(context)!
        _ = rg_tls_set_server_name(ssl, serverName)
        _ = rg_tls_verify_host(ssl, serverName, 0)
        if let alpn { _ = SSL_set_alpn_protos(ssl, alpn, UInt32(alpn.count)) }
        if let session { SSL_set_session(ssl, session) }
        SSL_set_fd(ssl, socket.fd)
        ERR_clear_error()
        // On failure deinit frees both (the object is fully initialized here).
        var result = SSL_connect(ssl)
        while result != 1 && interrupted(result) { result = SSL_connect(ssl) }
        guard result == 1 else { throw Failure.handshake(Self.errorText()) }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    var localPort: UInt16 { Socket.localAddress(socket.fd)?.port ?? 0 }
    var version: String { String(cString: SSL_get_version(ssl)) }
    var resumed: Bool { SSL_session_reused(ssl) == 1 }

    /// The session to resume with a later connection (TLS 1.3: after a read has taken the
    /// server's ticket); release it with `SSL_SESSION_free`.
    func session() -> OpaquePointer? { SSL_get1_session(ssl) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 && interrupted(n) { continue }
            guard n > 0 else {
                let code = errno
                throw Failure.io("write: \(Self.errorText()) (SSL error \(SSL_get_error(ssl, n)), errno \(code))")
            }
            offset += Int(n)
        }
    }

    func read(exactly count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = out[filled...].withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 && interrupted(n) { continue }
            guard n > 0 else {
                let code = errno
                throw Failure.io("\(Self.errorText()) (SSL error \(SSL_get_error(ssl, n)), errno \(code), after \(filled) of \(count) bytes)")
            }
            filled += Int(n)
        }
        return out
    }

    /// A blocking call that returned because a signal interrupted it (other tests send
    /// SIGHUP to this process): retry it.
    private func interrupted(_ result: Int32) -> Bool {
        let code = errno
        let error = SSL_get_error(ssl, result)
        return (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) && code == EINTR
    }

    /// Sends `bytes` and reads them back (an echo upstream).
    func roundTrip(_ bytes: [UInt8]) throws -> Bool {
        try send(bytes)
        return try read(exactly: bytes.count) == bytes
    }

    /// Asks for a TLS 1.2 renegotiation (the next read sends it).
    func renegotiate() -> Bool { SSL_renegotiate(ssl) == 1 && SSL_do_handshake(ssl) <= 1 }

    /// True once the server closed the connection: a read returns EOF, an alert or an error.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        var result = SSL_read(ssl, &byte, 1)
        while result <= 0 && interrupted(result) { result = SSL_read(ssl, &byte, 1) }
        return result <= 0
    }

    private static func errorText() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "connection closed" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Starts a ``TLSRelaySession`` server with one listener.
func startTLSRelay(
    backend: IOBackendKind, upstream: SocketAddress, listener: TLSRelayListener, loops: Int = 1,
    log: RecordingAccessLog = RecordingAccessLog(), configure: (inout ProxyConfiguration) -> Void = { _ in }
) throws -> (ProxyServer<TLSRelaySession>, SocketAddress) {
    var configuration = ProxyConfiguration()
    configuration.backend = backend == .ioUring ? .ioUring : .epoll
    configuration.loopCount = loops
    configuration.buffersPerLoop = 1024
    configure(&configuration)
    let spec = ListenerSpec(name: "tls-\(backend)", address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), upstream: upstream)
    let server = ProxyServer<TLSRelaySession>(
        configuration: configuration, listeners: [spec], accessLog: log,
        shared: TLSRelayConfiguration(listeners: [listener]))
    try server.start()
    return (server, server.boundAddresses[0])
}
