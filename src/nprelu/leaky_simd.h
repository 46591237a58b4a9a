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
 * The avx2 target has a run of its own, without masks (below); the
 * baseline and other architectures take elements.h's kernels in a plain
 * loop (run length 0).
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

#include "kernels.h"

#if defined(__AVX512F__)
#include <immintrin.h>

/*
 * The lanes whose result is the product, by class (vfpclassps/pd, AVX-512DQ,
 * which raises no FP flag, signalling NaN included): leaky_relu (keep_nan)
 * takes +0, -0, negative finite (subnormals too) and -inf, and returns a
 * NaN x as it is; leaky_relu_backward takes every lane where x > 0 is
 * false, NaN included.  One instruction where the range tests on the bits
 * took four (sub, two compares, or): float64 leaky_relu at 1e3 ran 1.02-1.08x
 * np.multiply with those.
 */
enum {
    CLASS_QNAN = 0x01, CLASS_ZERO = 0x02, CLASS_NEG_ZERO = 0x04,
    CLASS_NEG_INF = 0x10, CLASS_NEG_FINITE = 0x40, CLASS_SNAN = 0x80,
    CLASS_NOT_POSITIVE =
        CLASS_ZERO | CLASS_NEG_ZERO | CLASS_NEG_FINITE | CLASS_NEG_INF,
    CLASS_NAN = CLASS_QNAN | CLASS_SNAN
};
/* (each branch with a constant class: the immediate of an unoptimised build) */
#define product_lanes32(d, keep_nan)                                           \
    ((keep_nan) ? _mm512_fpclass_ps_mask((d), CLASS_NOT_POSITIVE)              \
                : _mm512_fpclass_ps_mask((d), CLASS_NOT_POSITIVE | CLASS_NAN))
#define product_lanes64(d, keep_nan)                                           \
    ((keep_nan) ? _mm512_fpclass_pd_mask((d), CLASS_NOT_POSITIVE)              \
                : _mm512_fpclass_pd_mask((d), CLASS_NOT_POSITIVE | CLASS_NAN))

/*
 * out[i] = p[i] * a[i * sa] on the product lanes of x[i], p[i] on the
 * others, for i < n, sa 0 (one slope) or 1; p or x may be out (in place).
 * leaky_relu passes p = x.  Returns n: the tail runs masked too.
 * keep_nan is a constant at every call, so the branch folds away.
 * With p = x, GCC 12 loaded x twice a vector (a plain load for the product,
 * and again as vfpclass's memory operand); x opaque once loaded, once:
 * float64 leaky_relu(x, a, out=o) at 1e3 went from 1.02 to 0.90x
 * np.multiply (float32 0.92 to 0.89).
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
        __m512 d = _mm512_loadu_ps((const void *)(p + i));
        NPRELU_OPAQUE_VECTOR(d); /* one load of x: see above */
        const __m512 v = p == x ? d : _mm512_loadu_ps((const void *)(x + i));
        const __m512 av = sa ? _mm512_loadu_ps((const void *)(a + i)) : a0;
        _mm512_storeu_ps(
            (void *)(out + i),
            _mm512_mask_mul_ps(d, product_lanes32(v, keep_nan), d, av));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 d = _mm512_maskz_loadu_ps(m, p + i);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
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
        __m512d d = _mm512_loadu_pd((const void *)(p + i));
        NPRELU_OPAQUE_VECTOR(d); /* one load of x: see above */
        const __m512d v = p == x ? d : _mm512_loadu_pd((const void *)(x + i));
        const __m512d av = sa ? _mm512_loadu_pd((const void *)(a + i)) : a0;
        _mm512_storeu_pd(
            (void *)(out + i),
            _mm512_mask_mul_pd(d, product_lanes64(v, keep_nan), d, av));
    }
    if (i < n) {
        const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        const __m512d d = _mm512_maskz_loadu_pd(m, p + i);
        const __m512d v = _mm512_maskz_loadu_pd(m, x + i);
        const __m512d av = sa ? _mm512_maskz_loadu_pd(m, a + i) : a0;
        _mm512_mask_storeu_pd(
            (void *)(out + i), m,
            _mm512_mask_mul_pd(d, product_lanes64(v, keep_nan) & m, d, av));
    }
    return n;
}
#define NPRELU_MASKED_PRODUCT_RUN(W, p, x, a, sa, out, n, keep_nan)            \
    masked_product_run##W(p, x, a, sa, out, n, keep_nan)
