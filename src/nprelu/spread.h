/*
 * Strided outputs (out=o[::2], a column of a C-ordered matrix), for the
 * loops of loops.h: a block of results is computed by the contiguous
 * variant, which every compiler vectorises, into a buffer, then stored with
 * the output's stride.  How that store is written decides the speed:
 *
 *   - stride 2 of 4- and 8-byte items on AVX-512 (the common o[::2]): the
 *     buffer's lanes are spread over two vectors by a permute and written
 *     with masked stores, which touch only the even items (vmovdqu32/64
 *     with a mask never writes, nor faults on, a masked lane).  For 8-byte
 *     items this gains in cache (float64 at 1e3: 0.86-0.98 of np.negative
 *     against 1.00-1.04 with GCC's lane extracts) and ties beyond it;
 *   - elsewhere one item at a time.  GCC then loads vectors and extracts
 *     lanes; clang 14 vectorises the loop into AVX-512 scatters
 *     (vpscatterqd), microcoded and 1.7-3x slower than np.negative on an
 *     AMD Zen 4, so it is told to keep them scalar.
 *
 * With a strided input too (x[::2] into o[::2], in place on x[::2]), a
 * kernel that raises no FP flag (the relu family: bit tests and selects)
 * may run over the whole span in[0 .. 2m - 2], odd items included: 64
 * bytes at a time in registers, the even results stored with masks
 * (SPAN_EVEN, 4- and 8-byte items on AVX-512).  The leaky family
 * multiplies, so it never computes an item it does not return.
 */
#ifndef NPRELU_SPREAD_H
#define NPRELU_SPREAD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/* Items per block: 1 KiB, so that the buffer stays in L1 */
enum { SPREAD_BYTES = 1024 };
#define SPREAD_ITEMS(T) ((ptrdiff_t)(SPREAD_BYTES / sizeof(T)))
#define SPREAD_COUNT(T, n, i)                                                  \
    ((n) - (i) < SPREAD_ITEMS(T) ? (n) - (i) : SPREAD_ITEMS(T))

#if defined(__clang__)
#define SCALAR_STORES _Pragma("clang loop vectorize(disable)")
#else
#define SCALAR_STORES
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
#define NPRELU_SPREAD2_SIMD 1
/*
 * out[2j] = buf[j] for j < m, 4-byte items: 16 of buf become the even lanes
 * of two vectors.  The tail (m % 16 items) loads with a mask too.
 */
static inline void spread2_32(void *out, const void *buf, ptrdiff_t m)
{
    const __m512i lo =
        _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i hi = _mm512_set_epi32(15, 15, 14, 14, 13, 13, 12, 12, 11,
                                        11, 10, 10, 9, 9, 8, 8);
    const uint32_t *b = (const uint32_t *)buf;
    uint32_t *o = (uint32_t *)out;
    ptrdiff_t j = 0;
    for (; j + 16 <= m; j += 16) {
        const __m512i v = _mm512_loadu_si512((const void *)(b + j));
        _mm512_mask_storeu_epi32(o + 2 * j, 0x5555,
                                 _mm512_permutexvar_epi32(lo, v));
        _mm512_mask_storeu_epi32(o + 2 * j + 16, 0x5555,
                                 _mm512_permutexvar_epi32(hi, v));
    }
    if (j < m) {
        const unsigned r = (unsigned)(m - j); /* 1..15 */
        const __m512i v =
            _mm512_maskz_loadu_epi32((__mmask16)((1u << r) - 1), b + j);
        const unsigned r1 = r < 8 ? r : 8;
        _mm512_mask_storeu_epi32(o + 2 * j,
                                 (__mmask16)(0x5555u & ((1u << 2 * r1) - 1)),
                                 _mm512_permutexvar_epi32(lo, v));
        if (r > 8)
            _mm512_mask_storeu_epi32(
                o + 2 * j + 16,
                (__mmask16)(0x5555u & ((1u << 2 * (r - 8)) - 1)),
                _mm512_permutexvar_epi32(hi, v));
    }
}
/* the same for 8-byte items, 8 at a time */
static inline void spread2_64(void *out, const void *buf, ptrdiff_t m)
{
    const __m512i lo = _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i hi = _mm512_set_epi64(7, 7, 6, 6, 5, 5, 4, 4);
    const uint64_t *b = (const uint64_t *)buf;
    uint64_t *o = (uint64_t *)out;
    ptrdiff_t j = 0;
    for (; j + 8 <= m; j += 8) {
        const __m512i v = _mm512_loadu_si512((const void *)(b + j));
        _mm512_mask_storeu_epi64(o + 2 * j, 0x55,
                                 _mm512_permutexvar_epi64(lo, v));
        _mm512_mask_storeu_epi64(o + 2 * j + 8, 0x55,
                                 _mm512_permutexvar_epi64(hi, v));
    }
    if (j < m) {
        const unsigned r = (unsigned)(m - j); /* 1..7 */
        const __m512i v =
            _mm512_maskz_loadu_epi64((__mmask8)((1u << r) - 1), b + j);
        const unsigned r1 = r < 4 ? r : 4;
        _mm512_mask_storeu_epi64(o + 2 * j,
                                 (__mmask8)(0x55u & ((1u << 2 * r1) - 1)),
                                 _mm512_permutexvar_epi64(lo, v));
        if (r > 4)
            _mm512_mask_storeu_epi64(
                o + 2 * j + 8, (__mmask8)(0x55u & ((1u << 2 * (r - 4)) - 1)),
                _mm512_permutexvar_epi64(hi, v));
    }
}
/*
 * Lanes of a 64-byte span, for SPAN_EVEN: a masked load (a lane off the
 * mask reads nothing and gives 0), and a masked store of computed lanes.
 * The computed vector is made opaque (kernels.h): told which lanes are
 * stored, clang 14 computed only those and loaded them with a gather
 * (vpgatherqq, 2.2x np.negative at 1e3 and 1e6), or shuffled them through
 * the stack (4-byte items, 0.72x against 0.26x).
 */
