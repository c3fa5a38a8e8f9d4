#ifndef RINGGATE_CLIBURING_SHIM_H
#define RINGGATE_CLIBURING_SHIM_H
// libc headers first: liburing.h uses fd_set, and Swift's Glibc module must own it.
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#endif
