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
 * leaky_relu_backward the same way: the product dy * a on the lanes where
 * x > 0 is false, dy on the others.  As a plain loop over elements.h's
 * masked operands GCC ran it at 1.14x (float32) and 1.25x (float64)
 * np.add(dy, x) at 1e3.
 */
#ifndef NPRELU_LEAKY_SIMD_H
#define NPRELU_LEAKY_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX512F__)
#include <immintrin.h>

/* the lanes of v whose result is the product: +0, and -0 .. -inf */
static inline __mmask16 leaky_take32(__m512i v)
{
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    const __m512i inf = _mm512_set1_epi32(0x7F800000);
    return _mm512_cmple_epu32_mask(_mm512_sub_epi32(v, sign), inf) |
           _mm512_cmpeq_epi32_mask(v, _mm512_setzero_si512());
}
static inline __mmask8 leaky_take64(__m512i v)
{
    const __m512i sign = _mm512_set1_epi64((long long)0x8000000000000000ull);
    const __m512i inf = _mm512_set1_epi64(0x7FF0000000000000ll);
    return _mm512_cmple_epu64_mask(_mm512_sub_epi64(v, sign), inf) |
           _mm512_cmpeq_epi64_mask(v, _mm512_setzero_si512());
}

/*
 * out[i] = leaky_relu(x[i], a[i * sa]) for i < n, sa 0 (one slope) or 1;
 * x may be out (in place).  Returns n: the tail runs masked too.
 */
static inline ptrdiff_t leaky_run32(const uint32_t *x, const uint32_t *a,
                                    ptrdiff_t sa, uint32_t *out, ptrdiff_t n)
{
    /* a[0] only for one slope: a slope array may end at x + n (n == 0) */
    const __m512 a0 =
        _mm512_castsi512_ps(_mm512_set1_epi32(sa || n <= 0 ? 0 : (int)a[0]));
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        const __m512 av =
            sa ? _mm512_loadu_ps((const void *)(a + i)) : a0;
        _mm512_storeu_ps((void *)(out + i),
                         _mm512_mask_mul_ps(_mm512_castsi512_ps(v),
                                            leaky_take32(v),
                                            _mm512_castsi512_ps(v), av));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512i v = _mm512_maskz_loadu_epi32(m, x + i);
        const __m512 av = sa ? _mm512_maskz_loadu_ps(m, a + i) : a0;
        _mm512_mask_storeu_ps((void *)(out + i), m,
                              _mm512_mask_mul_ps(_mm512_castsi512_ps(v),
                                                 leaky_take32(v) & m,
                                                 _mm512_castsi512_ps(v), av));
    }
    return n;
}
static inline ptrdiff_t leaky_run64(const uint64_t *x, const uint64_t *a,
                                    ptrdiff_t sa, uint64_t *out, ptrdiff_t n)
{
    const __m512d a0 = _mm512_castsi512_pd(
        _mm512_set1_epi64(sa || n <= 0 ? 0 : (long long)a[0]));
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        const __m512d av =
            sa ? _mm512_loadu_pd((const void *)(a + i)) : a0;
        _mm512_storeu_pd((void *)(out + i),
                         _mm512_mask_mul_pd(_mm512_castsi512_pd(v),
                                            leaky_take64(v),
                                            _mm512_castsi512_pd(v), av));
    }
    if (i < n) {
        const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        const __m512i v = _mm512_maskz_loadu_epi64(m, x + i);
        const __m512d av = sa ? _mm512_maskz_loadu_pd(m, a + i) : a0;
        _mm512_mask_storeu_pd((void *)(out + i), m,
                              _mm512_mask_mul_pd(_mm512_castsi512_pd(v),
                                                 leaky_take64(v) & m,
                                                 _mm512_castsi512_pd(v), av));
    }
    return n;
}

