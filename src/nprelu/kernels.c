/*
 * The ufunc inner loops.  One source, compiled once per SIMD target by
 * meson.build with -DNPRELU_TARGET=<name> and that target's -march flags;
 * the compiler vectorises the plain array loops below for each target.
 *
 * The relu family works on bit patterns with integer operations: no
 * floating-point instruction touches the data, so no FP exception flag can
 * be raised (not even by a signalling NaN), and NaN payloads, -0.0, float16
 * and the ml_dtypes formats need no conversion.  The leaky family multiplies
 * only where its result is the product (see LEAKY_KERNELS).  Every kernel is
 * a branch-free select, so the strided loops do not mispredict on random
 * signs.
 */
#include "kernels.h"

#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef NPRELU_TARGET
#error "compile kernels.c with -DNPRELU_TARGET=<target name>"
#endif
#define NPRELU_CAT_(a, b) a##b
#define NPRELU_CAT(a, b) NPRELU_CAT_(a, b)

#if defined(_MSC_VER) && !defined(__clang__)
#define RESTRICT __restrict
#else
#define RESTRICT restrict
#endif

/* ------------------------------------------------------------------------
 * Pure element kernels: nothing ufunc-specific below this line until the
 * loop templates.
 * ---------------------------------------------------------------------- */

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

