#ifndef RINGGATE_CALLOCCOUNTER_H
#define RINGGATE_CALLOCCOUNTER_H
#include <stdint.h>

/// Number of heap allocations (malloc, calloc, realloc, posix_memalign,
/// aligned_alloc, memalign) made by the calling thread since the process started.
uint64_t rg_thread_allocation_count(void);

/// Number of heap allocations made by all threads since the process started.
uint64_t rg_total_allocation_count(void);
#endif
