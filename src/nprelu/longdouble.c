/*
 * The long double loops: scalar code, compiled once (not per SIMD target:
 * there is no vector form of these formats) with the baseline target's
 * flags, and shared by every target's table (kernels.h).
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/*
 * long double, classified by its bits (no FP compare, which would raise
 * FE_INVALID on a signalling NaN), with & rather than && so that no test
 * becomes a branch.  Its format depends on the
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

/* long double: plain strided loops over the masked copies above */
#define LONGDOUBLE_LOOP(NAME, NIN, CALL)                                       \
    void NAME(char **args, const ptrdiff_t *dims, const ptrdiff_t *steps,   \
              void *data)                                                                                              \
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

LONGDOUBLE_LOOP(nprelu_relu_loop_g, 1, relu_g(p[0], p[1]))
LONGDOUBLE_LOOP(nprelu_relu_grad_loop_g, 1, grad_g(p[0], p[1]))
LONGDOUBLE_LOOP(nprelu_relu_and_grad_loop_g, 2, {
    /* classify before writing: in may be o1 or o2 */
    const uint32_t keep = ld_mask(!ld_drops(p[0]));
    const uint32_t positive = ld_mask(ld_positive(p[0]));
    ld_select(p[1], p[0], keep);
    ld_select(p[2], &ld_one, positive);
})
LONGDOUBLE_LOOP(nprelu_relu_backward_loop_g, 2,
                ld_select(p[2], p[0], ld_mask(ld_positive(p[1]))))
LONGDOUBLE_LOOP(nprelu_leaky_relu_loop_g, 2, leaky_g(p[0], p[1], p[2]))
LONGDOUBLE_LOOP(nprelu_leaky_relu_grad_loop_g, 2, leaky_grad_g(p[0], p[1], p[2]))
LONGDOUBLE_LOOP(nprelu_leaky_relu_backward_loop_g, 3,
                leaky_backward_g(p[0], p[1], p[2], p[3]))