/*
 * leaky_relu for the vectorised contiguous loops.  With AVX-512 and GCC, a
 * conditional product compiles to a masked multiply, whose masked-off lanes
 * raise nothing (GCC's default -ftrapping-math keeps it from speculating the
 * product), in 8 instructions a vector instead of 13.  Scalar code would
 * branch on the condition, so strided loops keep the kernels above; other
 * compilers may speculate the product, so they keep them too.  (The same
 * form for leaky_relu_backward becomes a masked load of dy, which streams
 * 2x slower from memory: it keeps the masked operands.)
 */
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define LEAKY_VEC_KERNEL(W, FT)                                                \
    static inline uint##W##_t leaky_vec##W(uint##W##_t x, uint##W##_t a,       \
                                           unsigned *owed)                     \
    {                                                                          \
        (void)owed;                                                            \
        /* x <= 0, not NaN: -0 .. -inf, or +0 */                               \
        const int take = ((uint##W##_t)(x - SIGN##W) <= INF##W) | (x == 0);    \
        return take ? bits_of_##FT(FT##_of(x) * FT##_of(a)) : x;               \
    }
LEAKY_VEC_KERNEL(32, f32)
LEAKY_VEC_KERNEL(64, f64)
#else
#define leaky_vec32 leaky32
#define leaky_vec64 leaky64
#endif

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

/* per type (leaky_vec: the kernel of the contiguous leaky_relu loops) */
#define leaky_e leaky16
#define leaky_vec_e leaky16
#define leaky_grad_e leaky_grad16
#define leaky_backward_e leaky_backward16
#define leaky_f leaky32
#define leaky_vec_f leaky_vec32
#define leaky_grad_f leaky_grad32
#define leaky_backward_f leaky_backward32
#define leaky_d leaky64
#define leaky_vec_d leaky_vec64
#define leaky_grad_d leaky_grad64
#define leaky_backward_d leaky_backward64

/*
 * long double, classified by its bits for the same reason as above, with &
 * rather than && so that no test becomes a branch.  Its format depends on the
 * platform: x87 80-bit extended, IEEE quad, IBM double-double, or plain
 * double.  ld_positive: x > 0; ld_nan: x is NaN (to the hardware).
 */
#if LDBL_MANT_DIG == DBL_MANT_DIG || LDBL_MANT_DIG == 106
/* plain double, or IBM double-double, whose sign and class are those of the
   high double, stored first */
static inline uint64_t ld_high(const char *p)
{
    uint64_t u;
    memcpy(&u, p, 8);
    return u;
}
static inline int ld_positive(const char *p)
{
    return (uint64_t)(ld_high(p) - 1u) < 0x7FF0000000000000u;
}
static inline int ld_nan(const char *p)
{
    return (ld_high(p) & 0x7FFFFFFFFFFFFFFFu) > 0x7FF0000000000000u;
}
#elif LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__) ||      \
                              defined(_M_X64) || defined(_M_IX86))
/*
 * x87: 64-bit significand with an explicit integer bit, then sign+exponent.
 * Encodings the 8087 allowed but the 387 and later reject (unnormals and
 * pseudo-infinities/NaNs: exponent not zero, integer bit clear) are invalid
 * operands, which the hardware treats as NaN (x > 0 is false, isnan true):
 * so do we.  Pseudo-denormals (exponent zero, integer bit set) are numbers.
 */
static inline void ld_split(const char *p, uint64_t *mant, unsigned *se)
{
    uint16_t s;
    memcpy(mant, p, 8);
    memcpy(&s, p + 8, 2);
    *se = s;
}
static inline int ld_nan_bits(uint64_t mant, unsigned se)
{
    const unsigned e = se & 0x7FFFu;
    return ((e == 0x7FFFu) & ((uint64_t)(mant << 1) != 0)) |
           ((e != 0) & !(mant >> 63));
}
static inline int ld_nan(const char *p)
{
    uint64_t m;
    unsigned se;
    ld_split(p, &m, &se);
    return ld_nan_bits(m, se);
}
static inline int ld_positive(const char *p)
{
    uint64_t m;
    unsigned se;
    ld_split(p, &m, &se);
    return !(se & 0x8000u) & !ld_nan_bits(m, se) & (((se & 0x7FFFu) | m) != 0);
}
#elif LDBL_MANT_DIG == 113 && defined(__BYTE_ORDER__)
/* IEEE binary128: sign, exponent and the top 48 fraction bits in the high
   64-bit half, which is stored last on little-endian machines, first on
   big-endian ones (s390x). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
enum { LD_LO = 0, LD_HI = 8 };
#else
enum { LD_LO = 8, LD_HI = 0 };
#endif
static inline void ld_split(const char *p, uint64_t *lo, uint64_t *hi)
{
    memcpy(lo, p + LD_LO, 8);
    memcpy(hi, p + LD_HI, 8);
}
static inline int ld_nan(const char *p)
{
    uint64_t lo, hi;
    ld_split(p, &lo, &hi);
    return (((hi >> 48) & 0x7FFFu) == 0x7FFFu) & (((hi << 16) | lo) != 0);
}
static inline int ld_positive(const char *p)
{
    uint64_t lo, hi;
    ld_split(p, &lo, &hi);
    return !(hi >> 63) & !ld_nan(p) & (((hi << 1) | lo) != 0);
}
#else
/* An unknown format: C99's comparison macros are quiet for quiet NaNs (a
   signalling NaN may still raise FE_INVALID here).  No platform NumPy
   supports takes this branch. */
static inline int ld_positive(const char *p)
{
    long double x;
    memcpy(&x, p, sizeof x);
    return isgreater(x, 0.0L);
}
static inline int ld_nan(const char *p)
{
    long double x;
    memcpy(&x, p, sizeof x);
    return isunordered(x, x);
}
#endif
/* relu drops x: x <= 0 (-0 included), not NaN */
static inline int ld_drops(const char *p)
{
    return !ld_positive(p) & !ld_nan(p);
}

/*
 * Every long double result is a masked copy or a blend, a 32-bit word at a
 * time: branch-free, and the source may be the destination.  All-zero bits
 * are +0 in every format.
 */
_Static_assert(sizeof(long double) % 4 == 0, "long double is whole words");
enum { LD_WORDS = sizeof(long double) / 4 };
static const long double ld_one = 1.0L;

/* out = mask ? a : b, for mask all ones or zero */
static inline void ld_blend(char *out, const void *a, const void *b,
                            uint32_t mask)
{
    uint32_t wa[LD_WORDS], wb[LD_WORDS];
    memcpy(wa, a, sizeof wa);
    memcpy(wb, b, sizeof wb);
    for (int k = 0; k < LD_WORDS; k++) wa[k] = (wa[k] & mask) | (wb[k] & ~mask);
    memcpy(out, wa, sizeof wa);
}
static const long double ld_zero = 0.0L;
static inline void ld_select(char *out, const void *src, uint32_t mask)
{
    ld_blend(out, src, &ld_zero, mask);
}
static inline uint32_t ld_mask(int keep)
{
    return (uint32_t)0 - (uint32_t)keep;
}

static inline void relu_g(const char *in, char *out)
{
    ld_select(out, in, ld_mask(!ld_drops(in)));
}
static inline void grad_g(const char *in, char *out)
{
    ld_select(out, &ld_one, ld_mask(ld_positive(in)));
}
/* out = take ? v * a : keep, multiplying +0 by 1 where not take */
static inline void ld_masked_product(char *out, const char *v, const char *a,
                                     const char *keep, int take)
{
    long double vs, as;
    const uint32_t m = ld_mask(take);
    ld_select((char *)&vs, v, m);
    ld_blend((char *)&as, a, &ld_one, m);
    /* the product's value bytes only: an x87 long double fills 10 of its
       12 or 16 bytes, and the padding of a temporary is never written */
    long double p;
    memset(&p, 0, sizeof p);
    p = vs * as;
    if (LDBL_MANT_DIG == 64 && sizeof p > 10)
        memset((char *)&p + 10, 0, sizeof p - 10);
    ld_blend(out, &p, keep, m);
}
static inline void leaky_g(const char *x, const char *a, char *out)
{
    ld_masked_product(out, x, a, x, !ld_positive(x) & !ld_nan(x));
}
static inline void leaky_grad_g(const char *x, const char *a, char *out)
{
    ld_blend(out, &ld_one, a, ld_mask(ld_positive(x)));
}
static inline void leaky_backward_g(const char *dy, const char *x,
                                    const char *a, char *out)
{
    ld_masked_product(out, dy, a, dy, !ld_positive(x));
}

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

/* ------------------------------------------------------------------------
 * Loop templates, in the manner of NumPy's fast_loop_macros.h: one element
 * expression, instantiated in a contiguous branch (distinct buffers, marked
 * restrict), a contiguous in-place branch, and a strided branch, so that the
 * compiler specialises and vectorises each.  Any other overlap of input
 * and output takes the strided branch, which is correct for every layout.
 * Each template takes the element kernel K, a context type C and how to load
 * it from the loop's data (the format constants; nothing for IEEE types).
 * The unary ones also take KV, the same function spelled for the vectorised
 * loops (relu_vec), K being kept for the strided loop.
 * ---------------------------------------------------------------------- */

#define LOOP_ARGS char **args, const ptrdiff_t *dims, const ptrdiff_t *steps,  \
                  void *data

/*
 * True if n items of `size` bytes at a (step sa) and at b (step sb) share no
 * byte: only then may the restrict loops run.  Plain calls get identical or
 * disjoint buffers, but accumulate feeds the output back in one item behind.
 */
static inline int disjoint(const char *a, ptrdiff_t sa, const char *b,
                           ptrdiff_t sb, ptrdiff_t n, size_t size)
{
    if (n <= 0) return 1;
    uintptr_t a_lo = (uintptr_t)a, b_lo = (uintptr_t)b;
    uintptr_t a_hi = a_lo, b_hi = b_lo;
    /* |stride| in unsigned arithmetic: -s overflows at PTRDIFF_MIN */
    const uintptr_t ua = sa < 0 ? (uintptr_t)0 - (uintptr_t)sa : (uintptr_t)sa;
    const uintptr_t ub = sb < 0 ? (uintptr_t)0 - (uintptr_t)sb : (uintptr_t)sb;
    if (sa < 0) a_lo -= ua * (uintptr_t)(n - 1);
    else a_hi += ua * (uintptr_t)(n - 1);
    if (sb < 0) b_lo -= ub * (uintptr_t)(n - 1);
    else b_hi += ub * (uintptr_t)(n - 1);
    return a_hi + size <= b_lo || b_hi + size <= a_lo;
}

#if defined(_MSC_VER) && !defined(__clang__)
#define ALIGNED64 __declspec(align(64))
#else
#define ALIGNED64 __attribute__((aligned(64)))
#endif

/* out = K(in) */
#define UNARY_LOOP(NAME, T, K, KV, C, LOAD)                                    \
    static void NAME##_contig(const T *RESTRICT in, T *RESTRICT out,           \
                              ptrdiff_t n, C c)                                \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = KV(in[i], c);               \
    }                                                                          \
    static void NAME##_stream(const T *in, T *out, ptrdiff_t n, C c)           \
    {                                                                          \
        ptrdiff_t i;                                                           \
        NAME##_contig(in, out, stream_head(out, n, sizeof(T)), c);             \
        STREAM_BLOCKS(T, out, n, i) {                                          \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            NAME##_contig(in + i, buf, STREAM_ITEMS(T), c);                    \
            stream_block((char *)(out + i), (const char *)buf);                \
        }                                                                      \
        NAME##_contig(in + i, out + i, n - i, c);                              \
        stream_fence();                                                        \
    }                                                                          \
    static void NAME##_inplace(T *RESTRICT io, ptrdiff_t n, C c)               \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) io[i] = KV(io[i], c);                \
    }                                                                          \
    /* s == 2 (x[::2]) is spelled out: a constant stride vectorises with       \
       shuffles, a variable one only with gathers */                           \
    static void NAME##_gather(const T *RESTRICT in, ptrdiff_t s,               \
                              T *RESTRICT out, ptrdiff_t n, C c)               \
    {                                                                          \
        if (s == 2)                                                            \
            for (ptrdiff_t i = 0; i < n; i++) out[i] = KV(in[2 * i], c);       \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++) out[i] = KV(in[i * s], c);       \
    }                                                                          \
    /* strided output (out=o[::2], a column): stride 2 spelled out too */    \
    static void NAME##_scatter(const T *RESTRICT in, ptrdiff_t si,             \
                               T *RESTRICT out, ptrdiff_t so, ptrdiff_t n,     \
                               C c)                                            \
    {                                                                          \
        if (so == 2 && si == 1)                                                \
            for (ptrdiff_t i = 0; i < n; i++) out[2 * i] = KV(in[i], c);       \
        else if (so == 2 && si == 2)                                           \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[2 * i] = KV(in[2 * i], c);                                 \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i * so] = KV(in[i * si], c);                               \
    }                                                                          \
    static void NAME##_inplace_strided(T *RESTRICT io, ptrdiff_t s,            \
                                       ptrdiff_t n, C c)                       \
    {                                                                          \
        if (s == 2)                                                            \
            for (ptrdiff_t i = 0; i < n; i++) io[2 * i] = KV(io[2 * i], c);    \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++) io[i * s] = KV(io[i * s], c);    \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *ip = args[0], *op = args[1];                                     \
        const ptrdiff_t n = dims[0], is = steps[0], os = steps[1];             \
        const C c = LOAD(data);                                                \
        (void)data;                                                            \
        if (is == sizeof(T) && os == sizeof(T) && ip == op) {                  \
            NAME##_inplace((T *)op, n, c);                                     \
            return;                                                            \
        }                                                                      \
        if (is % (ptrdiff_t)sizeof(T) == 0 && os % (ptrdiff_t)sizeof(T) == 0) {\
            if (ip == op && is == os && is != 0) {                             \
                NAME##_inplace_strided((T *)op, is / (ptrdiff_t)sizeof(T), n,  \
                                       c);                                     \
                return;                                                        \
            }                                                                  \
            if (disjoint(ip, is, op, os, n, sizeof(T))) {                      \
                if (os != sizeof(T))                                           \
                    NAME##_scatter((const T *)ip, is / (ptrdiff_t)sizeof(T),   \
                                   (T *)op, os / (ptrdiff_t)sizeof(T), n, c);  \
                else if (is != sizeof(T))                                      \
                    NAME##_gather((const T *)ip, is / (ptrdiff_t)sizeof(T),    \
                                  (T *)op, n, c);                              \
                else if (streams(n, sizeof(T)))                                \
                    NAME##_stream((const T *)ip, (T *)op, n, c);               \
                else                                                           \
                    NAME##_contig((const T *)ip, (T *)op, n, c);               \
                return;                                                        \
            }                                                                  \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, ip += is, op += os)                  \
            *(T *)op = K(*(const T *)ip, c);                                   \
    }

