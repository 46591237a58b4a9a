/*
 * The ufunc inner loops.  One source, compiled once per SIMD target by
 * meson.build with -DNPRELU_TARGET=<name> and that target's -march flags;
 * the compiler vectorises the plain array loops below for each target.
 *
 * Floats are handled on their bit patterns with integer operations: no
 * floating-point instruction ever touches the data, so no FP exception flag
 * can be raised (not even by a signalling NaN) and NaN payloads, -0.0 and
 * float16 need no conversion.  Every kernel is a branch-free select, so the
 * strided loops do not mispredict on random signs.
 */
#include "kernels.h"

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
#define IEEE_KERNELS(W, SIGN, INF, ONE)                                        \
    static inline uint##W##_t positive_mask##W(uint##W##_t u)                  \
    {                                                                          \
        return (uint##W##_t)((uint##W##_t)0 -                                  \
                             (uint##W##_t)((uint##W##_t)(u - 1u) < (INF)));    \
    }                                                                          \
    static inline uint##W##_t relu##W(uint##W##_t u)                           \
    {                                                                          \
        uint##W##_t keep = (uint##W##_t)((uint##W##_t)(u - (SIGN)) > (INF));   \
        return (uint##W##_t)(u & (uint##W##_t)((uint##W##_t)0 - keep));        \
    }                                                                          \
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
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(__SSE4_2__) &&     \
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
static inline uint64_t relu64(uint64_t u)
{
    const uint32_t hi = (uint32_t)(u >> 32), lo = (uint32_t)u;
    const uint32_t t = (hi & 0x7FFFFFFFu) + (uint32_t)(lo != 0);
    const uint32_t drop = (hi >> 31) & (uint32_t)(t <= 0x7FF00000u);
    return u & ((uint64_t)drop - 1u);
}
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
    static inline T relu_##S(T x) { return (T)(x & (T)((T)0 - (T)(x > 0))); } \
    static inline T grad_##S(T x) { return (T)(x > 0); }
#define UNSIGNED_KERNELS(S, T)                                                 \
    static inline T relu_##S(T x) { return x; }                                \
    static inline T grad_##S(T x) { return (T)(x != 0); }

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

#define relu_e relu16
#define grad_e grad16
#define backward_e backward16
#define relu_f relu32
#define grad_f grad32
#define backward_f backward32
#define relu_d relu64
#define grad_d grad64
#define backward_d backward64

/*
 * long double, classified by its bits for the same reason as above, with &
 * rather than && so that no test becomes a branch.  Its format depends on the
 * platform: x87 80-bit extended, IEEE quad, or plain double; anything else
 * falls back to C99's quiet comparison macros.
 */
#if LDBL_MANT_DIG == DBL_MANT_DIG
static inline int ld_positive(const char *p)
{
    uint64_t u;
    memcpy(&u, p, 8);
    return (uint64_t)(u - 1u) < 0x7FF0000000000000u;
}
static inline int ld_drops(const char *p)
{
    uint64_t u;
    memcpy(&u, p, 8);
    return (uint64_t)(u - 0x8000000000000000u) <= 0x7FF0000000000000u;
}
#elif LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__) ||    \
                              defined(_M_X64) || defined(_M_IX86))
/* x87: 64-bit significand with explicit integer bit, then sign+exponent. */
static inline void ld_split(const char *p, uint64_t *mant, unsigned *se)
{
    uint16_t s;
    memcpy(mant, p, 8);
    memcpy(&s, p + 8, 2);
    *se = s;
}
static inline int ld_nan(uint64_t mant, unsigned se)
{
    return ((se & 0x7FFFu) == 0x7FFFu) & ((uint64_t)(mant << 1) != 0);
}
static inline int ld_positive(const char *p)
{
    uint64_t m;
    unsigned se;
    ld_split(p, &m, &se);
    return !(se & 0x8000u) & !ld_nan(m, se) & (((se & 0x7FFFu) | m) != 0);
}
static inline int ld_drops(const char *p)
{
    uint64_t m;
    unsigned se;
    ld_split(p, &m, &se);
    return (int)(se >> 15) & !ld_nan(m, se);
}
#elif LDBL_MANT_DIG == 113 && defined(__BYTE_ORDER__) &&                     \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* IEEE binary128: low 64 bits of the fraction, then sign, exponent, rest. */
static inline int ld_nan(uint64_t lo, uint64_t hi)
{
    return (((hi >> 48) & 0x7FFFu) == 0x7FFFu) & (((hi << 16) | lo) != 0);
}
static inline int ld_positive(const char *p)
{
    uint64_t lo, hi;
    memcpy(&lo, p, 8);
    memcpy(&hi, p + 8, 8);
    return !(hi >> 63) & !ld_nan(lo, hi) & (((hi << 1) | lo) != 0);
}
static inline int ld_drops(const char *p)
{
    uint64_t lo, hi;
    memcpy(&lo, p, 8);
    memcpy(&hi, p + 8, 8);
    return (int)(hi >> 63) & !ld_nan(lo, hi);
}
#else
static inline int ld_positive(const char *p)
{
    long double x;
    memcpy(&x, p, sizeof x);
    return isgreater(x, 0.0L);
}
static inline int ld_drops(const char *p)
{
    long double x;
    memcpy(&x, p, sizeof x);
    return signbit(x) && !isnan(x);
}
#endif

/*
 * Every long double result is a masked copy: the input (or dy, or 1.0L)
 * where the mask is all ones, else all-zero bits, which is +0 in every
 * format.  Done a 32-bit word at a time, so it is branch-free and the source
 * may be the destination.
 */
_Static_assert(sizeof(long double) % 4 == 0, "long double is whole words");
enum { LD_WORDS = sizeof(long double) / 4 };
static const long double ld_one = 1.0L;

static inline void ld_select(char *out, const void *src, uint32_t mask)
{
    uint32_t w[LD_WORDS];
    memcpy(w, src, sizeof w);
    for (int k = 0; k < LD_WORDS; k++) w[k] &= mask;
    memcpy(out, w, sizeof w);
}
static inline uint32_t ld_mask(int keep) { return (uint32_t)0 - (uint32_t)keep; }

static inline void relu_g(const char *in, char *out)
{
    ld_select(out, in, ld_mask(!ld_drops(in)));
}
static inline void grad_g(const char *in, char *out)
{
    ld_select(out, &ld_one, ld_mask(ld_positive(in)));
}

/* ------------------------------------------------------------------------
 * Loop templates, in the manner of NumPy's fast_loop_macros.h: one element
 * expression, instantiated in a contiguous branch (distinct buffers, marked
 * restrict), a contiguous in-place branch, and a strided branch, so that the
 * compiler specialises and vectorises each.  Any other overlap of input
 * and output takes the strided branch, which is correct for every layout.
 * ---------------------------------------------------------------------- */

#define LOOP_ARGS char **args, const ptrdiff_t *dims, const ptrdiff_t *steps, \
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
    if (sa < 0) a_lo -= (uintptr_t)(-sa) * (uintptr_t)(n - 1);
    else a_hi += (uintptr_t)sa * (uintptr_t)(n - 1);
    if (sb < 0) b_lo -= (uintptr_t)(-sb) * (uintptr_t)(n - 1);
    else b_hi += (uintptr_t)sb * (uintptr_t)(n - 1);
    return a_hi + size <= b_lo || b_hi + size <= a_lo;
}

/* out = K(in) */
#define UNARY_LOOP(NAME, T, K)                                                 \
    static void NAME##_contig(const T *RESTRICT in, T *RESTRICT out,           \
                              ptrdiff_t n)                                     \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = K(in[i]);                   \
    }                                                                          \
    static void NAME##_inplace(T *RESTRICT io, ptrdiff_t n)                    \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) io[i] = K(io[i]);                    \
    }                                                                          \
    /* s == 2 (x[::2]) is spelled out: a constant stride vectorises with    \
       shuffles, a variable one only with gathers */                           \
    static void NAME##_gather(const T *RESTRICT in, ptrdiff_t s,               \
                              T *RESTRICT out, ptrdiff_t n)                    \
    {                                                                          \
        if (s == 2)                                                            \
            for (ptrdiff_t i = 0; i < n; i++) out[i] = K(in[2 * i]);           \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++) out[i] = K(in[i * s]);           \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *ip = args[0], *op = args[1];                                     \
        const ptrdiff_t n = dims[0], is = steps[0], os = steps[1];             \
        (void)data;                                                            \
        if (is == sizeof(T) && os == sizeof(T) && ip == op) {                  \
            NAME##_inplace((T *)op, n);                                        \
            return;                                                            \
        }                                                                      \
        if (os == sizeof(T) && is % (ptrdiff_t)sizeof(T) == 0 &&               \
            disjoint(ip, is, op, os, n, sizeof(T))) {                          \
            if (is == sizeof(T)) NAME##_contig((const T *)ip, (T *)op, n);     \
            else NAME##_gather((const T *)ip, is / (ptrdiff_t)sizeof(T),       \
                               (T *)op, n);                                    \
            return;                                                            \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, ip += is, op += os)                  \
            *(T *)op = K(*(const T *)ip);                                      \
    }

