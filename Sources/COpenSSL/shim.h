#ifndef RINGGATE_COPENSSL_SHIM_H
#define RINGGATE_COPENSSL_SHIM_H
// OpenSSL 3 (Debian's libssl-dev), used over memory BIOs: the event loops do all socket I/O.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/bio.h>
#include <string.h>

// Helpers for macros that do not import into Swift and for the C callbacks the engine installs.
// All static inline.

/// Bits `rg_tls_events` reports, set by the info callback.
enum {
    /// An alert other than close_notify was read or written.
    RG_TLS_EVENT_ALERT = 1,
    /// A handshake started after the first one finished (TLS 1.2 renegotiation).
    RG_TLS_EVENT_RENEGOTIATION = 2,
};

static inline void rg_tls_info_callback(const SSL *ssl, int where, int ret) {
    uintptr_t events = (uintptr_t)SSL_get_app_data(ssl);
    // For alerts `ret` is (level << 8) | description; close_notify ends TLS normally.
    if ((where & SSL_CB_ALERT) && (ret & 0xFF) != SSL_AD_CLOSE_NOTIFY) events |= RG_TLS_EVENT_ALERT;
    if ((where & SSL_CB_HANDSHAKE_START) && (events & 4)) events |= RG_TLS_EVENT_RENEGOTIATION;
    if (where & SSL_CB_HANDSHAKE_DONE) events |= 4;
    SSL_set_app_data((SSL *)ssl, (char *)events);
}

/// Alert and renegotiation events seen on `ssl` since it was created.
static inline unsigned rg_tls_events(const SSL *ssl) {
    return (unsigned)((uintptr_t)SSL_get_app_data(ssl) & 3);
}

/// The ALPN protocol list (wire format) a server context accepts, set as the callback's argument.
static inline int rg_tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                     const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    const unsigned char *accepted = (const unsigned char *)arg;
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, accepted + 1, accepted[0], in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        // The client offered ALPN but none of ours: refuse the handshake (RFC 7301, 3.2).
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

/// Installs the info callback and, when `alpn` is not NULL, the ALPN selection over `alpn`:
/// one length byte, then the protocol list in wire format (must outlive the context).
static inline void rg_tls_ctx_install_callbacks(SSL_CTX *ctx, const unsigned char *alpn) {
    SSL_CTX_set_info_callback(ctx, rg_tls_info_callback);
    if (alpn != NULL) SSL_CTX_set_alpn_select_cb(ctx, rg_tls_alpn_select, (void *)alpn);
}

/// No renegotiation (TLS 1.2), no compression, the server's cipher order.
static inline void rg_tls_ctx_set_secure_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

/// Host-name (or, for an IP literal, address) verification of the peer certificate.
static inline int rg_tls_verify_host(SSL *ssl, const char *name, int isIPAddress) {
    if (isIPAddress) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
    return SSL_set1_host(ssl, name);
}

static inline int rg_tls_ctx_set_min_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline void rg_tls_ctx_set_mode(SSL_CTX *ctx, long mode) { SSL_CTX_set_mode(ctx, mode); }

static inline int rg_tls_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline size_t rg_bio_pending(BIO *bio) { return BIO_ctrl_pending(bio); }

/// Memory BIO that reports "retry" when empty (so SSL_read returns WANT_READ, not EOF).
static inline BIO *rg_bio_new_mem(void) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio != NULL) BIO_set_mem_eof_return(bio, -1);
    return bio;
}

#endif