/* (out1, out2) = (K1(in), K2(in)), reading in once */
#define UNARY2_LOOP(NAME, T, K1, K2, KV1, C, LOAD)                             \
    static void NAME##_contig(const T *RESTRICT in, T *RESTRICT o1,            \
                              T *RESTRICT o2, ptrdiff_t n, C c)                \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            const T v = in[i];                                                 \
            o1[i] = KV1(v, c);                                                 \
            o2[i] = K2(v, c);                                                  \
        }                                                                      \
    }                                                                          \
    /* o2 is streamed too if it shares o1's offset within a line */          \
    static void NAME##_stream(const T *in, T *o1, T *o2, ptrdiff_t n, C c)     \
    {                                                                          \
        const int o2_lines =                                                   \
            ((uintptr_t)o1 - (uintptr_t)o2) % STREAM_LINE == 0;                \
        ptrdiff_t i;                                                           \
        NAME##_contig(in, o1, o2, stream_head(o1, n, sizeof(T)), c);           \
        STREAM_BLOCKS(T, o1, n, i) {                                           \
            ALIGNED64 T buf1[STREAM_ITEMS(T)];                                 \
            ALIGNED64 T buf2[STREAM_ITEMS(T)];                                 \
            NAME##_contig(in + i, buf1, buf2, STREAM_ITEMS(T), c);             \
            stream_block((char *)(o1 + i), (const char *)buf1);                \
            if (o2_lines)                                                      \
                stream_block((char *)(o2 + i), (const char *)buf2);            \
            else                                                               \
                memcpy(o2 + i, buf2, STREAM_BLOCK);                            \
        }                                                                      \
        NAME##_contig(in + i, o1 + i, o2 + i, n - i, c);                       \
        stream_fence();                                                        \
    }                                                                          \
    /* in == o1 */                                                             \
    static void NAME##_inplace1(T *RESTRICT io, T *RESTRICT o2, ptrdiff_t n,   \
                                C c)                                           \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            const T v = io[i];                                                 \
            io[i] = KV1(v, c);                                                 \
            o2[i] = K2(v, c);                                                  \
        }                                                                      \
    }                                                                          \
    /* in == o2 */                                                             \
    static void NAME##_inplace2(T *RESTRICT o1, T *RESTRICT io, ptrdiff_t n,   \
                                C c)                                           \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            const T v = io[i];                                                 \
            o1[i] = KV1(v, c);                                                 \
            io[i] = K2(v, c);                                                  \
        }                                                                      \
    }                                                                          \
    static void NAME##_gather(const T *RESTRICT in, ptrdiff_t s,               \
                              T *RESTRICT o1, T *RESTRICT o2, ptrdiff_t n,     \
                              C c)                                             \
    {                                                                          \
        if (s == 2)                                                            \
            for (ptrdiff_t i = 0; i < n; i++) {                                \
                const T v = in[2 * i];                                         \
                o1[i] = KV1(v, c);                                             \
                o2[i] = K2(v, c);                                              \
            }                                                                  \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++) {                                \
                const T v = in[i * s];                                         \
                o1[i] = KV1(v, c);                                             \
                o2[i] = K2(v, c);                                              \
            }                                                                  \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *ip = args[0], *o1 = args[1], *o2 = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t is = steps[0], s1 = steps[1], s2 = steps[2];           \
        const C c = LOAD(data);                                                \
        (void)data;                                                            \
        if (s1 == sizeof(T) && s2 == sizeof(T) &&                              \
            is % (ptrdiff_t)sizeof(T) == 0 &&                                  \
            disjoint(o1, s1, o2, s2, n, sizeof(T))) {                          \
            if (is == sizeof(T) && ip == o1) {                                 \
                NAME##_inplace1((T *)o1, (T *)o2, n, c);                       \
                return;                                                        \
            }                                                                  \
            if (is == sizeof(T) && ip == o2) {                                 \
                NAME##_inplace2((T *)o1, (T *)o2, n, c);                       \
                return;                                                        \
            }                                                                  \
            if (disjoint(ip, is, o1, s1, n, sizeof(T)) &&                      \
                disjoint(ip, is, o2, s2, n, sizeof(T))) {                      \
                if (is != sizeof(T))                                           \
                    NAME##_gather((const T *)ip, is / (ptrdiff_t)sizeof(T),    \
                                  (T *)o1, (T *)o2, n, c);                     \
                else if (streams(n, sizeof(T)))                                \
                    NAME##_stream((const T *)ip, (T *)o1, (T *)o2, n, c);      \
                else                                                           \
                    NAME##_contig((const T *)ip, (T *)o1, (T *)o2, n, c);      \
                return;                                                        \
            }                                                                  \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, ip += is, o1 += s1, o2 += s2) {      \
            const T v = *(const T *)ip;                                        \
            *(T *)o1 = K1(v, c);                                               \
            *(T *)o2 = K2(v, c);                                               \
        }                                                                      \
    }