/* (out1, out2) = (K1(in), K2(in)), reading in once */
#define UNARY2_LOOP(NAME, T, K1, K2)                                           \
    static void NAME##_contig(const T *RESTRICT in, T *RESTRICT o1,            \
                              T *RESTRICT o2, ptrdiff_t n)                     \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            const T v = in[i];                                                 \
            o1[i] = K1(v);                                                     \
            o2[i] = K2(v);                                                     \
        }                                                                      \
    }                                                                          \
    static void NAME##_inplace1(T *RESTRICT io, T *RESTRICT o2, ptrdiff_t n)   \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            const T v = io[i];                                                 \
            io[i] = K1(v);                                                     \
            o2[i] = K2(v);                                                     \
        }                                                                      \
    }                                                                          \
    static void NAME##_inplace2(T *RESTRICT o1, T *RESTRICT io, ptrdiff_t n)   \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            const T v = io[i];                                                 \
            o1[i] = K1(v);                                                     \
            io[i] = K2(v);                                                     \
        }                                                                      \
    }                                                                          \
    static void NAME##_gather(const T *RESTRICT in, ptrdiff_t s,               \
                              T *RESTRICT o1, T *RESTRICT o2, ptrdiff_t n)     \
    {                                                                          \
        if (s == 2)                                                            \
            for (ptrdiff_t i = 0; i < n; i++) {                                \
                const T v = in[2 * i];                                         \
                o1[i] = K1(v);                                                 \
                o2[i] = K2(v);                                                 \
            }                                                                  \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++) {                                \
                const T v = in[i * s];                                         \
                o1[i] = K1(v);                                                 \
                o2[i] = K2(v);                                                 \
            }                                                                  \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *ip = args[0], *o1 = args[1], *o2 = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t is = steps[0], s1 = steps[1], s2 = steps[2];           \
        (void)data;                                                            \
        if (s1 == sizeof(T) && s2 == sizeof(T) &&                              \
            is % (ptrdiff_t)sizeof(T) == 0 &&                                  \
            disjoint(o1, s1, o2, s2, n, sizeof(T))) {                          \
            if (is == sizeof(T) && ip == o1) {                                 \
                NAME##_inplace1((T *)o1, (T *)o2, n);                          \
                return;                                                        \
            }                                                                  \
            if (is == sizeof(T) && ip == o2) {                                 \
                NAME##_inplace2((T *)o1, (T *)o2, n);                          \
                return;                                                        \
            }                                                                  \
            if (disjoint(ip, is, o1, s1, n, sizeof(T)) &&                      \
                disjoint(ip, is, o2, s2, n, sizeof(T))) {                      \
                if (is == sizeof(T))                                           \
                    NAME##_contig((const T *)ip, (T *)o1, (T *)o2, n);         \
                else                                                           \
                    NAME##_gather((const T *)ip, is / (ptrdiff_t)sizeof(T),    \
                                  (T *)o1, (T *)o2, n);                        \
                return;                                                        \
            }                                                                  \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, ip += is, o1 += s1, o2 += s2) {      \
            const T v = *(const T *)ip;                                        \
            *(T *)o1 = K1(v);                                                  \
            *(T *)o2 = K2(v);                                                  \
        }                                                                      \
    }

