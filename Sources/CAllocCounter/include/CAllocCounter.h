#ifndef RINGGATE_CALLOCCOUNTER_H
#define RINGGATE_CALLOCCOUNTER_H
#include <stdint.h>

/// Number of heap allocations (malloc, calloc, realloc, posix_memalign,
/// aligned_alloc, memalign) made by the calling thread since the process started.
uint64_t rg_thread_allocation_count(void);

/// Number of heap allocations made by all threads since the process started.
uint64_t rg_total_allocation_count(void);

/// While `on` is nonzero, prints a backtrace of each allocation of the calling thread to
/// standard error (finding what a failing allocation test counted).
void rg_trace_allocations(int on);
#endif
