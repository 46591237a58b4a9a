/*
 * The leaky family on ml_dtypes floats with one slope over contiguous
 * arrays, written with intrinsics where a target has the instructions:
 *
 *   lookup8_*: out[i] = row[x[i]] for a 256-byte row (8-bit formats: the
 *     row holds the result for every byte, computed once per call).  With
 *     AVX-512 VBMI two vpermi2b look up 64 bytes in the row's halves and the
 *     byte's top bit picks one; elsewhere a scalar lookup.
 *   bf16_leaky_*: bfloat16 leaky_relu with a finite slope, with AVX-512
 *     and AVX2: the even elements are the low halves of 32-bit lanes
 *     (shifted up, they are float32), the odd ones the high halves (masked,
 *     they are); kept lanes multiply +0 by the slope (exact, no flag), and
 *     each product is rounded to nearest even by integer addition, as
 *     ml_dtypes converts.  An inf or NaN slope, and other targets, take
 *     elements.h's kernel, which multiplies only the lanes it returns.
 *
 * Intrinsics rather than plain loops: GCC's vectoriser widens bfloat16 to
 * float32 with permutes (about 50 instructions per 32 elements) and no
 * compiler turns a 256-entry table into vpermi2b.
 * Included by loops.h, in each target's build.
 */
#ifndef NPRELU_LEAKY_ML_SIMD_H
#define NPRELU_LEAKY_ML_SIMD_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

static inline void lookup8_scalar(const uint8_t *x, const uint8_t *row,
                                  uint8_t *out, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++) out[i] = row[x[i]];
}

#if defined(__AVX512F__) && defined(__AVX512BW__) &&                           \
    (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NPRELU_HAVE_VBMI_LOOKUP 1

/*
 * Stores of whole vectors: streaming (non-temporal) ones for outputs at
 * least nprelu_stream_threshold bytes long (kernels.c's streams()), from
 * the first vector-aligned element on; the caller fences after the loop.
 */
#define SIMD_STORE512(ptr, v, streaming)                                       \
    do {                                                                       \
        if (streaming) _mm512_stream_si512((void *)(ptr), (v));                \
        else _mm512_storeu_si512((void *)(ptr), (v));                          \
    } while (0)
/* elements before out + i is 64-byte aligned (all n if it never is) */
static inline ptrdiff_t simd_head(const void *out, ptrdiff_t n, size_t size)
{
    const size_t skew = (size_t)((uintptr_t)out % 64);
    const ptrdiff_t head = (ptrdiff_t)((64 - skew) % 64 / size);
    return skew % size || head > n ? n : head;
}

/* x86-64-v4 lacks VBMI (Ice Lake, Zen 4 and later have it): dispatch.c
   offers this loop as its own target only where CPUID reports it. */
__attribute__((target("avx512vbmi"))) static inline __m512i
lookup64_vbmi(__m512i v, __m512i t0, __m512i t1, __m512i t2, __m512i t3)
{
    const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1);
    const __m512i hi = _mm512_permutex2var_epi8(t2, v, t3);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi);
}

__attribute__((target("avx512vbmi"))) static void
lookup8_vbmi(const uint8_t *x, const uint8_t *row, uint8_t *out, ptrdiff_t n)
{
    const __m512i t0 = _mm512_loadu_si512((const void *)row);
    const __m512i t1 = _mm512_loadu_si512((const void *)(row + 64));
    const __m512i t2 = _mm512_loadu_si512((const void *)(row + 128));
    const __m512i t3 = _mm512_loadu_si512((const void *)(row + 192));
    const int streaming = streams(n, 1);
    ptrdiff_t i = streaming ? simd_head(out, n, 1) : 0; /* below 64 */
    lookup8_scalar(x, row, out, i);
    for (; i + 64 <= n; i += 64) {
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        SIMD_STORE512(out + i, lookup64_vbmi(v, t0, t1, t2, t3), streaming);
    }
    if (i < n) {
        const __mmask64 m = ~(__mmask64)0 >> (64 - (n - i));
        const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
        _mm512_mask_storeu_epi8(out + i, m, lookup64_vbmi(v, t0, t1, t2, t3));
    }
    if (streaming) _mm_sfence();
}

/*
 * 32 bfloat16 (u, 16-bit lanes), the slope af finite: x where relu keeps x
 * and x != 0, else x * a.  No widening: the even elements are the low
 * halves of 32-bit lanes (shifted up, they are float32), the odd ones the
 * high halves (masked, they are).  Kept lanes multiply +0 by the finite
 * slope: exact, no flag.  A product is rounded to nearest even; a NaN
 * product can only be 0 * -inf, whose default NaN rounds to ml_dtypes'
 * sign|0x7FC0 by the same addition.  (lanes: the 16-bit lanes that hold
 * elements.)
 */
