/*
 * Streaming stores, for kernels.c's loops (loops.h) and leaky_ml_simd.h.
 */
#ifndef NPRELU_STREAM_H
#define NPRELU_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/* ------------------------------------------------------------------------
 * Streaming (non-temporal) stores for large outputs.  A plain store first
 * reads the line it writes; for an output that will not stay in cache that
 * read is wasted traffic.  A large contiguous output is written plainly up
 * to a cache-line boundary, then a block of whole lines at a time: the
 * block is computed into a small aligned buffer, which the compiler keeps
 * in registers, and written with streaming stores; the tail plainly again.
 * Streaming stores are weakly ordered, so the loop ends with a fence.
 * In a C probe at 1e7-3e7 float32, blocks of 4 lines ran at 0.72-0.78x of
 * memcpy, and blocks of 4 KiB through an L1 buffer (compute, then copy out)
 * at 0.80-0.87x: loads and streaming stores then take turns, not overlap.
 * ---------------------------------------------------------------------- */

/* Bytes per streamed block: whole cache lines, a multiple of every vector */
enum { STREAM_LINE = 64, STREAM_BLOCK = 4 * STREAM_LINE };

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define STREAMING_STORES 1
#if defined(__AVX512F__)
enum { STREAM_VEC = 64 };
static inline void stream_vec(char *dst, const char *src)
{
    _mm512_stream_si512((void *)dst, _mm512_load_si512((const void *)src));
}
#elif defined(__AVX__)
enum { STREAM_VEC = 32 };
static inline void stream_vec(char *dst, const char *src)
{
    _mm256_stream_si256((__m256i *)dst,
                        _mm256_load_si256((const __m256i *)src));
}
#else
enum { STREAM_VEC = 16 };
static inline void stream_vec(char *dst, const char *src)
{
    _mm_stream_si128((__m128i *)dst, _mm_load_si128((const __m128i *)src));
}
#endif
/* one block, from an aligned buffer to a line-aligned output */
static inline void stream_block(char *dst, const char *src)
{
    for (int k = 0; k < STREAM_BLOCK; k += STREAM_VEC)
        stream_vec(dst + k, src + k);
}
static inline void stream_fence(void) { _mm_sfence(); }
static inline int streams(ptrdiff_t n, size_t size)
{
    return n >= nprelu_stream_threshold / (ptrdiff_t)size;
}
#else
/* Elsewhere plain stores: no measurement has shown a gain there yet. */
#define STREAMING_STORES 0
static inline void stream_block(char *dst, const char *src)
{
    memcpy(dst, src, STREAM_BLOCK);
}
static inline void stream_fence(void) {}
static inline int streams(ptrdiff_t n, size_t size)
{
    (void)n, (void)size;
    return 0;
}
#endif

/*
 * Items written plainly before the output reaches a line boundary; all n
 * if whole items never reach one (an output not aligned to its item size).
 */
static inline ptrdiff_t stream_head(const void *out, ptrdiff_t n, size_t size)
{
    const size_t skew = (size_t)((uintptr_t)out % STREAM_LINE);
    const ptrdiff_t head =
        (ptrdiff_t)((STREAM_LINE - skew) % STREAM_LINE / size);
    return skew % size || head > n ? n : head;
}
/*
 * Each streaming loop: [0, i) plainly, then blocks [i, i + STREAM_ITEMS(T))
 * of line-aligned output while a whole block is left, then [i, n) plainly.
 */
#define STREAM_ITEMS(T) ((ptrdiff_t)(STREAM_BLOCK / sizeof(T)))
#define STREAM_BLOCKS(T, out, n, i)                                            \
    for (i = stream_head(out, n, sizeof(T)); i + STREAM_ITEMS(T) <= (n);       \
         i += STREAM_ITEMS(T))

#endif