/* out = K(dy, x) */
#define BINARY_LOOP(NAME, T, K)                                                \
    static void NAME##_contig(const T *RESTRICT dy, const T *RESTRICT x,       \
                              T *RESTRICT out, ptrdiff_t n)                    \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = K(dy[i], x[i]);             \
    }                                                                          \
    static void NAME##_inplace_dy(T *RESTRICT io, const T *RESTRICT x,         \
                                  ptrdiff_t n)                                 \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) io[i] = K(io[i], x[i]);              \
    }                                                                          \
    static void NAME##_inplace_x(const T *RESTRICT dy, T *RESTRICT io,         \
                                 ptrdiff_t n)                                  \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) io[i] = K(dy[i], io[i]);             \
    }                                                                          \
    static void NAME##_gather(const T *RESTRICT dy, ptrdiff_t sd,              \
                              const T *RESTRICT x, ptrdiff_t sx,               \
                              T *RESTRICT out, ptrdiff_t n)                    \
    {                                                                          \
        if (sd == 2 && sx == 2)                                                \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i] = K(dy[2 * i], x[2 * i]);                               \
        else                                                                   \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i] = K(dy[i * sd], x[i * sx]);                             \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *dp = args[0], *xp = args[1], *op = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t ds = steps[0], xs = steps[1], os = steps[2];           \
        (void)data;                                                            \
        if (os == sizeof(T) && ds % (ptrdiff_t)sizeof(T) == 0 &&               \
            xs % (ptrdiff_t)sizeof(T) == 0) {                                  \
            const int dy_free = disjoint(op, os, dp, ds, n, sizeof(T));        \
            const int x_free = disjoint(op, os, xp, xs, n, sizeof(T));         \
            if (dy_free && x_free) {                                           \
                if (ds == sizeof(T) && xs == sizeof(T))                        \
                    NAME##_contig((const T *)dp, (const T *)xp, (T *)op, n);   \
                else                                                           \
                    NAME##_gather((const T *)dp, ds / (ptrdiff_t)sizeof(T),    \
                                  (const T *)xp, xs / (ptrdiff_t)sizeof(T),    \
                                  (T *)op, n);                                 \
                return;                                                        \
            }                                                                  \
            const int contiguous = ds == sizeof(T) && xs == sizeof(T);         \
            if (contiguous && op == dp && x_free) {                            \
                NAME##_inplace_dy((T *)op, (const T *)xp, n);                  \
                return;                                                        \
            }                                                                  \
            if (contiguous && op == xp && dy_free) {                           \
                NAME##_inplace_x((const T *)dp, (T *)op, n);                   \
                return;                                                        \
            }                                                                  \
        }                                                                      \
        for (ptrdiff_t i = 0; i < n; i++, dp += ds, xp += xs, op += os)        \
            *(T *)op = K(*(const T *)dp, *(const T *)xp);                      \
    }