static inline __m512i bf16_leaky32_avx512(__m512i u, __m512 af, __m512i dlo,
                                          __m512i dspan, __mmask32 lanes)
{
    const __mmask32 take =
        (_mm512_cmple_epu16_mask(_mm512_sub_epi16(u, dlo), dspan) |
         _mm512_cmpeq_epi16_mask(u, _mm512_setzero_si512())) &
        lanes;
    const __m512i xt = _mm512_maskz_mov_epi16(take, u);
    const __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
    const __m512i one = _mm512_set1_epi32(1), half = _mm512_set1_epi32(0x7FFF);
    const __m512i pe = _mm512_castps_si512(
        _mm512_mul_ps(_mm512_castsi512_ps(_mm512_slli_epi32(xt, 16)), af));
    const __m512i po = _mm512_castps_si512(
        _mm512_mul_ps(_mm512_castsi512_ps(_mm512_and_si512(xt, high)), af));
    const __m512i re = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(pe, half),
                         _mm512_and_si512(_mm512_srli_epi32(pe, 16), one)),
        16);
    const __m512i ro = _mm512_and_si512(
        _mm512_add_epi32(_mm512_add_epi32(po, half),
                         _mm512_and_si512(_mm512_srli_epi32(po, 16), one)),
        high);
    return _mm512_mask_mov_epi16(u, take, _mm512_or_si512(re, ro));
}

/* 0 if the slope is inf or NaN: the caller takes its element kernel, which
   multiplies only the lanes whose result is the product */
static int bf16_leaky_avx512(const uint16_t *x, uint16_t a, uint16_t *out,
                             ptrdiff_t n, uint16_t drop_lo, uint16_t drop_span)
{
    if ((a & 0x7F80u) == 0x7F80u) return 0;
    const __m512 af =
        _mm512_castsi512_ps(_mm512_set1_epi32((int)((uint32_t)a << 16)));
    const __m512i dlo = _mm512_set1_epi16((short)drop_lo);
    const __m512i dspan = _mm512_set1_epi16((short)drop_span);
    int streaming = streams(n, 2);
    ptrdiff_t i = 0;
    if (streaming) {
        const ptrdiff_t head = simd_head(out, n, 2);
        if (head >= 32) { /* an odd address: never aligned */
            streaming = 0;
        } else if (head > 0) {
            const __mmask32 m = (__mmask32)((1ull << head) - 1u);
            _mm512_mask_storeu_epi16(
                out, m,
                bf16_leaky32_avx512(_mm512_maskz_loadu_epi16(m, x), af, dlo,
                                    dspan, m));
            i = head;
        }
    }
    for (; i + 32 <= n; i += 32) {
        const __m512i u = _mm512_loadu_si512((const void *)(x + i));
        SIMD_STORE512(out + i,
                      bf16_leaky32_avx512(u, af, dlo, dspan, ~(__mmask32)0),
                      streaming);
    }
    if (i < n) {
        const __mmask32 m = (__mmask32)((1ull << (n - i)) - 1u);
        const __m512i u = _mm512_maskz_loadu_epi16(m, x + i);
        _mm512_mask_storeu_epi16(out + i, m,
                                 bf16_leaky32_avx512(u, af, dlo, dspan, m));
    }
    if (streaming) _mm_sfence();
    return 1;
}
#define NPRELU_HAVE_BF16_LEAKY_SIMD 1
#endif

#if defined(__AVX2__)
#include <immintrin.h>
#define NPRELU_HAVE_PSHUFB_LOOKUP 1
/*
 * The 256-byte row with vpshufb, which looks up 16 bytes by the low four
 * bits of each index and gives 0 where the index's top bit is set.  The
 * lower half of the row (bytes 0..127) is eight tables T_k = row[16k ..
 * 16k + 15], kept as d_0 = T_0, d_k = T_k ^ T_(k-1).  With the index
 * lowered by 16 at each step (signed saturating, so that bytes of the upper
 * half stay negative), byte v in 16m .. 16m + 15 is looked up in d_0 .. d_m
 * and nowhere after, and the XOR of those is T_m[v & 15]: the row's byte.
 * The upper half likewise on v ^ 0x80.  16 vpshufb per 32 bytes, against
 * one load per byte for the scalar lookup; VBMI does it in two vpermi2b.
 * Where the row keeps bytes 1..127 as they are (the 8-bit float formats:
 * positive or NaN), only the upper half is looked up, and a blend keeps
 * those bytes and takes row[0] for byte 0: 8 vpshufb.  The row itself says
 * which holds, so no format is assumed.
 */
