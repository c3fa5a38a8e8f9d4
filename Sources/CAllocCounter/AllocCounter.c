// Test-only malloc interposer: every allocation entry point forwards to glibc's
// __libc_* implementation and bumps a thread-local and a global counter.
// Linked only into test bundles, never into the gateway.
#include "CAllocCounter.h"
#include <stddef.h>
#include <errno.h>
#include <stdatomic.h>
#include <execinfo.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static __thread uint64_t thread_count;
static _Atomic uint64_t total_count;

static __thread int trace_armed;
static __thread int tracing;

// Prints a backtrace of every allocation on this thread while armed (a debugging aid for
// allocation tests: rg_trace_allocations(1) before the code under test, 0 after).
void rg_trace_allocations(int on) { trace_armed = on; }

static inline void count(void) {
    thread_count++;
    atomic_fetch_add_explicit(&total_count, 1, memory_order_relaxed);
    if (trace_armed && !tracing) {
        tracing = 1;
        void *frames[24];
        int n = backtrace(frames, 24);
        backtrace_symbols_fd(frames, n, 2);
        write(2, "----\n", 5);
        tracing = 0;
    }
}

uint64_t rg_thread_allocation_count(void) { return thread_count; }
uint64_t rg_total_allocation_count(void) { return atomic_load_explicit(&total_count, memory_order_relaxed); }

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}
