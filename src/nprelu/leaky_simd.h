/*
 * leaky_relu on contiguous float32 and float64 with AVX-512 intrinsics,
 * for LEAKY_LOOP (loops.h): a masked multiply computes the product on the
 * lanes whose result is the product (x <= 0, not NaN) and leaves x on the
 * others.  A masked-off lane of an EVEX instruction raises no FP flag, so no
 * lane multiplies what it does not return (no overflow from a positive x,
 * no invalid from 0 * inf), and the lanes that do multiply raise what
 * np.multiply raises for them.
 *
 * Intrinsics rather than a plain loop: GCC compiles `take ? x * a : x`
 * into this masked multiply (8 instructions a vector, against 13 for the
 * masked operands of elements.h's leaky32), but clang 14 keeps the masked
 * operands, and ran leaky_relu(x, a, out=o) at 1.6x np.multiply at 1e5.
 * Other targets take elements.h's kernels in a plain loop (run length 0).
 *
 * leaky_relu_backward is the same run with dy in x's place as the factor
 * and the lanes where x > 0 is false (NaN included): one run per width,
 * masked_product_run32/64, serves both.  As a plain loop over elements.h's
 * masked operands GCC ran the backward pass at 1.14x (float32) and 1.25x
 * (float64) np.add(dy, x) at 1e3.
 */
#ifndef NPRELU_LEAKY_SIMD_H
#define NPRELU_LEAKY_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX512F__)
#include <immintrin.h>

/*
 * The lanes whose result is the product.  leaky_relu (keep_nan): +0 and
 * -0 .. -inf, a NaN x is returned as it is.  leaky_relu_backward: every
 * lane where x > 0 is false (1 <= u <= INF fails), NaN included.
 */
static inline __mmask16 product_lanes32(__m512i x, int keep_nan)
{
    const __m512i inf = _mm512_set1_epi32(0x7F800000);
    if (keep_nan)
        return _mm512_cmple_epu32_mask(
                   _mm512_sub_epi32(x, _mm512_set1_epi32((int)0x80000000u)),
                   inf) |
               _mm512_cmpeq_epi32_mask(x, _mm512_setzero_si512());
    return _mm512_cmpgt_epu32_mask(_mm512_sub_epi32(x, _mm512_set1_epi32(1)),
                                   _mm512_sub_epi32(inf, _mm512_set1_epi32(1)));
}
static inline __mmask8 product_lanes64(__m512i x, int keep_nan)
{
    const __m512i inf = _mm512_set1_epi64(0x7FF0000000000000ll);
    if (keep_nan)
        return _mm512_cmple_epu64_mask(
                   _mm512_sub_epi64(x, _mm512_set1_epi64(
                                           (long long)0x8000000000000000ull)),
                   inf) |
               _mm512_cmpeq_epi64_mask(x, _mm512_setzero_si512());
    return _mm512_cmpgt_epu64_mask(_mm512_sub_epi64(x, _mm512_set1_epi64(1)),
                                   _mm512_sub_epi64(inf, _mm512_set1_epi64(1)));
}

/*
 * out[i] = p[i] * a[i * sa] on the product lanes of x[i], p[i] on the
 * others, for i < n, sa 0 (one slope) or 1; p or x may be out (in place).
 * leaky_relu passes p = x.  Returns n: the tail runs masked too.
 * keep_nan is a constant at every call, so the branch folds away.
 */
static inline ptrdiff_t masked_product_run32(const uint32_t *p,
                                             const uint32_t *x,
                                             const uint32_t *a, ptrdiff_t sa,
                                             uint32_t *out, ptrdiff_t n,
                                             int keep_nan)
{
    /* a[0] only for one slope: a slope array may end at x + n (n == 0) */
    const __m512 a0 =
        _mm512_castsi512_ps(_mm512_set1_epi32(sa || n <= 0 ? 0 : (int)a[0]));
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 d = _mm512_loadu_ps((const void *)(p + i));
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        const __m512 av = sa ? _mm512_loadu_ps((const void *)(a + i)) : a0;
        _mm512_storeu_ps(
            (void *)(out + i),
            _mm512_mask_mul_ps(d, product_lanes32(v, keep_nan), d, av));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 d = _mm512_maskz_loadu_ps(m, p + i);
        const __m512i v = _mm512_maskz_loadu_epi32(m, x + i);
        const __m512 av = sa ? _mm512_maskz_loadu_ps(m, a + i) : a0;
        _mm512_mask_storeu_ps(
            (void *)(out + i), m,
            _mm512_mask_mul_ps(d, product_lanes32(v, keep_nan) & m, d, av));
    }
    return n;
}
static inline ptrdiff_t masked_product_run64(const uint64_t *p,
                                             const uint64_t *x,
                                             const uint64_t *a, ptrdiff_t sa,
                                             uint64_t *out, ptrdiff_t n,
                                             int keep_nan)
{
    const __m512d a0 = _mm512_castsi512_pd(
        _mm512_set1_epi64(sa || n <= 0 ? 0 : (long long)a[0]));
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d d = _mm512_loadu_pd((const void *)(p + i));
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        const __m512d av = sa ? _mm512_loadu_pd((const void *)(a + i)) : a0;
        _mm512_storeu_pd(
            (void *)(out + i),
            _mm512_mask_mul_pd(d, product_lanes64(v, keep_nan), d, av));
    }
    if (i < n) {
        const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        const __m512d d = _mm512_maskz_loadu_pd(m, p + i);
        const __m512i v = _mm512_maskz_loadu_epi64(m, x + i);
        const __m512d av = sa ? _mm512_maskz_loadu_pd(m, a + i) : a0;
        _mm512_mask_storeu_pd(
            (void *)(out + i), m,
            _mm512_mask_mul_pd(d, product_lanes64(v, keep_nan) & m, d, av));
    }
    return n;
}
#define NPRELU_MASKED_PRODUCT_RUN(W, p, x, a, sa, out, n, keep_nan)            \
    masked_product_run##W(p, x, a, sa, out, n, keep_nan)
#else
/* other targets: elements.h's kernels in the loops' plain loops */
#define NPRELU_MASKED_PRODUCT_RUN(W, p, x, a, sa, out, n, keep_nan)            \
    ((void)(p), (void)(x), (void)(a), (void)(sa), (void)(out), (void)(n),      \
     (ptrdiff_t)0)
#endif

/* the vector runs of LEAKY_LOOP and LEAKY_BACKWARD_LOOP (loops.h) */
#define leaky_run32(x, a, sa, out, n)                                          \
    NPRELU_MASKED_PRODUCT_RUN(32, x, x, a, sa, out, n, 1)
#define leaky_run64(x, a, sa, out, n)                                          \
    NPRELU_MASKED_PRODUCT_RUN(64, x, x, a, sa, out, n, 1)
#define leaky_backward_run32(dy, x, a, sa, out, n)                             \
    NPRELU_MASKED_PRODUCT_RUN(32, dy, x, a, sa, out, n, 0)
#define leaky_backward_run64(dy, x, a, sa, out, n)                             \
    NPRELU_MASKED_PRODUCT_RUN(64, dy, x, a, sa, out, n, 0)

#endif