static inline __m256i lookup32_pshufb(__m256i v, const __m256i *d)
{
    const __m256i sixteen = _mm256_set1_epi8(16);
    __m256i lo = v, hi = _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80));
    __m256i r = _mm256_xor_si256(_mm256_shuffle_epi8(d[0], lo),
                                 _mm256_shuffle_epi8(d[8], hi));
    for (int k = 1; k < 8; k++) {
        lo = _mm256_subs_epi8(lo, sixteen);
        hi = _mm256_subs_epi8(hi, sixteen);
        r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[k], lo));
        r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[8 + k], hi));
    }
    return r;
}

/* the same when row[v] == v for v in 1..127: the upper half, then blends */
static inline __m256i lookup32_pshufb_upper(__m256i v, const __m256i *d,
                                            __m256i row0)
{
    const __m256i sixteen = _mm256_set1_epi8(16), zero = _mm256_setzero_si256();
    __m256i hi = _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80));
    __m256i r = _mm256_shuffle_epi8(d[8], hi);
    for (int k = 1; k < 8; k++) {
        hi = _mm256_subs_epi8(hi, sixteen);
        r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[8 + k], hi));
    }
    r = _mm256_blendv_epi8(r, v, _mm256_cmpgt_epi8(v, zero));
    return _mm256_blendv_epi8(r, row0, _mm256_cmpeq_epi8(v, zero));
}

static void lookup8_pshufb(const uint8_t *x, const uint8_t *row, uint8_t *out,
                           ptrdiff_t n)
{
    int identity = 1;
    for (unsigned b = 1; b < 128; b++) identity &= row[b] == b;
    __m256i d[16];
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 8; k++) {
            const uint8_t *t = row + 128 * h + 16 * k;
            __m128i dk = _mm_loadu_si128((const __m128i *)t);
            if (k > 0)
                dk = _mm_xor_si128(dk, _mm_loadu_si128((const __m128i *)(t - 16)));
            d[8 * h + k] = _mm256_broadcastsi128_si256(dk);
        }
    ptrdiff_t i = 0;
    if (identity) {
        const __m256i row0 = _mm256_set1_epi8((char)row[0]);
        for (; i + 32 <= n; i += 32) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
            _mm256_storeu_si256((__m256i *)(out + i),
                                lookup32_pshufb_upper(v, d, row0));
        }
    } else {
        for (; i + 32 <= n; i += 32) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
            _mm256_storeu_si256((__m256i *)(out + i), lookup32_pshufb(v, d));
        }
    }
    lookup8_scalar(x + i, row, out + i, n - i);
}
#endif

#if !defined(NPRELU_HAVE_BF16_LEAKY_SIMD) && defined(__AVX2__)
/*
 * The same even/odd form with AVX2: 16 bfloat16 a vector.  AVX2 has no
 * masked multiply; none is needed, as kept lanes multiply +0 by the finite
 * slope.  The unsigned 16-bit compare w <= span is min(w, span) == w.
 */
static inline __m256i bf16_leaky16_avx2(__m256i u, __m256 af, __m256i dlo,
                                        __m256i dspan)
{
    const __m256i w = _mm256_sub_epi16(u, dlo);
    const __m256i take = _mm256_or_si256(
        _mm256_cmpeq_epi16(_mm256_min_epu16(w, dspan), w),
        _mm256_cmpeq_epi16(u, _mm256_setzero_si256()));
    const __m256i xt = _mm256_and_si256(u, take);
    const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
    const __m256i one = _mm256_set1_epi32(1), half = _mm256_set1_epi32(0x7FFF);
    const __m256i pe = _mm256_castps_si256(
        _mm256_mul_ps(_mm256_castsi256_ps(_mm256_slli_epi32(xt, 16)), af));
    const __m256i po = _mm256_castps_si256(
        _mm256_mul_ps(_mm256_castsi256_ps(_mm256_and_si256(xt, high)), af));
    const __m256i re = _mm256_srli_epi32(
        _mm256_add_epi32(_mm256_add_epi32(pe, half),
                         _mm256_and_si256(_mm256_srli_epi32(pe, 16), one)),
        16);
    const __m256i ro = _mm256_and_si256(
        _mm256_add_epi32(_mm256_add_epi32(po, half),
                         _mm256_and_si256(_mm256_srli_epi32(po, 16), one)),
        high);
    return _mm256_blendv_epi8(u, _mm256_or_si256(re, ro), take);
}