/* out = K(dy, x) */
#define BINARY_LOOP(NAME, T, K, C, LOAD)                                       \
    static void NAME##_contig(const T *RESTRICT dy, const T *RESTRICT x,       \
                              T *RESTRICT out, ptrdiff_t n, C c)               \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = K(dy[i], x[i], c);          \
    }                                                                          \
    static void NAME##_stream(const T *dy, const T *x, T *out, ptrdiff_t n,    \
                              C c)                                             \
    {                                                                          \
        ptrdiff_t i;                                                           \
        NAME##_contig(dy, x, out, stream_head(out, n, sizeof(T)), c);          \
        STREAM_BLOCKS(T, out, n, i) {                                          \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            NAME##_contig(dy + i, x + i, buf, STREAM_ITEMS(T), c);             \
            stream_block((char *)(out + i), (const char *)buf);                \
        }                                                                      \
        NAME##_contig(dy + i, x + i, out + i, n - i, c);                       \
        stream_fence();                                                        \
    }                                                                          \
    static void NAME##_inplace_dy(T *RESTRICT io, const T *RESTRICT x,         \
                                  ptrdiff_t n, C c)                            \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) io[i] = K(io[i], x[i], c);           \
    }                                                                          \
    static void NAME##_inplace_x(const T *RESTRICT dy, T *RESTRICT io,         \
                                 ptrdiff_t n, C c)                             \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) io[i] = K(dy[i], io[i], c);          \
    }                                                                          \
    static void NAME##_gather(const T *RESTRICT dy, ptrdiff_t sd,              \
                              const T *RESTRICT x, ptrdiff_t sx,               \
                              T *RESTRICT out, ptrdiff_t n, C c)               \
    {                                                                          \
        if (sd == 2 && sx == 2)                                                \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i] = K(dy[2 * i], x[2 * i], c);                            \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i] = K(dy[i * sd], x[i * sx], c);                          \
    }                                                                          \
    /* strided output, disjoint from both inputs */                          \
    static void NAME##_scatter(const T *RESTRICT dy, ptrdiff_t sd,             \
                               const T *RESTRICT x, ptrdiff_t sx,              \
                               T *RESTRICT out, ptrdiff_t so, ptrdiff_t n,     \
                               C c)                                            \
    {                                                                          \
        if (so == 2 && sd == 1 && sx == 1)                                     \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[2 * i] = K(dy[i], x[i], c);                                \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i * so] = K(dy[i * sd], x[i * sx], c);                     \
    }                                                                          \
    /* one dy for every x (a broadcast scalar: relu_backward(1.0, x)) */    \
    static void NAME##_dy0(T d, const T *RESTRICT x, T *RESTRICT out,          \
                           ptrdiff_t n, C c)                                   \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = K(d, x[i], c);              \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *dp = args[0], *xp = args[1], *op = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t ds = steps[0], xs = steps[1], os = steps[2];           \
        const C c = LOAD(data);                                                \
        (void)data;                                                            \
        if (os != sizeof(T) && os % (ptrdiff_t)sizeof(T) == 0 &&               \
            ds % (ptrdiff_t)sizeof(T) == 0 && xs % (ptrdiff_t)sizeof(T) == 0 &&\
            disjoint(op, os, dp, ds, n, sizeof(T)) &&                          \
            disjoint(op, os, xp, xs, n, sizeof(T))) {                          \
            NAME##_scatter((const T *)dp, ds / (ptrdiff_t)sizeof(T),           \
                           (const T *)xp, xs / (ptrdiff_t)sizeof(T), (T *)op,  \
                           os / (ptrdiff_t)sizeof(T), n, c);                   \
            return;                                                            \
        }                                                                      \
        if (os == sizeof(T) && ds % (ptrdiff_t)sizeof(T) == 0 &&               \
            xs % (ptrdiff_t)sizeof(T) == 0) {                                  \
            const int dy_free = disjoint(op, os, dp, ds, n, sizeof(T));        \
            const int x_free = disjoint(op, os, xp, xs, n, sizeof(T));         \
            const int contiguous = ds == sizeof(T) && xs == sizeof(T);         \
            if (ds == 0 && xs == sizeof(T) && x_free && n > 0) {               \
                /* read dy before any store: out may hold it */                \
                NAME##_dy0(*(const T *)dp, (const T *)xp, (T *)op, n, c);      \
                return;                                                        \
            }                                                                  \
            if (dy_free && x_free) {                                           \
                if (!contiguous)                                               \
                    NAME##_gather((const T *)dp, ds / (ptrdiff_t)sizeof(T),    \
                                  (const T *)xp, xs / (ptrdiff_t)sizeof(T),    \
                                  (T *)op, n, c);                              \
                else if (streams(n, sizeof(T)))                                \
                    NAME##_stream((const T *)dp, (const T *)xp, (T *)op, n,    \
                                  c);                                          \
                else                                                           \
                    NAME##_contig((const T *)dp, (const T *)xp, (T *)op, n,    \
                                  c);                                          \
                return;                                                        \
            }                                                                  \
            if (contiguous && op == dp && x_free) {                            \
                NAME##_inplace_dy((T *)op, (const T *)xp, n, c);               \
                return;                                                        \
            }                                                                  \
            if (contiguous && op == xp && dy_free) {                           \
                NAME##_inplace_x((const T *)dp, (T *)op, n, c);                \
                return;                                                        \
            }                                                                  \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, dp += ds, xp += xs, op += os)        \
            *(T *)op = K(*(const T *)dp, *(const T *)xp, c);                   \
    }