static inline void span_load(void *lanes, const void *in, unsigned mask,
                             size_t size)
{
    const __m512i v = size == 4 ? _mm512_maskz_loadu_epi32((__mmask16)mask, in)
                                : _mm512_maskz_loadu_epi64((__mmask8)mask, in);
    memcpy(lanes, &v, 64);
}
static inline void span_store(void *out, const void *lanes, unsigned mask,
                              size_t size)
{
    __m512i v;
    memcpy(&v, lanes, 64);
    NPRELU_OPAQUE_VECTOR(v);
    if (size == 4) _mm512_mask_storeu_epi32(out, (__mmask16)mask, v);
    else _mm512_mask_storeu_epi64(out, (__mmask8)mask, v);
}
/*
 * Items of the span before out's next 64-byte boundary, when in and out
 * lie alike against 64 bytes (in place always): loads and stores then
 * cross no line (float64 in place at 1e6: 0.79x np.negative unaligned,
 * 0.65x aligned, in a C probe).  Otherwise 0: aligning the stores alone
 * was slower than aligning nothing (float64 x[::2] into o[::2]: 0.64x
 * against 0.48x np.negative at 1e3 in the probe, 0.97-1.17x against
 * 0.90-1.04x in the bench).
 */
static inline ptrdiff_t span_head(const void *in, const void *out,
                                  ptrdiff_t k, size_t size)
{
    const uintptr_t o = (uintptr_t)out;
    const ptrdiff_t h = (ptrdiff_t)(((64 - o % 64) % 64) / size);
    if (((uintptr_t)in ^ o) % 64 != 0) return 0;
    return h < k ? h : k;
}
/* the lanes in t of the 64 bytes at in + j: computed, stored at out + j */
#define SPAN_PART(T, KV, in, out, j, t, c, a, r)                               \
    do {                                                                       \
        span_load(a, (in) + (j), (t), sizeof(T));                              \
        for (int l_ = 0; l_ < (int)(64 / sizeof(T)); l_++) r[l_] = KV(a[l_], c);\
        span_store((out) + (j), r, (t), sizeof(T));                            \
    } while (0)
/*
 * out[2j] = KV(in[2j], c) for j < m, 4- and 8-byte items (in may be out):
 * the span in[0 .. 2m - 2] is computed 64 bytes at a time in registers, odd
 * items included, and the even results are stored with a mask.  Only for
 * kernels that raise no FP flag (the relu family's bit tests and selects).
 * A 1 KiB buffer computed by the contiguous variant and then stored ran
 * 0.53-0.61x np.negative for float32 at 1e3 and 1.4x for float64 in place
 * at 1e6; in registers 0.25x and 0.5-0.7x (a C probe, GCC 12 and clang 14).
 * The head (span_head) and the tail load and store only their lanes; after
 * an odd head the items to store are the odd lanes.
 */
