// OpenSSL's memory functions, with a per-thread cache of small blocks.
//
// OpenSSL 3.0 allocates small objects per TLS record (a 40-byte WPACKET_SUB for every record
// it writes, and for every TLS 1.3 record it reads). A loop thread reuses them from its own
// free list instead of calling malloc per record, so steady-state TLS makes no heap
// allocation. Installed once, before main, while OpenSSL still allows it; larger blocks go
// straight to malloc. Every block carries a header with its size class, so a block freed on
// another thread than the one that allocated it is handled the same way.
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rg_openssl_memory.h"

enum {
    /// The largest request served from the cache; every cached block has this capacity.
    SMALL_SIZE = 64,
    /// Blocks kept per thread at most (the rest are freed).
    CACHE_LIMIT = 512,
    /// Header before each block, keeping the 16-byte alignment malloc gives.
    HEADER = 16,
};

struct cached_block { struct cached_block *next; };

static __thread struct cached_block *cache_head;
static __thread int cache_count;
static int installed;

static inline size_t *header_of(void *pointer) { return (size_t *)((char *)pointer - HEADER); }

static void *rg_malloc(size_t size, const char *file, int line) {
    (void)file; (void)line;
    size_t *block;
    if (size <= SMALL_SIZE) {
        if (cache_head != NULL) {
            block = (size_t *)cache_head;
            cache_head = cache_head->next;
            cache_count--;
        } else {
            block = malloc(HEADER + SMALL_SIZE);
            if (block == NULL) return NULL;
        }
        block[0] = SMALL_SIZE;
    } else {
        if (size > SIZE_MAX - HEADER) return NULL;
        block = malloc(HEADER + size);
        if (block == NULL) return NULL;
        block[0] = size;
    }
    return (char *)block + HEADER;
}

static void rg_free(void *pointer, const char *file, int line) {
    (void)file; (void)line;
    if (pointer == NULL) return;
    size_t *block = header_of(pointer);
    if (block[0] == SMALL_SIZE && cache_count < CACHE_LIMIT) {
        struct cached_block *cached = (struct cached_block *)block;
        cached->next = cache_head;
        cache_head = cached;
        cache_count++;
        return;
    }
    free(block);
}

static void *rg_realloc(void *pointer, size_t size, const char *file, int line) {
    if (pointer == NULL) return rg_malloc(size, file, line);
    if (size == 0) {
        rg_free(pointer, file, line);
        return NULL;
    }
    size_t *block = header_of(pointer);
    size_t capacity = block[0];
    if (capacity == SMALL_SIZE || size <= SMALL_SIZE) {
        if (size <= capacity) return pointer;
        void *grown = rg_malloc(size, file, line);
        if (grown == NULL) return NULL;
        memcpy(grown, pointer, capacity < size ? capacity : size);
        rg_free(pointer, file, line);
        return grown;
    }
    if (size > SIZE_MAX - HEADER) return NULL;
    size_t *moved = realloc(block, HEADER + size);
    if (moved == NULL) return NULL;
    moved[0] = size;
    return (char *)moved + HEADER;
}

__attribute__((constructor)) static void rg_install_openssl_memory(void) {
    installed = CRYPTO_set_mem_functions(rg_malloc, rg_realloc, rg_free);
}

int rg_openssl_memory_installed(void) { return installed; }
