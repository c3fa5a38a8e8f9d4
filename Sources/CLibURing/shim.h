#ifndef RINGGATE_CLIBURING_SHIM_H
#define RINGGATE_CLIBURING_SHIM_H
// libc headers first: liburing.h uses fd_set, and Swift's Glibc module must own it.
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <liburing.h>

// Small helpers for things Swift cannot express directly (macros, bit-field-like
// SQE members, flag macros that do not import). All static inline: no call cost.

/// Multishot recv that selects its buffers from provided-buffer group `group`.
static inline void rg_prep_recv_multishot_select(struct io_uring_sqe *sqe, int fd,
                                                 unsigned short group, __u64 user_data) {
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
    sqe->user_data = user_data;
}

/// Marks `sqe` as addressing a registered (fixed) file: its fd field is a file-table index.
static inline void rg_sqe_set_fixed_file(struct io_uring_sqe *sqe) {
    sqe->flags |= IOSQE_FIXED_FILE;
}

/// One-shot recv that selects one buffer from provided-buffer group `group`.
static inline void rg_prep_recv_select(struct io_uring_sqe *sqe, int fd,
                                       unsigned short group, __u64 user_data) {
    io_uring_prep_recv(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
    sqe->user_data = user_data;
}

/// The buffer ID a provided-buffer completion carries (valid when IORING_CQE_F_BUFFER is set).
static inline unsigned short rg_cqe_buffer_id(const struct io_uring_cqe *cqe) {
    return (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
}

/// The buffer ID encoded in completion flags.
static inline unsigned short rg_cqe_buffer_id_flags(unsigned flags) {
    return (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT);
}

/// Size in bytes of a provided-buffer ring with `entries` slots.
static inline size_t rg_buf_ring_size(unsigned entries) {
    return (size_t)entries * sizeof(struct io_uring_buf);
}

/// Registers `memory` (page aligned, rg_buf_ring_size(entries) bytes) as buffer group `group`.
static inline int rg_register_buf_ring(struct io_uring *ring, void *memory, unsigned entries,
                                       unsigned short group) {
    struct io_uring_buf_reg reg;
    __builtin_memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (unsigned long)(uintptr_t)memory;
    reg.ring_entries = entries;
    reg.bgid = group;
    return io_uring_register_buf_ring(ring, &reg, 0);
}

extern int accept4(int, struct sockaddr *, socklen_t *, int);

/// accept4 without the caller's address (not visible to Swift without _GNU_SOURCE).
static inline int rg_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }

#include <pthread.h>
extern int pthread_setname_np(pthread_t, const char *);

/// Names a thread (visible in top/perf); not visible to Swift without _GNU_SOURCE.
static inline int rg_set_thread_name(pthread_t thread, const char *name) { return pthread_setname_np(thread, name); }

#include <sys/syscall.h>
#include <unistd.h>

/// prlimit(2) on another process (tests give a child gateway a tiny descriptor table).
static inline int rg_prlimit(pid_t pid, int resource, const struct rlimit *limit, struct rlimit *old) {
    return (int)syscall(SYS_prlimit64, pid, resource, limit, old);
}

/// Thread-local errno, readable from Swift without going through the Glibc overlay.
static inline int rg_errno(void) { return errno; }
#endif
