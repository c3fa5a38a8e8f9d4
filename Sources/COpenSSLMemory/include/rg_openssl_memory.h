#ifndef RINGGATE_OPENSSL_MEMORY_H
#define RINGGATE_OPENSSL_MEMORY_H

/// 1 when OpenSSL's allocations go through RingGate's small-block cache (installed before
/// `main`), 0 when OpenSSL had already allocated and kept its own functions.
int rg_openssl_memory_installed(void);

#endif