/* the whole vectors; returns how many elements it did (0 for an inf or NaN
   slope), the caller does the rest with its element kernel */
static ptrdiff_t bf16_leaky_avx2(const uint16_t *x, uint16_t a, uint16_t *out,
                                 ptrdiff_t n, uint16_t drop_lo,
                                 uint16_t drop_span)
{
    if ((a & 0x7F80u) == 0x7F80u) return 0;
    const __m256 af =
        _mm256_castsi256_ps(_mm256_set1_epi32((int)((uint32_t)a << 16)));
    const __m256i dlo = _mm256_set1_epi16((short)drop_lo);
    const __m256i dspan = _mm256_set1_epi16((short)drop_span);
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i u = _mm256_loadu_si256((const __m256i *)(x + i));
        _mm256_storeu_si256((__m256i *)(out + i),
                            bf16_leaky16_avx2(u, af, dlo, dspan));
    }
    return i;
}
#define NPRELU_HAVE_BF16_LEAKY_AVX2 1
#endif

#if !defined(NPRELU_HAVE_BF16_LEAKY_SIMD) &&                                   \
    !defined(NPRELU_HAVE_BF16_LEAKY_AVX2) &&                                   \
    (defined(__SSE2__) || defined(_M_X64))
#include <emmintrin.h>
/*
 * The same with SSE2, the x86-64 baseline: 8 bfloat16 a vector.  SSE2 has
 * no unsigned 16-bit compare (w <= span is done on w ^ 0x8000 with the
 * signed one) and no blend (and, andnot, or).
 */
static inline __m128i bf16_leaky8_sse2(__m128i u, __m128 af, __m128i dlo,
                                       __m128i dspan_s)
{
    const __m128i flip = _mm_set1_epi16((short)0x8000);
    const __m128i w = _mm_xor_si128(_mm_sub_epi16(u, dlo), flip);
    const __m128i take = _mm_or_si128(
        _mm_andnot_si128(_mm_cmpgt_epi16(w, dspan_s), _mm_set1_epi16(-1)),
        _mm_cmpeq_epi16(u, _mm_setzero_si128()));
    const __m128i xt = _mm_and_si128(u, take);
    const __m128i high = _mm_set1_epi32((int)0xFFFF0000u);
    const __m128i one = _mm_set1_epi32(1), half = _mm_set1_epi32(0x7FFF);
    const __m128i pe = _mm_castps_si128(
        _mm_mul_ps(_mm_castsi128_ps(_mm_slli_epi32(xt, 16)), af));
    const __m128i po = _mm_castps_si128(
        _mm_mul_ps(_mm_castsi128_ps(_mm_and_si128(xt, high)), af));
    const __m128i re = _mm_srli_epi32(
        _mm_add_epi32(_mm_add_epi32(pe, half),
                      _mm_and_si128(_mm_srli_epi32(pe, 16), one)),
        16);
    const __m128i ro = _mm_and_si128(
        _mm_add_epi32(_mm_add_epi32(po, half),
                      _mm_and_si128(_mm_srli_epi32(po, 16), one)),
        high);
    return _mm_or_si128(_mm_and_si128(take, _mm_or_si128(re, ro)),
                        _mm_andnot_si128(take, u));
}

/* as bf16_leaky_avx2: the whole vectors, 0 for an inf or NaN slope */
static ptrdiff_t bf16_leaky_sse2(const uint16_t *x, uint16_t a, uint16_t *out,
                                 ptrdiff_t n, uint16_t drop_lo,
                                 uint16_t drop_span)
{
    if ((a & 0x7F80u) == 0x7F80u) return 0;
    const __m128 af = _mm_castsi128_ps(_mm_set1_epi32((int)((uint32_t)a << 16)));
    const __m128i dlo = _mm_set1_epi16((short)drop_lo);
    const __m128i dspan_s = _mm_set1_epi16((short)(drop_span ^ 0x8000u));
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i u = _mm_loadu_si128((const __m128i *)(x + i));
        _mm_storeu_si128((__m128i *)(out + i),
                         bf16_leaky8_sse2(u, af, dlo, dspan_s));
    }
    return i;
}
#define NPRELU_HAVE_BF16_LEAKY_SSE2 1
#endif

#endif
