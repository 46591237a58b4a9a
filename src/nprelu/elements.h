/*
 * Element kernels: the result for one element, as a pure function of its
 * bits (and the loop's constants: a format's, a slope).  No loop, no layout:
 * loops.h applies these to arrays.  Included by kernels.c, once per SIMD
 * target, because the best form of some kernels depends on the target's
 * instructions (the #if __AVX2__ / __AVX512F__ variants); a C unit test can
 * include it alone (tests/c/test_elements.c).
 *
 * The relu family works on bit patterns with integer operations: no
 * floating-point instruction touches the data, so no FP exception flag can
 * be raised (not even by a signalling NaN), and NaN payloads, -0.0, float16
 * and the ml_dtypes formats need no conversion.  The leaky family multiplies
 * only where its result is the product (see LEAKY_KERNELS).  Every kernel is
 * a branch-free select, so the strided loops do not mispredict on random
 * signs.
 */
#ifndef NPRELU_ELEMENTS_H
#define NPRELU_ELEMENTS_H

#include <fenv.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/*
 * IEEE binary16/32/64 as unsigned W-bit patterns.  With SIGN the sign bit and
 * INF the pattern of +inf:
 *   x > 0 (quietly)  <=>  1 <= u <= INF         (sign clear, not zero, not NaN)
 *   relu drops x     <=>  SIGN <= u <= SIGN|INF (sign set, not NaN: -0 .. -inf)
 * Each test is one unsigned compare, turned into an all-ones/zero mask.
 */
/*
 * range_mask: all ones where w <= span (unsigned), else zero; span is below
 * half the range of W bits.  Every test of the kernels is one such range
 * (x > 0: 1 <= u <= top; dropped: sign <= u <= sign + top), and the masks
 * select an operand (relu's x, backward's dy).
 * With AVX-512, GCC turns `v & <compare mask>` into a zero-masking load of
 * v (a second load of x for relu), which waits for the compare: it ran 1.4x
 * slower than a copy in L2 and 1.3-1.5x slower with streaming stores.  The
 * same mask from arithmetic keeps one plain load: w <= span iff w and
 * span - w both have a clear sign bit.
 */