#define SPAN_EVEN(T, KV, in, out, m, c)                                        \
    do {                                                                       \
        enum { L_ = 64 / sizeof(T) };                                          \
        const ptrdiff_t k_ = 2 * (m) - 1; /* items from first to last */      \
        unsigned even_ = sizeof(T) == 4 ? 0x5555u : 0x55u;                     \
        ptrdiff_t j_ = span_head((in), (out), k_, sizeof(T));                  \
        T a_[L_], r_[L_];                                                      \
        if (j_ > 0) {                                                          \
            SPAN_PART(T, KV, in, out, 0, even_ & ((1u << j_) - 1u), c, a_, r_);\
            if (j_ & 1) even_ <<= 1;                                           \
        }                                                                      \
        for (; j_ + L_ <= k_; j_ += L_) {                                      \
            memcpy(a_, (in) + j_, 64);                                         \
            for (int l_ = 0; l_ < L_; l_++) r_[l_] = KV(a_[l_], c);            \
            span_store((out) + j_, r_, even_, sizeof(T));                      \
        }                                                                      \
        if (j_ < k_)                                                           \
            SPAN_PART(T, KV, in, out, j_, even_ & ((1u << (k_ - j_)) - 1u), c, \
                      a_, r_);                                                 \
    } while (0)
#define SPREAD2_FAST(T) (sizeof(T) == 4 || sizeof(T) == 8)
#define SPAN_EVEN_FAST(T) (sizeof(T) == 4 || sizeof(T) == 8)
#else
#define NPRELU_SPREAD2_SIMD 0
#define SPREAD2_FAST(T) 0
#define SPAN_EVEN_FAST(T) 0
static inline void spread2_32(void *o, const void *b, ptrdiff_t m)
{
    (void)o, (void)b, (void)m;
}
#define spread2_64 spread2_32
#define SPAN_EVEN(T, KV, in, out, m, c) ((void)0)
#endif

#if defined(__AVX2__)
#include <immintrin.h>
#define GATHER2_FAST(T) (sizeof(T) == 8)
/*
 * buf[j] = src[2j] for j < m, 8-byte items (a slope s[::2]): the even
 * lanes of two 32-byte loads, 4 items at a time (AVX2 and later).  GCC's
 * loop for `buf[j] = src[2 * j]` moved one item at a time (float64
 * leaky_relu(x, s[::2]) 1.13x np.multiply at 1e3, 1.65x at 4e3); 64-byte
 * loads and vpermt2q ran 1.4-1.5x at 1e6 in clang's build, these 0.68-0.76
 * in both.  src[2m - 2] is the last item read: the tail's loads are masked
 * (vpmaskmovq neither reads nor faults on a masked lane), since the item
 * after it may lie past the end of the array.
 */
static inline void gather2_64(void *buf, const void *src, ptrdiff_t m)
{
    const long long *s = (const long long *)src;
    long long *b = (long long *)buf;
    ptrdiff_t j = 0;
    for (; j + 4 < m; j += 4) { /* reads up to s[2j + 7] < s[2m - 2] */
        const __m256i a = _mm256_loadu_si256((const __m256i *)(s + 2 * j));
        const __m256i c = _mm256_loadu_si256((const __m256i *)(s + 2 * j + 4));
        _mm256_storeu_si256((__m256i *)(b + j),
                            _mm256_permute4x64_epi64(
                                _mm256_unpacklo_epi64(a, c), 0xD8));
    }
    if (j < m) {
        const long long r = (long long)(m - j), k = 2 * r - 1; /* 1..4, 1..7 */
        const __m256i lane = _mm256_set_epi64x(3, 2, 1, 0);
        const __m256i a = _mm256_maskload_epi64(
            s + 2 * j, _mm256_cmpgt_epi64(_mm256_set1_epi64x(k), lane));
        const __m256i c = _mm256_maskload_epi64(
            s + 2 * j + 4,
            _mm256_cmpgt_epi64(_mm256_set1_epi64x(k - 4), lane));
        _mm256_maskstore_epi64(
            b + j, _mm256_cmpgt_epi64(_mm256_set1_epi64x(r), lane),
            _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, c), 0xD8));
    }
}
#else
#define GATHER2_FAST(T) 0
static inline void gather2_64(void *buf, const void *src, ptrdiff_t m)
{
    (void)buf, (void)src, (void)m;
}
#endif

/* out[j * so] = buf[j] for j < m */
#define SPREAD(out, so, buf, m)                                                \
    do {                                                                       \
        if ((so) == 2 && SPREAD2_FAST(*(buf))) {                               \
            if (sizeof(*(buf)) == 4) spread2_32((out), (buf), (m));            \
            else spread2_64((out), (buf), (m));                                \
        } else if ((so) == 2) {                                                \
            SCALAR_STORES                                                      \
            for (ptrdiff_t j_ = 0; j_ < (m); j_++) (out)[2 * j_] = (buf)[j_];   \
        } else {                                                               \
            SCALAR_STORES                                                      \
            for (ptrdiff_t j_ = 0; j_ < (m); j_++) (out)[j_ * (so)] = (buf)[j_];\
        }                                                                      \
    } while (0)

#endif