/*
 * The leaky family: out = K(x, a) and out = K(dy, x, a), where the slope a
 * is usually one number (step 0) and otherwise an array (PReLU).  K may owe
 * FP flags (float16 rounding), raised once when the loop ends.
 */
#define SLOPE_LOOP(T, n, STMT)                                                 \
    do {                                                                       \
        if (sa == 0) {                                                         \
            const T a0 = a[0];                                                 \
            for (ptrdiff_t i = 0; i < (n); i++) { const T ai = a0; STMT; }     \
        } else {                                                               \
            for (ptrdiff_t i = 0; i < (n); i++) { const T ai = a[i]; STMT; }   \
        }                                                                      \
    } while (0)

#define LEAKY_LOOP(NAME, T, K, KV)                                             \
    static unsigned NAME##_contig(const T *RESTRICT x, const T *RESTRICT a,    \
                                  ptrdiff_t sa, T *RESTRICT out, ptrdiff_t n)  \
    {                                                                          \
        unsigned owed = 0;                                                     \
        SLOPE_LOOP(T, n, out[i] = KV(x[i], ai, &owed));                        \
        return owed;                                                           \
    }                                                                          \
    static unsigned NAME##_stream(const T *x, const T *a, ptrdiff_t sa,        \
                                  T *out, ptrdiff_t n)                         \
    {                                                                          \
        ptrdiff_t i0;                                                          \
        unsigned owed =                                                        \
            NAME##_contig(x, a, sa, out, stream_head(out, n, sizeof(T)));      \
        STREAM_BLOCKS(T, out, n, i0) {                                         \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            owed |= NAME##_contig(x + i0, a + i0 * sa, sa, buf,                \
                                  STREAM_ITEMS(T));                            \
            stream_block((char *)(out + i0), (const char *)buf);               \
        }                                                                      \
        owed |= NAME##_contig(x + i0, a + i0 * sa, sa, out + i0, n - i0);      \
        stream_fence();                                                        \
        return owed;                                                           \
    }                                                                          \
    static unsigned NAME##_inplace(T *RESTRICT io, const T *RESTRICT a,        \
                                   ptrdiff_t sa, ptrdiff_t n)                  \
    {                                                                          \
        unsigned owed = 0;                                                     \
        SLOPE_LOOP(T, n, io[i] = KV(io[i], ai, &owed));                        \
        return owed;                                                           \
    }                                                                          \
    /* one slope, strided x and/or out (o[::2], columns): stride 2 of out     \
       spelled out, a constant stride vectorises with shuffles */              \
    static unsigned NAME##_strided(const T *RESTRICT x, ptrdiff_t sx, T a0,    \
                                   T *RESTRICT out, ptrdiff_t so, ptrdiff_t n) \
    {                                                                          \
        unsigned owed = 0;                                                     \
        if (so == 2 && sx == 1)                                                \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[2 * i] = KV(x[i], a0, &owed);                              \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i * so] = KV(x[i * sx], a0, &owed);                        \
        return owed;                                                           \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *xp = args[0], *ap = args[1], *op = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t xs = steps[0], as = steps[1], os = steps[2];           \
        unsigned owed = 0;                                                     \
        (void)data;                                                            \
        if (as == 0 && os != sizeof(T) && n > 0 &&                            \
            xs % (ptrdiff_t)sizeof(T) == 0 && os % (ptrdiff_t)sizeof(T) == 0 &&\
            disjoint(op, os, xp, xs, n, sizeof(T)) &&                          \
            disjoint(op, os, ap, 0, n, sizeof(T))) {                           \
            owed = NAME##_strided((const T *)xp, xs / (ptrdiff_t)sizeof(T),    \
                                  *(const T *)ap, (T *)op,                     \
                                  os / (ptrdiff_t)sizeof(T), n);               \
            raise_owed(owed);                                                  \
            return;                                                            \
        }                                                                      \
        if (xs == sizeof(T) && os == sizeof(T) &&                              \
            (as == 0 || as == sizeof(T)) &&                                    \
            disjoint(op, os, ap, as, n, sizeof(T))) {                          \
            const ptrdiff_t sa = as / (ptrdiff_t)sizeof(T);                    \
            if (op == xp)                                                      \
                owed = NAME##_inplace((T *)op, (const T *)ap, sa, n);          \
            else if (!disjoint(op, os, xp, xs, n, sizeof(T)))                  \
                goto strided;                                                  \
            else if (streams(n, sizeof(T)))                                    \
                owed = NAME##_stream((const T *)xp, (const T *)ap, sa,         \
                                     (T *)op, n);                              \
            else                                                               \
                owed = NAME##_contig((const T *)xp, (const T *)ap, sa,         \
                                     (T *)op, n);                              \
            raise_owed(owed);                                                  \
            return;                                                            \
        }                                                                      \
    strided:                                                                   \
        for (ptrdiff_t i = 0; i < n; i++, xp += xs, ap += as, op += os)        \
            *(T *)op = K(*(const T *)xp, *(const T *)ap, &owed);               \
        raise_owed(owed);                                                      \
    }