/* long double: a plain strided loop over the masked copies above */
#define LONGDOUBLE_UNARY_LOOP(NAME, K)                                         \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *ip = args[0], *op = args[1];                                     \
        const ptrdiff_t n = dims[0], is = steps[0], os = steps[1];             \
        (void)data;                                                            \
        for (ptrdiff_t i = 0; i < n; i++, ip += is, op += os) K(ip, op);       \
    }

/* ------------------------------------------------------------------------
 * Instantiation: one loop per (ufunc, type), in the order of kernels.h.
 * ---------------------------------------------------------------------- */

#define ALL_UNARY(S, T)                                                        \
    UNARY_LOOP(relu_loop_##S, T, relu_##S)                                     \
    UNARY_LOOP(relu_grad_loop_##S, T, grad_##S)                                \
    UNARY2_LOOP(relu_and_grad_loop_##S, T, relu_##S, grad_##S)

ALL_UNARY(b, signed char)
ALL_UNARY(B, unsigned char)
ALL_UNARY(h, short)
ALL_UNARY(H, unsigned short)
ALL_UNARY(i, int)
ALL_UNARY(I, unsigned int)
ALL_UNARY(l, long)
ALL_UNARY(L, unsigned long)
ALL_UNARY(q, long long)
ALL_UNARY(Q, unsigned long long)
ALL_UNARY(e, uint16_t)
ALL_UNARY(f, uint32_t)
ALL_UNARY(d, uint64_t)
BINARY_LOOP(relu_backward_loop_e, uint16_t, backward_e)
BINARY_LOOP(relu_backward_loop_f, uint32_t, backward_f)
BINARY_LOOP(relu_backward_loop_d, uint64_t, backward_d)

LONGDOUBLE_UNARY_LOOP(relu_loop_g, relu_g)
LONGDOUBLE_UNARY_LOOP(relu_grad_loop_g, grad_g)

static void relu_and_grad_loop_g(LOOP_ARGS)
{
    char *ip = args[0], *o1 = args[1], *o2 = args[2];
    const ptrdiff_t n = dims[0], is = steps[0], s1 = steps[1], s2 = steps[2];
    (void)data;
    for (ptrdiff_t i = 0; i < n; i++, ip += is, o1 += s1, o2 += s2) {
        /* classify before writing: in may be o1 or o2 */
        const uint32_t keep = ld_mask(!ld_drops(ip));
        const uint32_t positive = ld_mask(ld_positive(ip));
        ld_select(o1, ip, keep);
        ld_select(o2, &ld_one, positive);
    }
}

static void relu_backward_loop_g(LOOP_ARGS)
{
    char *dp = args[0], *xp = args[1], *op = args[2];
    const ptrdiff_t n = dims[0], ds = steps[0], xs = steps[1], os = steps[2];
    (void)data;
    for (ptrdiff_t i = 0; i < n; i++, dp += ds, xp += xs, op += os)
        ld_select(op, dp, ld_mask(ld_positive(xp)));
}

#define ALL_TYPES(F)                                                           \
    {F##_b, F##_B, F##_h, F##_H, F##_i, F##_I, F##_l, F##_L, F##_q, F##_Q,     \
     F##_e, F##_f, F##_d, F##_g}

const nprelu_kernels NPRELU_CAT(nprelu_kernels_, NPRELU_TARGET) = {
    ALL_TYPES(relu_loop),
    ALL_TYPES(relu_grad_loop),
    ALL_TYPES(relu_and_grad_loop),
    {relu_backward_loop_e, relu_backward_loop_f, relu_backward_loop_d,
     relu_backward_loop_g},
};