#elif defined(__AVX2__)
#include <immintrin.h>
/*
 * AVX2 has no masked multiply.  The lanes that are not products multiply
 * +0 by 1 (no flag; neither their x nor the slope reaches the multiplier)
 * and take their result from the factor: out = (p & t) * (t ? a : 1) | (p
 * & ~t), t all ones on the product lanes.  AVX2 has no vfpclass: the lane
 * test is two signed compares on the bits (vpcmpgtd/q raise no flag):
 *   leaky_relu:           u <= bits(-inf) (sign set, not NaN) or u == +0;
 *   leaky_relu_backward:  u <= 0 (sign set, or +0) or u > bits(+inf).
 * GCC's vectorisation of elements.h's leaky32 took 18 instructions a
 * vector against these 9 and ran 1.8-1.9x np.multiply (NumPy's AVX2 loop,
 * the one it runs for float32 and float64 here) at 1e5.
 */
static inline __m256i product_lanes_avx2_32(__m256i u, int keep_nan)
{
    if (keep_nan)
        return _mm256_or_si256(
            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)0xFF800001u), u),
            _mm256_cmpeq_epi32(u, _mm256_setzero_si256()));
    return _mm256_or_si256(
        _mm256_cmpgt_epi32(_mm256_set1_epi32(1), u),
        _mm256_cmpgt_epi32(u, _mm256_set1_epi32(0x7F800000)));
}
static inline __m256i product_lanes_avx2_64(__m256i u, int keep_nan)
{
    if (keep_nan)
        return _mm256_or_si256(
            _mm256_cmpgt_epi64(
                _mm256_set1_epi64x((long long)0xFFF0000000000001ull), u),
            _mm256_cmpeq_epi64(u, _mm256_setzero_si256()));
    return _mm256_or_si256(
        _mm256_cmpgt_epi64(_mm256_set1_epi64x(1), u),
        _mm256_cmpgt_epi64(u, _mm256_set1_epi64x(0x7FF0000000000000ll)));
}
/* out[i] as masked_product_run32/64 above, for the whole vectors of n;
   returns the items done (the loop's plain code does the rest) */
static inline ptrdiff_t masked_product_run_avx2_32(
    const uint32_t *p, const uint32_t *x, const uint32_t *a, ptrdiff_t sa,
    uint32_t *out, ptrdiff_t n, int keep_nan)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 a0 =
        _mm256_castsi256_ps(_mm256_set1_epi32(sa || n <= 0 ? 0 : (int)a[0]));
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 d = _mm256_loadu_ps((const float *)(p + i));
        const __m256i u =
            p == x ? _mm256_castps_si256(d)
                   : _mm256_loadu_si256((const __m256i *)(x + i));
        const __m256 t = _mm256_castsi256_ps(product_lanes_avx2_32(u, keep_nan));
        const __m256 av = sa ? _mm256_loadu_ps((const float *)(a + i)) : a0;
        const __m256 prod =
            _mm256_mul_ps(_mm256_and_ps(d, t), _mm256_blendv_ps(one, av, t));
        _mm256_storeu_ps((float *)(out + i),
                         _mm256_or_ps(prod, _mm256_andnot_ps(t, d)));
    }
    return i;
}
static inline ptrdiff_t masked_product_run_avx2_64(
    const uint64_t *p, const uint64_t *x, const uint64_t *a, ptrdiff_t sa,
    uint64_t *out, ptrdiff_t n, int keep_nan)
{
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d a0 = _mm256_castsi256_pd(
        _mm256_set1_epi64x(sa || n <= 0 ? 0 : (long long)a[0]));
    ptrdiff_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d d = _mm256_loadu_pd((const double *)(p + i));
        const __m256i u =
            p == x ? _mm256_castpd_si256(d)
                   : _mm256_loadu_si256((const __m256i *)(x + i));
        const __m256d t = _mm256_castsi256_pd(product_lanes_avx2_64(u, keep_nan));
        const __m256d av = sa ? _mm256_loadu_pd((const double *)(a + i)) : a0;
        const __m256d prod =
            _mm256_mul_pd(_mm256_and_pd(d, t), _mm256_blendv_pd(one, av, t));
        _mm256_storeu_pd((double *)(out + i),
                         _mm256_or_pd(prod, _mm256_andnot_pd(t, d)));
    }
    return i;
}
#define NPRELU_MASKED_PRODUCT_RUN(W, p, x, a, sa, out, n, keep_nan)            \
    masked_product_run_avx2_##W(p, x, a, sa, out, n, keep_nan)
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