/* the lanes where x > 0 is false: u - 1 > INF - 1 (unsigned) */
static inline __mmask16 backward_take32(__m512i x)
{
    return _mm512_cmpgt_epu32_mask(_mm512_sub_epi32(x, _mm512_set1_epi32(1)),
                                   _mm512_set1_epi32(0x7F800000 - 1));
}
static inline __mmask8 backward_take64(__m512i x)
{
    return _mm512_cmpgt_epu64_mask(_mm512_sub_epi64(x, _mm512_set1_epi64(1)),
                                   _mm512_set1_epi64(0x7FF0000000000000ll - 1));
}

/*
 * out[i] = leaky_relu_backward(dy[i], x[i], a[i * sa]) for i < n, sa 0 or
 * 1; dy or x may be out.  Returns n.
 */
static inline ptrdiff_t leaky_backward_run32(const uint32_t *dy,
                                             const uint32_t *x,
                                             const uint32_t *a, ptrdiff_t sa,
                                             uint32_t *out, ptrdiff_t n)
{
    const __m512 a0 =
        _mm512_castsi512_ps(_mm512_set1_epi32(sa || n <= 0 ? 0 : (int)a[0]));
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 d = _mm512_loadu_ps((const void *)(dy + i));
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        const __m512 av = sa ? _mm512_loadu_ps((const void *)(a + i)) : a0;
        _mm512_storeu_ps((void *)(out + i),
                         _mm512_mask_mul_ps(d, backward_take32(v), d, av));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 d = _mm512_maskz_loadu_ps(m, dy + i);
        const __m512i v = _mm512_maskz_loadu_epi32(m, x + i);
        const __m512 av = sa ? _mm512_maskz_loadu_ps(m, a + i) : a0;
        _mm512_mask_storeu_ps(
            (void *)(out + i), m,
            _mm512_mask_mul_ps(d, backward_take32(v) & m, d, av));
    }
    return n;
}
static inline ptrdiff_t leaky_backward_run64(const uint64_t *dy,
                                             const uint64_t *x,
                                             const uint64_t *a, ptrdiff_t sa,
                                             uint64_t *out, ptrdiff_t n)
{
    const __m512d a0 = _mm512_castsi512_pd(
        _mm512_set1_epi64(sa || n <= 0 ? 0 : (long long)a[0]));
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d d = _mm512_loadu_pd((const void *)(dy + i));
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        const __m512d av = sa ? _mm512_loadu_pd((const void *)(a + i)) : a0;
        _mm512_storeu_pd((void *)(out + i),
                         _mm512_mask_mul_pd(d, backward_take64(v), d, av));
    }
    if (i < n) {
        const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        const __m512d d = _mm512_maskz_loadu_pd(m, dy + i);
        const __m512i v = _mm512_maskz_loadu_epi64(m, x + i);
        const __m512d av = sa ? _mm512_maskz_loadu_pd(m, a + i) : a0;
        _mm512_mask_storeu_pd(
            (void *)(out + i), m,
            _mm512_mask_mul_pd(d, backward_take64(v) & m, d, av));
    }
    return n;
}
#else
static inline ptrdiff_t leaky_backward_run32(const uint32_t *dy,
                                             const uint32_t *x,
                                             const uint32_t *a, ptrdiff_t sa,
                                             uint32_t *out, ptrdiff_t n)
{
    (void)dy, (void)x, (void)a, (void)sa, (void)out, (void)n;
    return 0;
}
static inline ptrdiff_t leaky_backward_run64(const uint64_t *dy,
                                             const uint64_t *x,
                                             const uint64_t *a, ptrdiff_t sa,
                                             uint64_t *out, ptrdiff_t n)
{
    (void)dy, (void)x, (void)a, (void)sa, (void)out, (void)n;
    return 0;
}
static inline ptrdiff_t leaky_run32(const uint32_t *x, const uint32_t *a,
                                    ptrdiff_t sa, uint32_t *out, ptrdiff_t n)
{
    (void)x, (void)a, (void)sa, (void)out, (void)n;
    return 0;
}
static inline ptrdiff_t leaky_run64(const uint64_t *x, const uint64_t *a,
                                    ptrdiff_t sa, uint64_t *out, ptrdiff_t n)
{
    (void)x, (void)a, (void)sa, (void)out, (void)n;
    return 0;
}
#endif

#endif