#define LEAKY_BACKWARD_LOOP(NAME, T, K)                                        \
    static unsigned NAME##_contig(const T *RESTRICT dy, const T *RESTRICT x,   \
                                  const T *RESTRICT a, ptrdiff_t sa,           \
                                  T *RESTRICT out, ptrdiff_t n)                \
    {                                                                          \
        unsigned owed = 0;                                                     \
        SLOPE_LOOP(T, n, out[i] = K(dy[i], x[i], ai, &owed));                  \
        return owed;                                                           \
    }                                                                          \
    static unsigned NAME##_stream(const T *dy, const T *x, const T *a,         \
                                  ptrdiff_t sa, T *out, ptrdiff_t n)           \
    {                                                                          \
        ptrdiff_t i0;                                                          \
        unsigned owed = NAME##_contig(dy, x, a, sa, out,                       \
                                      stream_head(out, n, sizeof(T)));         \
        STREAM_BLOCKS(T, out, n, i0) {                                         \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            owed |= NAME##_contig(dy + i0, x + i0, a + i0 * sa, sa, buf,       \
                                  STREAM_ITEMS(T));                            \
            stream_block((char *)(out + i0), (const char *)buf);               \
        }                                                                      \
        owed |= NAME##_contig(dy + i0, x + i0, a + i0 * sa, sa, out + i0,      \
                              n - i0);                                         \
        stream_fence();                                                        \
        return owed;                                                           \
    }                                                                          \
    static unsigned NAME##_inplace_dy(T *RESTRICT io, const T *RESTRICT x,     \
                                      const T *RESTRICT a, ptrdiff_t sa,       \
                                      ptrdiff_t n)                             \
    {                                                                          \
        unsigned owed = 0;                                                     \
        SLOPE_LOOP(T, n, io[i] = K(io[i], x[i], ai, &owed));                   \
        return owed;                                                           \
    }                                                                          \
    static unsigned NAME##_inplace_x(const T *RESTRICT dy, T *RESTRICT io,     \
                                     const T *RESTRICT a, ptrdiff_t sa,        \
                                     ptrdiff_t n)                              \
    {                                                                          \
        unsigned owed = 0;                                                     \
        SLOPE_LOOP(T, n, io[i] = K(dy[i], io[i], ai, &owed));                  \
        return owed;                                                           \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *dp = args[0], *xp = args[1], *ap = args[2], *op = args[3];       \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t ds = steps[0], xs = steps[1], as = steps[2],           \
                        os = steps[3];                                         \
        unsigned owed = 0;                                                     \
        (void)data;                                                            \
        if (ds == sizeof(T) && xs == sizeof(T) && os == sizeof(T) &&           \
            (as == 0 || as == sizeof(T)) &&                                    \
            disjoint(op, os, ap, as, n, sizeof(T))) {                          \
            const ptrdiff_t sa = as / (ptrdiff_t)sizeof(T);                    \
            const int dy_free = disjoint(op, os, dp, ds, n, sizeof(T));        \
            const int x_free = disjoint(op, os, xp, xs, n, sizeof(T));         \
            if (dy_free && x_free) {                                           \
                if (streams(n, sizeof(T)))                                     \
                    owed = NAME##_stream((const T *)dp, (const T *)xp,         \
                                         (const T *)ap, sa, (T *)op, n);       \
                else                                                           \
                    owed = NAME##_contig((const T *)dp, (const T *)xp,         \
                                         (const T *)ap, sa, (T *)op, n);       \
            } else if (op == dp && x_free) {                                   \
                owed = NAME##_inplace_dy((T *)op, (const T *)xp,               \
                                         (const T *)ap, sa, n);                \
            } else if (op == xp && dy_free) {                                  \
                owed = NAME##_inplace_x((const T *)dp, (T *)op,                \
                                        (const T *)ap, sa, n);                 \
            } else {                                                           \
                goto strided;                                                  \
            }                                                                  \
            raise_owed(owed);                                                  \
            return;                                                            \
        }                                                                      \
    strided:                                                                   \
        for (ptrdiff_t i = 0; i < n; i++, dp += ds, xp += xs, ap += as,        \
                       op += os)                                               \
            *(T *)op = K(*(const T *)dp, *(const T *)xp, *(const T *)ap,       \
                         &owed);                                               \
        raise_owed(owed);                                                      \
    }

/* long double: plain strided loops over the masked copies above */
#define LONGDOUBLE_LOOP(NAME, NIN, CALL)                                       \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *p[NIN + 1];                                                      \
        const ptrdiff_t n = dims[0];                                           \
        (void)data;                                                            \
        for (int k = 0; k <= NIN; k++) p[k] = args[k];                         \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            CALL;                                                              \
            for (int k = 0; k <= NIN; k++) p[k] += steps[k];                   \
        }                                                                      \
    }

/* ------------------------------------------------------------------------
 * Instantiation: one loop per (ufunc, type), in the order of kernels.h.
 * ---------------------------------------------------------------------- */

