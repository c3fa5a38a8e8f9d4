#ifndef RINGGATE_CPGQUERY_SHIM_H
#define RINGGATE_CPGQUERY_SHIM_H
#include <stddef.h>
#include <pg_query.h>
#endif
