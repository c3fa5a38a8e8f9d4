import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// The `bench tcp --tls` client side: an OpenSSL `SSL_CTX` for TLS 1.3 only that verifies the
/// target's certificate against one CA file and the name `localhost`, so a target with a wrong
/// or missing certificate fails the run instead of being measured.
///
/// Each connection's `SSL` works directly on its non-blocking socket (no memory BIOs: the
/// bench client is the only reader and writer of that socket).
final class TLSClientContext {
    /// The name the target's certificate must carry (`scripts/make-test-certs.sh` issues it).
    static let serverName = "localhost"

    private let context: OpaquePointer

    /// A TLS 1.3 client context trusting only `caFile`.
    init(caFile: String) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.last("SSL_CTX_new") }
        self.context = context
        guard rg_tls_ctx_set_min_version(context, TLS1_3_VERSION) == 1 else {
            SSL_CTX_free(context)
            throw TLSError.last("SSL_CTX_set_min_proto_version(TLS 1.3)")
        }
        guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
            SSL_CTX_free(context)
            throw TLSError.last("SSL_CTX_load_verify_locations(\(caFile))")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
    }

    deinit { SSL_CTX_free(context) }

    /// Runs the handshake on the connected non-blocking socket `fd`, waiting with `poll` for at
    /// most `timeoutMilliseconds`; returns the `SSL` (the caller frees it with ``close(_:)``).
    func handshake(fd: Int32, timeoutMilliseconds: Int32 = 5000) throws -> OpaquePointer {
        guard let ssl = SSL_new(context) else { throw TLSError.last("SSL_new") }
        do {
            guard SSL_set_fd(ssl, fd) == 1,
                  rg_tls_set_server_name(ssl, Self.serverName) == 1,
                  SSL_set1_host(ssl, Self.serverName) == 1
            else { throw TLSError.last("SSL_set_fd/SNI/host") }
            let deadline = MonotonicClock.nanoseconds() &+ UInt64(timeoutMilliseconds) * 1_000_000
            while true {
                let result = SSL_connect(ssl)
                if result == 1 { return ssl }
                let error = SSL_get_error(ssl, result)
                let now = MonotonicClock.nanoseconds()
                guard now < deadline else { throw TLSError("TLS handshake timed out after \(timeoutMilliseconds) ms") }
                switch error {
                case SSL_ERROR_WANT_READ: Self.wait(fd, for: POLLIN, until: deadline, now: now)
                case SSL_ERROR_WANT_WRITE: Self.wait(fd, for: POLLOUT, until: deadline, now: now)
                default: throw TLSError.handshake(ssl, result: error)
                }
            }
        } catch {
            SSL_free(ssl)
            throw error
        }
    }

    /// Sends close_notify when the socket takes it at once, then frees `ssl` (the fd stays open).
    static func close(_ ssl: OpaquePointer) {
        _ = SSL_shutdown(ssl)
        SSL_free(ssl)
    }

    private static func wait(_ fd: Int32, for events: Int32, until deadline: UInt64, now: UInt64) {
        var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
        _ = poll(&descriptor, 1, Int32(min((deadline &- now) / 1_000_000 + 1, 5000)))
    }
}