/* RV: relu's kernel in the vectorised loops */
#define ALL_UNARY(S, T, RV)                                                    \
    UNARY_LOOP(relu_loop_##S, T, relu_##S, RV, int, NO_CONTEXT)                \
    UNARY_LOOP(relu_grad_loop_##S, T, grad_##S, grad_##S, int, NO_CONTEXT)     \
    UNARY2_LOOP(relu_and_grad_loop_##S, T, relu_##S, grad_##S, RV, int,        \
                NO_CONTEXT)

ALL_UNARY(b, signed char, relu_b)
ALL_UNARY(B, unsigned char, relu_B)
ALL_UNARY(h, short, relu_h)
ALL_UNARY(H, unsigned short, relu_H)
ALL_UNARY(i, int, relu_i)
ALL_UNARY(I, unsigned int, relu_I)
ALL_UNARY(l, long, relu_l)
ALL_UNARY(L, unsigned long, relu_L)
ALL_UNARY(q, long long, relu_q)
ALL_UNARY(Q, unsigned long long, relu_Q)
ALL_UNARY(e, uint16_t, relu_vec_e)
ALL_UNARY(f, uint32_t, relu_vec_f)
ALL_UNARY(d, uint64_t, relu_vec_d)

#define FLOAT_LOOPS(S, T)                                                      \
    BINARY_LOOP(relu_backward_loop_##S, T, backward_##S, int, NO_CONTEXT)      \
    LEAKY_LOOP(leaky_relu_loop_##S, T, leaky_##S, leaky_vec_##S)               \
    LEAKY_LOOP(leaky_relu_grad_loop_##S, T, leaky_grad_##S, leaky_grad_##S)    \
    LEAKY_BACKWARD_LOOP(leaky_relu_backward_loop_##S, T, leaky_backward_##S)

FLOAT_LOOPS(e, uint16_t)
FLOAT_LOOPS(f, uint32_t)
FLOAT_LOOPS(d, uint64_t)

LONGDOUBLE_LOOP(relu_loop_g, 1, relu_g(p[0], p[1]))
LONGDOUBLE_LOOP(relu_grad_loop_g, 1, grad_g(p[0], p[1]))
LONGDOUBLE_LOOP(relu_and_grad_loop_g, 2, {
    /* classify before writing: in may be o1 or o2 */
    const uint32_t keep = ld_mask(!ld_drops(p[0]));
    const uint32_t positive = ld_mask(ld_positive(p[0]));
    ld_select(p[1], p[0], keep);
    ld_select(p[2], &ld_one, positive);
})
LONGDOUBLE_LOOP(relu_backward_loop_g, 2,
                ld_select(p[2], p[0], ld_mask(ld_positive(p[1]))))
LONGDOUBLE_LOOP(leaky_relu_loop_g, 2, leaky_g(p[0], p[1], p[2]))
LONGDOUBLE_LOOP(leaky_relu_grad_loop_g, 2, leaky_grad_g(p[0], p[1], p[2]))
LONGDOUBLE_LOOP(leaky_relu_backward_loop_g, 3,
                leaky_backward_g(p[0], p[1], p[2], p[3]))

/* the ml_dtypes formats, one loop per storage kind (kernels.h) */
#define FORMAT_LOOPS(P, W)                                                     \
    UNARY_LOOP(P##_relu_loop##W, uint##W##_t, P##_relu##W, P##_relu##W,        \
               format##W, load_format##W)                                      \
    UNARY_LOOP(P##_relu_grad_loop##W, uint##W##_t, P##_grad##W, P##_grad##W,   \
               format##W, load_format##W)                                      \
    UNARY2_LOOP(P##_relu_and_grad_loop##W, uint##W##_t, P##_relu##W,           \
                P##_grad##W, P##_relu##W, format##W, load_format##W)           \
    BINARY_LOOP(P##_relu_backward_loop##W, uint##W##_t, P##_backward##W,       \
                format##W, load_format##W)

FORMAT_LOOPS(format, 8)
FORMAT_LOOPS(format, 16)
FORMAT_LOOPS(narrow, 8)

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

#include "leaky_ml_simd.h"

/*
 * One slope over contiguous x and out: for 8-bit storage the result of every
 * byte, then a lookup (the 256 results are one vectorised pass over the
 * slope's row of products: they pay for themselves from about as many
 * elements); bfloat16's leaky_relu with intrinsics where the target has them
 * (leaky_ml_simd.h).
 */
#define SLOPE_CONTIG8(NAME, K, LOOKUP)                                         \
    static void NAME(const uint8_t *x, uint8_t a, uint8_t *out, ptrdiff_t n,   \
                     leaky8 c)                                                 \
    {                                                                          \
        if (n >= 256) {                                                        \
            ALIGNED64 uint8_t row[256];                                        \
            for (unsigned b = 0; b < 256; b++) row[b] = K((uint8_t)b, a, c);   \
            LOOKUP(x, row, out, n);                                            \
            return;                                                            \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = K(x[i], a, c);              \
    }
#define SLOPE_CONTIG16(NAME, K)                                                \
    static void NAME(const uint16_t *x, uint16_t a, uint16_t *out,             \
                     ptrdiff_t n, format16 c)                                  \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = K(x[i], a, c);              \
    }
SLOPE_CONTIG8(format_leaky_contig8, format_leaky8, lookup8_scalar)
SLOPE_CONTIG8(format_leaky_grad_contig8, format_leaky_grad8, lookup8_scalar)
SLOPE_CONTIG8(narrow_leaky_contig8, narrow_leaky8, lookup8_scalar)
SLOPE_CONTIG8(narrow_leaky_grad_contig8, narrow_leaky_grad8, lookup8_scalar)
SLOPE_CONTIG16(format_leaky_grad_contig16, format_leaky_grad16)
#ifdef NPRELU_HAVE_BF16_LEAKY_SIMD
static void format_leaky_contig16(const uint16_t *x, uint16_t a,
                                  uint16_t *out, ptrdiff_t n, format16 c)
{
    if (!bf16_leaky_avx512(x, a, out, n, c.drop_lo, c.drop_span))
        for (ptrdiff_t i = 0; i < n; i++) out[i] = format_leaky16(x[i], a, c);
}
#else
SLOPE_CONTIG16(format_leaky_contig16, format_leaky16)
#endif

/*
 * Their loops: one slope with contiguous x (and dy) and out, else any
 * layout element by element (each element read before it is written, so
 * in place and other overlaps are right).
 */
/* out = K(x, a); CONTIG: the one-slope contiguous case */
#define FORMAT_SLOPE_LOOP(NAME, K, W, C, LOAD, CONTIG)                         \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *xp = args[0], *ap = args[1], *op = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t xs = steps[0], as = steps[1], os = steps[2];           \
        const C c = LOAD(data);                                                \
        if (n > 0 && as == 0 && xs == sizeof(uint##W##_t) &&                   \
            os == sizeof(uint##W##_t)) {                                       \
            CONTIG((const uint##W##_t *)xp, *(const uint##W##_t *)ap,          \
                   (uint##W##_t *)op, n, c);                                   \
            return;                                                            \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, xp += xs, ap += as, op += os)        \
            *(uint##W##_t *)op =                                               \
                K(*(const uint##W##_t *)xp, *(const uint##W##_t *)ap, c);      \
    }

#define FORMAT_LEAKY_LOOPS(P, W, C, LOAD)                                      \
    FORMAT_SLOPE_LOOP(P##_leaky_relu_loop##W, P##_leaky##W, W, C, LOAD,        \
                      P##_leaky_contig##W)                                     \
    FORMAT_SLOPE_LOOP(P##_leaky_relu_grad_loop##W, P##_leaky_grad##W, W, C,    \
                      LOAD, P##_leaky_grad_contig##W)                          \
    static void P##_leaky_relu_backward_loop##W(LOOP_ARGS)                     \
    {                                                                          \
        char *dp = args[0], *xp = args[1], *ap = args[2], *op = args[3];       \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t ds = steps[0], xs = steps[1], as = steps[2],           \
                        os = steps[3];                                         \
        const C c = LOAD(data);                                                \
        if (n > 0 && as == 0 && ds == sizeof(uint##W##_t) &&                   \
            xs == sizeof(uint##W##_t) && os == sizeof(uint##W##_t)) {          \
            const uint##W##_t a = *(const uint##W##_t *)ap;                    \
            const uint##W##_t *dy = (const uint##W##_t *)dp;                   \
            const uint##W##_t *x = (const uint##W##_t *)xp;                    \
            uint##W##_t *out = (uint##W##_t *)op;                              \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i] = P##_leaky_backward##W(dy[i], x[i], a, c);             \
            return;                                                            \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, dp += ds, xp += xs, ap += as,        \
                       op += os)                                               \
            *(uint##W##_t *)op = P##_leaky_backward##W(                        \
                *(const uint##W##_t *)dp, *(const uint##W##_t *)xp,            \
                *(const uint##W##_t *)ap, c);                                  \
    }

FORMAT_LEAKY_LOOPS(format, 8, leaky8, load_leaky8)
FORMAT_LEAKY_LOOPS(format, 16, format16, load_leaky16)
FORMAT_LEAKY_LOOPS(narrow, 8, leaky8, load_leaky8)

/*
 * The AVX-512 build also holds the table of the avx512_vbmi target: the same
 * loops but for the 8-bit leaky ones, whose byte lookup uses VBMI.
 */
#if defined(NPRELU_HAVE_VBMI_LOOKUP)
#define VBMI_LOOPS(P)                                                          \
    SLOPE_CONTIG8(P##_leaky_contig8_vbmi, P##_leaky8, lookup8_vbmi)            \
    SLOPE_CONTIG8(P##_leaky_grad_contig8_vbmi, P##_leaky_grad8, lookup8_vbmi)  \
    FORMAT_SLOPE_LOOP(P##_leaky_relu_loop8_vbmi, P##_leaky8, 8, leaky8,        \
                      load_leaky8, P##_leaky_contig8_vbmi)                     \
    FORMAT_SLOPE_LOOP(P##_leaky_relu_grad_loop8_vbmi, P##_leaky_grad8, 8,      \
                      leaky8, load_leaky8, P##_leaky_grad_contig8_vbmi)
VBMI_LOOPS(format)
VBMI_LOOPS(narrow)
#endif

#define ALL_TYPES(F)                                                           \
    {F##_b, F##_B, F##_h, F##_H, F##_i, F##_I, F##_l, F##_L, F##_q, F##_Q,     \
     F##_e, F##_f, F##_d, F##_g}
#define FLOAT_TYPES(F) {F##_e, F##_f, F##_d, F##_g}
/* V: the suffix of the 8-bit loops (empty, or _vbmi) */
#define FORMAT_WIDTHS(F, V)                                                    \
    {format_##F##8##V, format_##F##16, narrow_##F##8##V}

#define KERNEL_TABLE(V)                                                        \
    {                                                                          \
        ALL_TYPES(relu_loop),                                                  \
        ALL_TYPES(relu_grad_loop),                                             \
        ALL_TYPES(relu_and_grad_loop),                                         \
        FLOAT_TYPES(relu_backward_loop),                                       \
        FLOAT_TYPES(leaky_relu_loop),                                          \
        FLOAT_TYPES(leaky_relu_grad_loop),                                     \
        FLOAT_TYPES(leaky_relu_backward_loop),                                 \
        FORMAT_WIDTHS(relu_loop, ),                                            \
        FORMAT_WIDTHS(relu_grad_loop, ),                                       \
        FORMAT_WIDTHS(relu_and_grad_loop, ),                                   \
        FORMAT_WIDTHS(relu_backward_loop, ),                                   \
        FORMAT_WIDTHS(leaky_relu_loop, V),                                     \
        FORMAT_WIDTHS(leaky_relu_grad_loop, V),                                \
        FORMAT_WIDTHS(leaky_relu_backward_loop, ),                             \
        STREAMING_STORES,                                                      \
    }

const nprelu_kernels NPRELU_CAT(nprelu_kernels_, NPRELU_TARGET) =
    KERNEL_TABLE();
#if defined(NPRELU_HAVE_VBMI_LOOKUP)
const nprelu_kernels NPRELU_CAT(NPRELU_CAT(nprelu_kernels_, NPRELU_TARGET),
                                _vbmi) = KERNEL_TABLE(_vbmi);
#endif