#if defined(__AVX512F__)
#define RANGE_MASK(W)                                                          \
    static inline uint##W##_t range_mask##W(uint##W##_t w, uint##W##_t span)   \
    {                                                                          \
        const uint##W##_t v = (uint##W##_t)~(w | (uint##W##_t)(span - w));     \
        return (uint##W##_t)((int##W##_t)v >> (W - 1));                        \
    }
#else
#define RANGE_MASK(W)                                                          \
    static inline uint##W##_t range_mask##W(uint##W##_t w, uint##W##_t span)   \
    {                                                                          \
        return (uint##W##_t)((uint##W##_t)0 - (uint##W##_t)(w <= span));       \
    }
#endif
RANGE_MASK(8)
RANGE_MASK(16)
RANGE_MASK(32)
RANGE_MASK(64)

/*
 * relu_vec: relu for the vectorised loops.  From `u & ~range_mask(...)` GCC
 * loads u twice a vector (once for the test, once for the AND), and relu ran
 * 1.15-1.25x slower than relu_grad in L2.  With AVX2 and later an unsigned
 * max reads u once: with w = u - SIGN, m = max(w, INF) is INF exactly where
 * u is dropped, and m + SIGN is u elsewhere.  As scalar code (the strided
 * loops) it is longer than relu's, and SSE2 has no such max: relu there.
 */
#if defined(__AVX2__)
#define RELU_VEC(W, SIGN, INF)                                                 \
    static inline uint##W##_t relu_vec##W(uint##W##_t u)                       \
    {                                                                          \
        const uint##W##_t w = (uint##W##_t)(u - (SIGN));                       \
        const uint##W##_t m = w > (INF) ? w : (INF);                           \
        return (uint##W##_t)((uint##W##_t)(m + (SIGN)) &                       \
                             ((uint##W##_t)0 - (uint##W##_t)(m != (INF))));    \
    }
#else
#define RELU_VEC(W, SIGN, INF)                                                 \
    static inline uint##W##_t relu_vec##W(uint##W##_t u) { return relu##W(u); }
#endif

#define IEEE_KERNELS(W, SIGN, INF, ONE)                                        \
    static inline uint##W##_t positive_mask##W(uint##W##_t u)                  \
    {                                                                          \
        /* x > 0: 1 <= u <= INF */                                             \
        return range_mask##W((uint##W##_t)(u - 1u), (INF) - 1u);               \
    }                                                                          \
    static inline uint##W##_t nan_mask##W(uint##W##_t u)                       \
    {                                                                          \
        return (uint##W##_t)((uint##W##_t)0 -                                  \
                             (uint##W##_t)((uint##W##_t)(u & ~(SIGN)) >        \
                                           (INF)));                            \
    }                                                                          \
    static inline uint##W##_t relu##W(uint##W##_t u)                           \
    {                                                                          \
        /* drops -0 .. -inf: SIGN <= u <= SIGN + INF */                        \
        return (uint##W##_t)(u & ~range_mask##W((uint##W##_t)(u - (SIGN)),     \
                                                (INF)));                       \
    }                                                                          \
    RELU_VEC(W, SIGN, INF)                                                     \
    static inline uint##W##_t grad##W(uint##W##_t u)                           \
    {                                                                          \
        return (uint##W##_t)((ONE) & positive_mask##W(u));                     \
    }                                                                          \
    static inline uint##W##_t backward##W(uint##W##_t dy, uint##W##_t x)       \
    {                                                                          \
        return (uint##W##_t)(dy & positive_mask##W(x));                        \
    }

IEEE_KERNELS(16, 0x8000u, 0x7C00u, 0x3C00u)
IEEE_KERNELS(32, 0x80000000u, 0x7F800000u, 0x3F800000u)
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(__SSE4_2__) &&        \
    !defined(__AVX__)
/*
 * The x86-64 baseline (SSE2) has no 64-bit integer compare, so the 64-bit
 * tests would not vectorise.  The same tests on the 32-bit halves do; a NaN
 * is an exponent of all ones with any fraction bit set, which the low word
 * adds as a carry-in: with t = (hi & ~SIGN) + (lo != 0),
 *   x > 0           <=>  sign clear and 1 <= t <= 0x7FF00000
 *   relu drops x    <=>  sign set and t <= 0x7FF00000
 */
static inline uint64_t positive_mask64(uint64_t u)
{
    const uint32_t hi = (uint32_t)(u >> 32), lo = (uint32_t)u;
    const uint32_t t = hi + (uint32_t)(lo != 0); /* sign set: t-1 >= INF */
    return (uint64_t)0 - (uint64_t)((uint32_t)(t - 1u) < 0x7FF00000u);
}
static inline uint64_t nan_mask64(uint64_t u)
{
    const uint32_t hi = (uint32_t)(u >> 32), lo = (uint32_t)u;
    const uint32_t t = (hi & 0x7FFFFFFFu) + (uint32_t)(lo != 0);
    return (uint64_t)0 - (uint64_t)(t > 0x7FF00000u);
}
static inline uint64_t relu64(uint64_t u)
{
    const uint32_t hi = (uint32_t)(u >> 32), lo = (uint32_t)u;
    const uint32_t t = (hi & 0x7FFFFFFFu) + (uint32_t)(lo != 0);
    const uint32_t drop = (hi >> 31) & (uint32_t)(t <= 0x7FF00000u);
    return u & ((uint64_t)drop - 1u);
}
static inline uint64_t relu_vec64(uint64_t u) { return relu64(u); }
static inline uint64_t grad64(uint64_t u)
{
    return 0x3FF0000000000000u & positive_mask64(u);
}
static inline uint64_t backward64(uint64_t dy, uint64_t x)
{
    return dy & positive_mask64(x);
}
#else
IEEE_KERNELS(64, 0x8000000000000000u, 0x7FF0000000000000u,
             0x3FF0000000000000u)
#endif

/* Integers: relu is x masked by (x > 0); the gradient is (x > 0) itself. */
#define SIGNED_KERNELS(S, T)                                                   \
    static inline T relu_##S(T x, int c)                                       \
    {                                                                          \
        (void)c;                                                               \
        return (T)(x & (T)((T)0 - (T)(x > 0)));                                \
    }                                                                          \
    static inline T grad_##S(T x, int c) { (void)c; return (T)(x > 0); }
#define UNSIGNED_KERNELS(S, T)                                                 \
    static inline T relu_##S(T x, int c) { (void)c; return x; }                \
    static inline T grad_##S(T x, int c) { (void)c; return (T)(x != 0); }

SIGNED_KERNELS(b, signed char)
UNSIGNED_KERNELS(B, unsigned char)
SIGNED_KERNELS(h, short)
UNSIGNED_KERNELS(H, unsigned short)
SIGNED_KERNELS(i, int)
UNSIGNED_KERNELS(I, unsigned int)
SIGNED_KERNELS(l, long)
UNSIGNED_KERNELS(L, unsigned long)
SIGNED_KERNELS(q, long long)
UNSIGNED_KERNELS(Q, unsigned long long)

/* The IEEE kernels need no loop context (the `c` of the templates below). */
#define relu_e(u, c) relu16(u)
#define relu_vec_e(u, c) relu_vec16(u)
#define grad_e(u, c) grad16(u)
#define backward_e(dy, x, c) backward16(dy, x)
#define relu_f(u, c) relu32(u)
#define relu_vec_f(u, c) relu_vec32(u)
#define grad_f(u, c) grad32(u)
#define backward_f(dy, x, c) backward32(dy, x)
#define relu_d(u, c) relu64(u)
#define relu_vec_d(u, c) relu_vec64(u)
#define grad_d(u, c) grad64(u)
#define backward_d(dy, x, c) backward64(dy, x)
#define NO_CONTEXT(data) 0

/*
 * The ml_dtypes formats (kernels.h, formats.c): the same three tests as the
 * IEEE kernels, with the constants of the format read from the loop's data
 * once per call.  The loop templates pass the constants by value, so they
 * live in registers (a uint8_t output could otherwise alias them).  The
 * sub-byte formats ("narrow") first map each byte to its canonical pattern;
 * the full-width ones skip that step (CANON is the identity for them).
 */
#define FORMAT_CONSTANTS(W)                                                    \
    typedef struct {                                                           \
        uint##W##_t pos_lo, pos_span, pos_flip, drop_lo, drop_span, one;       \
        uint##W##_t low_mask, sign_fold;                                       \
    } format##W;                                                               \
    static inline format##W load_format##W(const void *data)                   \
    {                                                                          \
        const nprelu_format *f = (const nprelu_format *)data;                  \
        format##W c = {(uint##W##_t)f->pos_lo,    (uint##W##_t)f->pos_span,    \
                       (uint##W##_t)f->pos_flip,  (uint##W##_t)f->drop_lo,     \
                       (uint##W##_t)f->drop_span, (uint##W##_t)f->one,         \
                       (uint##W##_t)f->low_mask,  (uint##W##_t)f->sign_fold};  \
        return c;                                                              \
    }                                                                          \
    static inline uint##W##_t format_same##W(uint##W##_t u, format##W c)       \
    {                                                                          \
        (void)c;                                                               \
        return u;                                                              \
    }                                                                          \
    static inline uint##W##_t format_canon##W(uint##W##_t u, format##W c)      \
    {                                                                          \
        const uint##W##_t high = (uint##W##_t)((uint##W##_t)0 -                \
                                               (uint##W##_t)(u > c.low_mask)); \
        return (uint##W##_t)((u & c.low_mask) | (c.sign_fold & high));         \
    }

/* P: the name prefix; CANON: format_same or format_canon. */
#define FORMAT_KERNELS(P, W, CANON)                                            \
    static inline uint##W##_t P##_positive##W(uint##W##_t k, format##W c)      \
    {                                                                          \
        return (uint##W##_t)(range_mask##W((uint##W##_t)(k - c.pos_lo),        \
                                           c.pos_span) ^ c.pos_flip);          \
    }                                                                          \
    static inline uint##W##_t P##_relu##W(uint##W##_t u, format##W c)          \
    {                                                                          \
        const uint##W##_t k = CANON##W(u, c);                                  \
        return (uint##W##_t)(k & ~range_mask##W((uint##W##_t)(k - c.drop_lo),  \
                                                c.drop_span));                 \
    }                                                                          \
    static inline uint##W##_t P##_grad##W(uint##W##_t u, format##W c)          \
    {                                                                          \
        return (uint##W##_t)(c.one & P##_positive##W(CANON##W(u, c), c));      \
    }                                                                          \
    static inline uint##W##_t P##_backward##W(uint##W##_t dy, uint##W##_t x,   \
                                              format##W c)                     \
    {                                                                          \
        return (uint##W##_t)(CANON##W(dy, c) &                                 \
                             P##_positive##W(CANON##W(x, c), c));              \
    }

FORMAT_CONSTANTS(8)
FORMAT_CONSTANTS(16)
FORMAT_KERNELS(format, 8, format_same)
FORMAT_KERNELS(format, 16, format_same)
FORMAT_KERNELS(narrow, 8, format_canon)

/* ------------------------------------------------------------------------
 * Leaky ReLU.  The negative branch is a product, and a product can raise
 * flags, so only the lanes whose result is the product may multiply their
 * own operands: every other lane multiplies +0 by 1 (exact, no flag) and its
 * result is selected away.  Where the result is a product, it is the same
 * IEEE multiply np.multiply performs, so it rounds and flags the same.
 * ---------------------------------------------------------------------- */

/* type puns that compile to nothing (or a register move) */
#define PUN(NAME, TO, FROM)                                                    \
    static inline TO NAME(FROM v)                                              \
    {                                                                          \
        TO r;                                                                  \
        memcpy(&r, &v, sizeof r);                                              \
        return r;                                                              \
    }
PUN(f32_of, float, uint32_t)
PUN(bits_of_f32, uint32_t, float)
PUN(f64_of, double, uint64_t)
PUN(bits_of_f64, uint64_t, double)

/* Flags that a loop found owed by its results (float16 rounding), raised
   once at the end of the loop. */
enum { OWE_OVERFLOW = 1, OWE_UNDERFLOW = 2 };
static void raise_owed(unsigned owed)
{
    if (owed & OWE_OVERFLOW) feraiseexcept(FE_OVERFLOW | FE_INEXACT);
    if (owed & OWE_UNDERFLOW) feraiseexcept(FE_UNDERFLOW | FE_INEXACT);
}

/* product of x and a on the lanes in `take`, +0 * 1 on the others */
#define MASKED_PRODUCT(W, FT, x, a, take)                                      \
    bits_of_##FT(FT##_of((x) & (take)) *                                       \
                 FT##_of(((a) & (take)) | (ONE##W & ~(take))))

#define ONE32 0x3F800000u
#define ONE64 0x3FF0000000000000u
#define SIGN32 0x80000000u
#define SIGN64 0x8000000000000000u
#define INF32 0x7F800000u
#define INF64 0x7FF0000000000000u

#define LEAKY_KERNELS(W, FT)                                                   \
    static inline uint##W##_t leaky##W(uint##W##_t x, uint##W##_t a,           \
                                       unsigned *owed)                         \
    {                                                                          \
        (void)owed;                                                            \
        const uint##W##_t take =                                               \
            (uint##W##_t)~(positive_mask##W(x) | nan_mask##W(x));              \
        const uint##W##_t p = MASKED_PRODUCT(W, FT, x, a, take);               \
        return (uint##W##_t)((p & take) | (x & ~take));                        \
    }                                                                          \
    static inline uint##W##_t leaky_grad##W(uint##W##_t x, uint##W##_t a,      \
                                            unsigned *owed)                    \
    {                                                                          \
        (void)owed;                                                            \
        const uint##W##_t pos = positive_mask##W(x);                           \
        return (uint##W##_t)((ONE##W & pos) | (a & ~pos));                     \
    }                                                                          \
    static inline uint##W##_t leaky_backward##W(                               \
        uint##W##_t dy, uint##W##_t x, uint##W##_t a, unsigned *owed)          \
    {                                                                          \
        (void)owed;                                                            \
        const uint##W##_t pos = positive_mask##W(x);                           \
        const uint##W##_t take = (uint##W##_t)~pos;                            \
        const uint##W##_t p = MASKED_PRODUCT(W, FT, dy, a, take);              \
        return (uint##W##_t)((p & take) | (dy & pos));                         \
    }

LEAKY_KERNELS(32, f32)
LEAKY_KERNELS(64, f64)

/* (the contiguous leaky_relu loops of float32 and float64 run a masked
   multiply with AVX-512 intrinsics: leaky_simd.h) */

/*
 * float16: np.multiply converts both operands to float32, multiplies (the
 * product of two 11-bit significands is exact in float32) and rounds the
 * product to float16 once, raising overflow and underflow in that rounding
 * (NumPy's npy_float_to_half).  The same, on the bits.
 */
static inline uint32_t f32_bits_of_f16(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t mag = (uint32_t)(h & 0x7FFFu);
    const uint32_t e = mag & 0x7C00u;
    /* normal: rebias the exponent; inf/NaN: exponent all ones, payload kept;
       subnormal: m * 2^-24, exact as float32 arithmetic on a normal number */
    const uint32_t normal = (mag << 13) + 0x38000000u;
    const uint32_t special = (mag << 13) | 0x7F800000u;
    const uint32_t sub = bits_of_f32((float)mag * 5.9604644775390625e-8f);
    const uint32_t is_special = (uint32_t)0 - (uint32_t)(e == 0x7C00u);
    const uint32_t is_sub = (uint32_t)0 - (uint32_t)(e == 0);
    return sign | (special & is_special) | (sub & is_sub) |
           (normal & ~(is_special | is_sub));
}

static inline uint16_t f16_of_f32_bits(uint32_t f, unsigned *owed)
{
    const uint32_t sign = (f >> 16) & 0x8000u;
    const uint32_t a = f & 0x7FFFFFFFu;
    /* finite normal range: drop 13 bits, round half to even; a carry into
       the exponent is correct, up to 0x7C00 (inf) and past it (clamped) */
    uint32_t normal = (a + 0x0FFFu + ((a >> 13) & 1u) - 0x38000000u) >> 13;
    normal = normal > 0x7C00u ? 0x7C00u : normal;
    /* below 2^-14: let float32 addition round to a multiple of 2^-24 */
    const uint32_t sub = bits_of_f32(f32_of(a) + 0.5f) - 0x3F000000u;
    const uint32_t payload = (a & 0x007FFFFFu) >> 13; /* kept, never 0 */
    const uint32_t nan = 0x7C00u | payload | (uint32_t)(payload == 0);
    const uint32_t is_nan = (uint32_t)0 - (uint32_t)(a > 0x7F800000u);
    const uint32_t is_inf = (uint32_t)0 - (uint32_t)(a == 0x7F800000u);
    const uint32_t is_sub = (uint32_t)0 - (uint32_t)(a < 0x38800000u);
    const uint32_t mag = (nan & is_nan) | (0x7C00u & is_inf) | (sub & is_sub) |
                         (normal & ~(is_nan | is_inf | is_sub));
    /* finite became inf: overflow; nonzero below the normal range and not
       exactly representable: underflow */
    *owed |= (unsigned)((a < 0x7F800000u) & (mag == 0x7C00u)) * OWE_OVERFLOW;
    *owed |= (unsigned)((a != 0) & (a < 0x38800000u) &
                        ((f32_bits_of_f16((uint16_t)mag) != a))) *
             OWE_UNDERFLOW;
    return (uint16_t)(sign | mag);
}

static inline uint16_t leaky16(uint16_t x, uint16_t a, unsigned *owed)
{
    const uint16_t take = (uint16_t)~(positive_mask16(x) | nan_mask16(x));
    const uint32_t t32 = (uint32_t)0 - (uint32_t)(take & 1u);
    const uint32_t p = MASKED_PRODUCT(32, f32, f32_bits_of_f16(x),
                                      f32_bits_of_f16(a), t32);
    const uint16_t h = f16_of_f32_bits(p & t32, owed);
    return (uint16_t)((h & take) | (x & ~take));
}
static inline uint16_t leaky_grad16(uint16_t x, uint16_t a, unsigned *owed)
{
    (void)owed;
    const uint16_t pos = positive_mask16(x);
    return (uint16_t)((0x3C00u & pos) | (a & ~pos));
}
static inline uint16_t leaky_backward16(uint16_t dy, uint16_t x, uint16_t a,
                                        unsigned *owed)
{
    const uint16_t pos = positive_mask16(x);
    const uint32_t t32 = (uint32_t)0 - (uint32_t)(~pos & 1u);
    const uint32_t p = MASKED_PRODUCT(32, f32, f32_bits_of_f16(dy),
                                      f32_bits_of_f16(a), t32);
    const uint16_t h = f16_of_f32_bits(p & t32, owed);
    return (uint16_t)((h & ~pos) | (dy & pos));
}

/* per type */
#define leaky_e leaky16
#define leaky_grad_e leaky_grad16
#define leaky_backward_e leaky_backward16
#define leaky_f leaky32
#define leaky_grad_f leaky_grad32
#define leaky_backward_f leaky_backward32
#define leaky_d leaky64
#define leaky_grad_d leaky_grad64
#define leaky_backward_d leaky_backward64

/* ------------------------------------------------------------------------
 * The leaky family on the ml_dtypes float formats: x where x > 0 or NaN,
 * else the product x * a rounded as ml_dtypes' np.multiply rounds it (in
 * float32, then converted).  8-bit storage reads the product from the
 * format's table (nprelu_leaky_format), which ml_dtypes itself filled;
 * bfloat16 multiplies in float32 (only the lanes whose result is the
 * product: the others multiply +0 by 1, which raises nothing) and rounds to
 * nearest even, a NaN becoming sign|0x7FC0, as ml_dtypes converts.
 * ---------------------------------------------------------------------- */
typedef struct {
    format8 c;
    const uint8_t *products;
} leaky8;
static inline leaky8 load_leaky8(const void *data)
{
    const nprelu_leaky_format *f = (const nprelu_leaky_format *)data;
    leaky8 l = {load_format8(f->format), f->products};
    return l;
}
static inline format16 load_leaky16(const void *data)
{
    return load_format16(((const nprelu_leaky_format *)data)->format);
}

/* relu keeps k and k is not zero: x > 0 or NaN */
#define FORMAT_KEEPS(W, k, c)                                                  \
    (uint##W##_t)(~range_mask##W((uint##W##_t)((k) - (c).drop_lo),             \
                                 (c).drop_span) &                              \
                  ((uint##W##_t)0 - (uint##W##_t)((k) != 0)))

#define LEAKY8_KERNELS(P, CANON)                                               \
    static inline uint8_t P##_leaky8(uint8_t x, uint8_t a, leaky8 l)           \
    {                                                                          \
        const uint8_t k = CANON##8(x, l.c);                                    \
        const uint8_t keep = FORMAT_KEEPS(8, k, l.c);                          \
        const uint8_t p = l.products[((size_t)a << 8) + x];                      \
        return (uint8_t)((k & keep) | (p & ~keep));                            \
    }                                                                          \
    static inline uint8_t P##_leaky_grad8(uint8_t x, uint8_t a, leaky8 l)      \
    {                                                                          \
        const uint8_t pos = P##_positive8(CANON##8(x, l.c), l.c);              \
        return (uint8_t)((l.c.one & pos) | (CANON##8(a, l.c) & ~pos));         \
    }                                                                          \
    static inline uint8_t P##_leaky_backward8(uint8_t dy, uint8_t x,           \
                                              uint8_t a, leaky8 l)             \
    {                                                                          \
        const uint8_t pos = P##_positive8(CANON##8(x, l.c), l.c);              \
        const uint8_t p = l.products[((size_t)a << 8) + dy];                     \
        return (uint8_t)((CANON##8(dy, l.c) & pos) | (p & ~pos));              \
    }
LEAKY8_KERNELS(format, format_same)
LEAKY8_KERNELS(narrow, format_canon)

static inline float bf16_to_f32(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline uint16_t f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    const uint32_t nan = (uint32_t)0 - (uint32_t)((u & 0x7FFFFFFFu) > 0x7F800000u);
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    const uint32_t quiet = ((u >> 16) & 0x8000u) | 0x7FC0u;
    return (uint16_t)((rounded & ~nan) | (quiet & nan));
}
/* v * a where take is all ones, else +0 * 1 (no flag), rounded to bfloat16 */
static inline uint16_t bf16_masked_product(uint16_t v, uint16_t a, uint16_t take)
{
    const uint16_t vm = (uint16_t)(v & take);
    const uint16_t am = (uint16_t)((a & take) | (0x3F80u & ~take));
    return f32_to_bf16(bf16_to_f32(vm) * bf16_to_f32(am));
}
static inline uint16_t format_leaky16(uint16_t x, uint16_t a, format16 c)
{
    const uint16_t keep = FORMAT_KEEPS(16, x, c);
    const uint16_t p = bf16_masked_product(x, a, (uint16_t)~keep);
    return (uint16_t)((x & keep) | (p & ~keep));
}
static inline uint16_t format_leaky_grad16(uint16_t x, uint16_t a, format16 c)
{
    const uint16_t pos = format_positive16(x, c);
    return (uint16_t)((c.one & pos) | (a & ~pos));
}
static inline uint16_t format_leaky_backward16(uint16_t dy, uint16_t x,
                                               uint16_t a, format16 c)
{
    const uint16_t pos = format_positive16(x, c);
    const uint16_t p = bf16_masked_product(dy, a, (uint16_t)~pos);
    return (uint16_t)((dy & pos) | (p & ~pos));
}

#endif
