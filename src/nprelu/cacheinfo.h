/* Last-level cache size and the streaming-store threshold derived from it. */
#ifndef NPRELU_CACHEINFO_H
#define NPRELU_CACHEINFO_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* Bytes of the largest cache one core uses, or 0 if unknown. */
size_t nprelu_last_level_cache_bytes(void);

/* The output size (bytes) from which loops stream, for a cache of that size. */
ptrdiff_t nprelu_threshold_for_cache(size_t llc_bytes);

#endif
