/*
 * The loop driver: how a kernel of elements.h is applied to the arrays of
 * one ufunc call.  Each template is instantiated per (ufunc, type) in
 * kernels.c; plan_loop() picks, from the steps and the pointers, the variant
 * that runs: contiguous, in place, gathered input, strided output, a
 * 0-stride operand, streaming stores for large outputs, or the element loop
 * that is right for every layout.
 */
#ifndef NPRELU_LOOPS_H
#define NPRELU_LOOPS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elements.h"
#include "stream.h"
#include "leaky_ml_simd.h"
#include "spread.h"
#include "leaky_simd.h"

#if defined(_MSC_VER) && !defined(__clang__)
#define RESTRICT __restrict
#else
#define RESTRICT restrict
#endif

/* ------------------------------------------------------------------------
 * Loop templates, in the manner of NumPy's fast_loop_macros.h: one element
 * expression, instantiated in one function per layout variant (contiguous
 * with distinct buffers marked restrict, in place, gathered input,
 * strided output, streaming), so that the compiler specialises and
 * vectorises each.  Which variant runs is decided in one place for all of
 * them, plan_loop() below, from the pointers and steps; any layout it does
 * not name runs one element at a time, which is right for every layout.
 * Each template takes the element kernel K, a context type C and how to load
 * it from the loop's data (the format constants; nothing for IEEE types).
 * The unary ones also take KV, the same function spelled for the vectorised
 * loops (relu_vec), K being kept for the element loop.
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

/* ------------------------------------------------------------------------
 * The choice of variant, for every template: one function reads the
 * pointers and steps of a call (nin inputs, then nout outputs, in NumPy's
 * args order) and names the variant that runs.  The templates only map a
 * variant to their functions, and take the element loop for any variant
 * they lack.  The rules:
 *   - every step a whole number of items, and two outputs apart from each
 *     other, or one element at a time;
 *   - an input that is an output (same pointer, same nonzero step): in
 *     place, contiguous (V_INPLACE: output 0, V_INPLACE2: output 1) or on a
 *     strided view (V_INPLACE_STRIDED, one input only); any other input
 *     sharing a byte with an output: one element at a time, which reads
 *     each element before writing it, as NumPy's accumulate needs;
 *   - the `bcast` inputs (a slope) count as contiguous with step 0 too;
 *   - input 0 at step 0 beside contiguous operands, with PLAN_BROADCAST0,
 *     is V_BROADCAST0 even if it lies in the output: the variant takes its
 *     value before any store (relu_backward(1.0, x));
 *   - otherwise a strided output: V_SCATTER; a strided input: V_GATHER;
 *     all contiguous: V_CONTIG, or V_STREAM for an output larger than the
 *     streaming threshold (stream.h).
 * ---------------------------------------------------------------------- */
enum plan_variant {
    V_ELEMENT,
    V_CONTIG,
    V_STREAM,
    V_INPLACE,
    V_INPLACE2,
    V_INPLACE_STRIDED,
    V_BROADCAST0,
    V_GATHER,
    V_SCATTER,
};
/* the variants a template has, besides contiguous, streaming, in place */
enum {
    PLAN_INPLACE2 = 1,
    PLAN_INPLACE_STRIDED = 2,
    PLAN_BROADCAST0 = 4,
    PLAN_GATHER = 8,
    PLAN_SCATTER = 16,
};
enum { PLAN_MAX_OPERANDS = 4 };
typedef struct {
    enum plan_variant v;
    int which;                       /* V_INPLACE(2): the input that is it */
    ptrdiff_t s[PLAN_MAX_OPERANDS];  /* each operand's step, in items */
} plan;

static inline plan plan_loop(char *const *args, const ptrdiff_t *steps,
                             ptrdiff_t n, size_t size, int nin, int nout,
                             unsigned bcast, unsigned has)
{
    const ptrdiff_t sz = (ptrdiff_t)size;
    plan p = {V_ELEMENT, -1, {0}};
    unsigned strided = 0; /* bit k: operand k is not contiguous */
    for (int k = 0; k < nin + nout; k++) {
        if (steps[k] % sz != 0) return p;
        p.s[k] = steps[k] / sz;
        if (p.s[k] != 1 && !(k < nin && p.s[k] == 0 && (bcast >> k & 1)))
            strided |= 1u << k;
    }
    const unsigned inputs = (1u << nin) - 1;
    const int in_contig = !(strided & inputs), out_contig = !(strided >> nin);
    if (n <= 0) return p;
    if (nout == 2 && !disjoint(args[nin], steps[nin], args[nin + 1],
                               steps[nin + 1], n, size))
        return p;
    if ((has & PLAN_BROADCAST0) && p.s[0] == 0 && !(strided & inputs & ~1u) &&
        out_contig) {
        int others_apart = 1;
        for (int k = 1; k < nin; k++)
            for (int j = nin; j < nin + nout; j++)
                others_apart &=
                    disjoint(args[k], steps[k], args[j], steps[j], n, size);
        if (others_apart) {
            p.v = V_BROADCAST0;
            return p;
        }
    }
    int alias_in = -1, alias_out = -1;
    for (int k = 0; k < nin; k++)
        for (int j = nin; j < nin + nout; j++) {
            if (args[k] == args[j] && steps[k] == steps[j] && steps[k] != 0) {
                if (alias_in >= 0) return p;
                alias_in = k, alias_out = j - nin;
            } else if (!disjoint(args[k], steps[k], args[j], steps[j], n,
                                 size)) {
                return p;
            }
        }
    if (alias_in >= 0) {
        p.which = alias_in;
        if (in_contig && out_contig && p.s[alias_in] == 1)
            p.v = alias_out == 0 ? V_INPLACE
                  : (has & PLAN_INPLACE2) ? V_INPLACE2 : V_ELEMENT;
        else if (nin == 1 && nout == 1 && (has & PLAN_INPLACE_STRIDED))
            p.v = V_INPLACE_STRIDED;
        return p;
    }
    if (!out_contig) p.v = (has & PLAN_SCATTER) ? V_SCATTER : V_ELEMENT;
    else if (!in_contig) p.v = (has & PLAN_GATHER) ? V_GATHER : V_ELEMENT;
    else p.v = streams(n, size) ? V_STREAM : V_CONTIG;
    return p;
}

#if defined(_MSC_VER) && !defined(__clang__)
#define ALIGNED64 __declspec(align(64))
#else
#define ALIGNED64 __attribute__((aligned(64)))
#endif

/*
 * The contiguous variant (NAME##_run) is inlined into the streaming loop,
 * whose fixed-size blocks it then compiles without prologue or epilogue;
 * every other caller (the contiguous path, the head and tail of a streamed
 * output, each block of a strided output) calls one out-of-line copy,
 * NAME##_contig.  Inlined into each of them, the bodies made the kernels of
 * the three targets 2.0 MB of code instead of 1.57 MB (GCC 12).
 */
/*
 * A block of a strided operand copied into a buffer, for the leaky family's
 * gather variants: the products then run in the contiguous variant.  The
 * copy stays scalar: clang vectorised the loops over a strided slope array
 * into AVX-512 gathers, 1.5-3.5x slower than np.multiply on the same layout
 * (AMD Zen 4).  Stride 2 of 4-byte items is spelled out (shuffles, see
 * SPREAD: 0.66-0.81x np.multiply for a float32 slope s[::2]); for 8-byte
 * items by gather2_64 where the target has it (spread.h): GCC's own loop
 * moved one item at a time, 1.3-1.65x np.multiply for a float64 s[::2] at
 * 1e3 and 4e3.
 */
#define GATHER_BLOCK(buf, src, s, m)                                           \
    do {                                                                       \
        if ((s) == 2 && sizeof(*(buf)) == 4) {                                 \
            for (ptrdiff_t j_ = 0; j_ < (m); j_++) (buf)[j_] = (src)[2 * j_];  \
        } else if ((s) == 2 && GATHER2_FAST(*(buf))) {                         \
            gather2_64((buf), (src), (m));                                     \
        } else {                                                               \
            SCALAR_STORES                                                      \
            for (ptrdiff_t j_ = 0; j_ < (m); j_++)                             \
                (buf)[j_] = (src)[j_ * (s)];                                   \
        }                                                                      \
    } while (0)

/* m items of p at step s (a local), made contiguous: copied into buf
   unless they already are; then p points at them and s is 1 */
#define CONTIG_BLOCK(buf, p, s, m)                                             \
    do {                                                                       \
        if ((s) != 1) {                                                        \
            GATHER_BLOCK(buf, p, s, m);                                        \
            (p) = (buf), (s) = 1;                                              \
        }                                                                      \
    } while (0)

#if defined(_MSC_VER) && !defined(__clang__)
#define NOINLINE __declspec(noinline)
#else
#define NOINLINE __attribute__((noinline))
#endif

/* out = K(in) */
#define UNARY_LOOP(NAME, T, K, KV, C, LOAD)                                    \
    static inline void NAME##_run(const T *RESTRICT in, T *RESTRICT out,       \
                                  ptrdiff_t n, C c)                            \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = KV(in[i], c);               \
    }                                                                          \
    static NOINLINE void NAME##_contig(const T *RESTRICT in, T *RESTRICT out,  \
                                       ptrdiff_t n, C c)                       \
    {                                                                          \
        NAME##_run(in, out, n, c);                                             \
    }                                                                          \
    static void NAME##_stream(const T *in, T *out, ptrdiff_t n, C c)           \
    {                                                                          \
        ptrdiff_t i;                                                           \
        NAME##_contig(in, out, stream_head(out, n, sizeof(T)), c);             \
        STREAM_BLOCKS(T, out, n, i) {                                          \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            NAME##_run(in + i, buf, STREAM_ITEMS(T), c);                       \
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
    /* strided output (out=o[::2], a column; spread.h): from a contiguous   \
       input a block at a time; from x[::2] over its whole span in registers \
       (4- and 8-byte items on AVX-512; relu's kernels raise no flag); else  \
       one element at a time, stride 2 spelled out */                        \
    static void NAME##_scatter(const T *RESTRICT in, ptrdiff_t si,             \
                               T *RESTRICT out, ptrdiff_t so, ptrdiff_t n,     \
                               C c)                                            \
    {                                                                          \
        if (si == 1)                                                           \
            for (ptrdiff_t i = 0; i < n; i += SPREAD_ITEMS(T)) {               \
                ALIGNED64 T buf[SPREAD_ITEMS(T)];                              \
                const ptrdiff_t m = SPREAD_COUNT(T, n, i);                     \
                NAME##_contig(in + i, buf, m, c);                              \
                SPREAD(out + i * so, so, buf, m);                              \
            }                                                                  \
        else if (so == 2 && si == 2 && SPAN_EVEN_FAST(T))                      \
            SPAN_EVEN(T, KV, in, out, n, c);                                   \
        else if (so == 2 && si == 2) {                                         \
            SCALAR_STORES                                                      \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[2 * i] = KV(in[2 * i], c);                                 \
        } else {                                                               \
            SCALAR_STORES                                                      \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i * so] = KV(in[i * si], c);                               \
        }                                                                      \
    }                                                                          \
    static void NAME##_inplace_strided(T *RESTRICT io, ptrdiff_t s,            \
                                       ptrdiff_t n, C c)                       \
    {                                                                          \
        if (s == 2 && SPAN_EVEN_FAST(T))                                       \
            SPAN_EVEN(T, KV, io, io, n, c);                                    \
        else if (s == 2) {                                                     \
            SCALAR_STORES                                                      \
            for (ptrdiff_t i = 0; i < n; i++) io[2 * i] = KV(io[2 * i], c);    \
        } else {                                                               \
            SCALAR_STORES                                                      \
            for (ptrdiff_t i = 0; i < n; i++) io[i * s] = KV(io[i * s], c);    \
        }                                                                      \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *ip = args[0], *op = args[1];                                     \
        const ptrdiff_t n = dims[0], is = steps[0], os = steps[1];             \
        const C c = LOAD(data);                                                \
        const plan p = plan_loop(args, steps, n, sizeof(T), 1, 1, 0,           \
                                 PLAN_INPLACE_STRIDED | PLAN_GATHER |          \
                                     PLAN_SCATTER);                            \
        (void)data;                                                            \
        switch (p.v) {                                                         \
        case V_CONTIG: NAME##_contig((const T *)ip, (T *)op, n, c); return;    \
        case V_STREAM: NAME##_stream((const T *)ip, (T *)op, n, c); return;    \
        case V_INPLACE: NAME##_inplace((T *)op, n, c); return;                 \
        case V_INPLACE_STRIDED:                                                \
            NAME##_inplace_strided((T *)op, p.s[0], n, c);                     \
            return;                                                            \
        case V_GATHER:                                                         \
            NAME##_gather((const T *)ip, p.s[0], (T *)op, n, c);               \
            return;                                                            \
        case V_SCATTER:                                                        \
            NAME##_scatter((const T *)ip, p.s[0], (T *)op, p.s[1], n, c);      \
            return;                                                            \
        default:                                                               \
            for (ptrdiff_t i = 0; i < n; i++, ip += is, op += os)              \
                *(T *)op = K(*(const T *)ip, c);                               \
        }                                                                      \
    }

/* (out1, out2) = (K1(in), K2(in)), reading in once */
#define UNARY2_LOOP(NAME, T, K1, K2, KV1, C, LOAD)                             \
    static inline void NAME##_run(const T *RESTRICT in, T *RESTRICT o1,        \
                                  T *RESTRICT o2, ptrdiff_t n, C c)            \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                    \
            const T v = in[i];                                                 \
            o1[i] = KV1(v, c);                                                 \
            o2[i] = K2(v, c);                                                  \
        }                                                                      \
    }                                                                          \
    static NOINLINE void NAME##_contig(const T *RESTRICT in, T *RESTRICT o1,   \
                                       T *RESTRICT o2, ptrdiff_t n, C c)       \
    {                                                                          \
        NAME##_run(in, o1, o2, n, c);                                          \
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
            NAME##_run(in + i, buf1, buf2, STREAM_ITEMS(T), c);                \
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
    /* strided outputs (either or both), a block at a time (SPREAD) */       \
    static void NAME##_scatter(const T *RESTRICT in, ptrdiff_t si,             \
                               T *RESTRICT o1, ptrdiff_t s1, T *RESTRICT o2,   \
                               ptrdiff_t s2, ptrdiff_t n, C c)                 \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i += SPREAD_ITEMS(T)) {                   \
            ALIGNED64 T b1[SPREAD_ITEMS(T)];                                   \
            ALIGNED64 T b2[SPREAD_ITEMS(T)];                                   \
            const ptrdiff_t m = SPREAD_COUNT(T, n, i);                         \
            if (si == 1) NAME##_contig(in + i, b1, b2, m, c);                  \
            else NAME##_gather(in + i * si, si, b1, b2, m, c);                 \
            SPREAD(o1 + i * s1, s1, b1, m);                                    \
            SPREAD(o2 + i * s2, s2, b2, m);                                    \
        }                                                                      \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *ip = args[0], *o1 = args[1], *o2 = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t is = steps[0], s1 = steps[1], s2 = steps[2];           \
        const C c = LOAD(data);                                                \
        const plan p = plan_loop(args, steps, n, sizeof(T), 1, 2, 0,           \
                                 PLAN_INPLACE2 | PLAN_GATHER | PLAN_SCATTER);  \
        (void)data;                                                            \
        switch (p.v) {                                                         \
        case V_CONTIG:                                                         \
            NAME##_contig((const T *)ip, (T *)o1, (T *)o2, n, c);              \
            return;                                                            \
        case V_STREAM:                                                         \
            NAME##_stream((const T *)ip, (T *)o1, (T *)o2, n, c);              \
            return;                                                            \
        case V_INPLACE: NAME##_inplace1((T *)o1, (T *)o2, n, c); return;       \
        case V_INPLACE2: NAME##_inplace2((T *)o1, (T *)o2, n, c); return;      \
        case V_GATHER:                                                         \
            NAME##_gather((const T *)ip, p.s[0], (T *)o1, (T *)o2, n, c);      \
            return;                                                            \
        case V_SCATTER:                                                        \
            NAME##_scatter((const T *)ip, p.s[0], (T *)o1, p.s[1], (T *)o2,    \
                           p.s[2], n, c);                                      \
            return;                                                            \
        default:                                                               \
            for (ptrdiff_t i = 0; i < n; i++, ip += is, o1 += s1, o2 += s2) {  \
                const T v = *(const T *)ip;                                    \
                *(T *)o1 = K1(v, c);                                           \
                *(T *)o2 = K2(v, c);                                           \
            }                                                                  \
        }                                                                      \
    }

/* out = K(dy, x) */
#define BINARY_LOOP(NAME, T, K, C, LOAD)                                       \
    static inline void NAME##_run(const T *RESTRICT dy, const T *RESTRICT x,   \
                                  T *RESTRICT out, ptrdiff_t n, C c)           \
    {                                                                          \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = K(dy[i], x[i], c);          \
    }                                                                          \
    static NOINLINE void NAME##_contig(const T *RESTRICT dy,                   \
                                       const T *RESTRICT x, T *RESTRICT out,   \
                                       ptrdiff_t n, C c)                       \
    {                                                                          \
        NAME##_run(dy, x, out, n, c);                                          \
    }                                                                          \
    static void NAME##_stream(const T *dy, const T *x, T *out, ptrdiff_t n,    \
                              C c)                                             \
    {                                                                          \
        ptrdiff_t i;                                                           \
        NAME##_contig(dy, x, out, stream_head(out, n, sizeof(T)), c);          \
        STREAM_BLOCKS(T, out, n, i) {                                          \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            NAME##_run(dy + i, x + i, buf, STREAM_ITEMS(T), c);                \
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
    /* strided output, disjoint from both inputs (SPREAD) */                 \
    static void NAME##_scatter(const T *RESTRICT dy, ptrdiff_t sd,             \
                               const T *RESTRICT x, ptrdiff_t sx,              \
                               T *RESTRICT out, ptrdiff_t so, ptrdiff_t n,     \
                               C c)                                            \
    {                                                                          \
        if (sd == 1 && sx == 1)                                                \
            for (ptrdiff_t i = 0; i < n; i += SPREAD_ITEMS(T)) {               \
                ALIGNED64 T buf[SPREAD_ITEMS(T)];                              \
                const ptrdiff_t m = SPREAD_COUNT(T, n, i);                     \
                NAME##_contig(dy + i, x + i, buf, m, c);                       \
                SPREAD(out + i * so, so, buf, m);                              \
            }                                                                  \
        else {                                                                 \
            SCALAR_STORES                                                      \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i * so] = K(dy[i * sd], x[i * sx], c);                     \
        }                                                                      \
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
        const plan p = plan_loop(args, steps, n, sizeof(T), 2, 1, 0,           \
                                 PLAN_BROADCAST0 | PLAN_GATHER |               \
                                     PLAN_SCATTER);                            \
        (void)data;                                                            \
        switch (p.v) {                                                         \
        case V_CONTIG:                                                         \
            NAME##_contig((const T *)dp, (const T *)xp, (T *)op, n, c);        \
            return;                                                            \
        case V_STREAM:                                                         \
            NAME##_stream((const T *)dp, (const T *)xp, (T *)op, n, c);        \
            return;                                                            \
        case V_INPLACE:                                                        \
            if (p.which == 0)                                                  \
                NAME##_inplace_dy((T *)op, (const T *)xp, n, c);               \
            else                                                               \
                NAME##_inplace_x((const T *)dp, (T *)op, n, c);                \
            return;                                                            \
        case V_BROADCAST0:                                                     \
            NAME##_dy0(*(const T *)dp, (const T *)xp, (T *)op, n, c);          \
            return;                                                            \
        case V_GATHER:                                                         \
            NAME##_gather((const T *)dp, p.s[0], (const T *)xp, p.s[1],        \
                          (T *)op, n, c);                                      \
            return;                                                            \
        case V_SCATTER:                                                        \
            NAME##_scatter((const T *)dp, p.s[0], (const T *)xp, p.s[1],       \
                           (T *)op, p.s[2], n, c);                             \
            return;                                                            \
        default:                                                               \
            for (ptrdiff_t i = 0; i < n; i++, dp += ds, xp += xs, op += os)    \
                *(T *)op = K(*(const T *)dp, *(const T *)xp, c);               \
        }                                                                      \
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

/* VRUN(x, a, sa, out, n): the leading elements a vector loop did (leaky_simd.h) */
#define NO_VECTOR_RUN(x, a, sa, out, n) ((void)(x), (void)(out), (ptrdiff_t)0)
#define LEAKY_LOOP(NAME, T, K, VRUN)                                           \
    static inline unsigned NAME##_run(const T *RESTRICT x, const T *RESTRICT a,\
                                      ptrdiff_t sa, T *RESTRICT out,           \
                                      ptrdiff_t n)                             \
    {                                                                          \
        unsigned owed = 0;                                                     \
        const ptrdiff_t done = VRUN(x, a, sa, out, n);                         \
        x += done, a += done * sa, out += done, n -= done;                     \
        SLOPE_LOOP(T, n, out[i] = K(x[i], ai, &owed));                         \
        return owed;                                                           \
    }                                                                          \
    static NOINLINE unsigned NAME##_contig(const T *RESTRICT x,                \
                                           const T *RESTRICT a, ptrdiff_t sa,  \
                                           T *RESTRICT out, ptrdiff_t n)       \
    {                                                                          \
        return NAME##_run(x, a, sa, out, n);                                   \
    }                                                                          \
    static unsigned NAME##_stream(const T *x, const T *a, ptrdiff_t sa,        \
                                  T *out, ptrdiff_t n)                         \
    {                                                                          \
        ptrdiff_t i0;                                                          \
        unsigned owed =                                                        \
            NAME##_contig(x, a, sa, out, stream_head(out, n, sizeof(T)));      \
        STREAM_BLOCKS(T, out, n, i0) {                                         \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            owed |= NAME##_run(x + i0, a + i0 * sa, sa, buf,                   \
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
        const ptrdiff_t done = VRUN(io, a, sa, io, n);                         \
        io += done, a += done * sa, n -= done;                                 \
        SLOPE_LOOP(T, n, io[i] = K(io[i], ai, &owed));                         \
        return owed;                                                           \
    }                                                                          \
    /* strided x (A.T) or a strided slope array, into a contiguous out: a      \
       block at a time, the strided operands copied into buffers (GATHER_BLOCK) \
       for the contiguous variant */                                           \
    static unsigned NAME##_gather(const T *RESTRICT x, ptrdiff_t sx,           \
                                  const T *RESTRICT a, ptrdiff_t sa,           \
                                  T *RESTRICT out, ptrdiff_t n)                \
    {                                                                          \
        unsigned owed = 0;                                                     \
        for (ptrdiff_t i = 0; i < n; i += SPREAD_ITEMS(T)) {                   \
            ALIGNED64 T bx[SPREAD_ITEMS(T)];                                   \
            ALIGNED64 T ba[SPREAD_ITEMS(T)];                                   \
            const ptrdiff_t m = SPREAD_COUNT(T, n, i);                         \
            const T *xb = x + i * sx, *ab = a + i * sa;                        \
            ptrdiff_t sxb = sx, sb = sa;                                       \
            CONTIG_BLOCK(bx, xb, sxb, m);                                      \
            if (sb != 0) CONTIG_BLOCK(ba, ab, sb, m);                          \
            owed |= NAME##_contig(xb, ab, sb, out + i, m);                     \
        }                                                                      \
        return owed;                                                           \
    }                                                                          \
    /* one slope, strided out (o[::2], columns; SPREAD) */                   \
    static unsigned NAME##_strided(const T *RESTRICT x, ptrdiff_t sx, T a0,    \
                                   T *RESTRICT out, ptrdiff_t so, ptrdiff_t n) \
    {                                                                          \
        unsigned owed = 0;                                                     \
        if (sx == 1)                                                           \
            for (ptrdiff_t i = 0; i < n; i += SPREAD_ITEMS(T)) {               \
                ALIGNED64 T buf[SPREAD_ITEMS(T)];                              \
                const ptrdiff_t m = SPREAD_COUNT(T, n, i);                     \
                owed |= NAME##_contig(x + i, &a0, 0, buf, m);                  \
                SPREAD(out + i * so, so, buf, m);                              \
            }                                                                  \
        else {                                                                 \
            SCALAR_STORES                                                      \
            for (ptrdiff_t i = 0; i < n; i++)                                  \
                out[i * so] = K(x[i * sx], a0, &owed);                        \
        }                                                                      \
        return owed;                                                           \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *xp = args[0], *ap = args[1], *op = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t xs = steps[0], as = steps[1], os = steps[2];           \
        const plan p = plan_loop(args, steps, n, sizeof(T), 2, 1, 1u << 1,     \
                                 PLAN_GATHER | PLAN_SCATTER);                  \
        /* in place on the slope, or a strided output with a slope array */    \
        const enum plan_variant v =                                            \
            (p.v == V_INPLACE && p.which != 0) ||                              \
                    (p.v == V_SCATTER && p.s[1] != 0)                          \
                ? V_ELEMENT                                                    \
                : p.v;                                                         \
        unsigned owed = 0;                                                     \
        (void)data;                                                            \
        switch (v) {                                                           \
        case V_CONTIG:                                                         \
            owed = NAME##_contig((const T *)xp, (const T *)ap, p.s[1],         \
                                 (T *)op, n);                                  \
            break;                                                             \
        case V_STREAM:                                                         \
            owed = NAME##_stream((const T *)xp, (const T *)ap, p.s[1],         \
                                 (T *)op, n);                                  \
            break;                                                             \
        case V_INPLACE:                                                        \
            owed = NAME##_inplace((T *)op, (const T *)ap, p.s[1], n);          \
            break;                                                             \
        case V_GATHER:                                                         \
            owed = NAME##_gather((const T *)xp, p.s[0], (const T *)ap, p.s[1], \
                                 (T *)op, n);                                  \
            break;                                                             \
        case V_SCATTER:                                                        \
            owed = NAME##_strided((const T *)xp, p.s[0], *(const T *)ap,       \
                                  (T *)op, p.s[2], n);                         \
            break;                                                             \
        default:                                                               \
            for (ptrdiff_t i = 0; i < n; i++, xp += xs, ap += as, op += os)    \
                *(T *)op = K(*(const T *)xp, *(const T *)ap, &owed);           \
        }                                                                      \
        raise_owed(owed);                                                      \
    }

/* VRUN(dy, x, a, sa, out, n): as LEAKY_LOOP's, with dy */
#define NO_VECTOR_RUN3(dy, x, a, sa, out, n)                                   \
    ((void)(dy), (void)(x), (void)(out), (ptrdiff_t)0)
#define LEAKY_BACKWARD_LOOP(NAME, T, K, VRUN)                                  \
    static inline unsigned NAME##_run(const T *RESTRICT dy,                    \
                                      const T *RESTRICT x,                     \
                                      const T *RESTRICT a, ptrdiff_t sa,       \
                                      T *RESTRICT out, ptrdiff_t n)            \
    {                                                                          \
        unsigned owed = 0;                                                     \
        const ptrdiff_t done = VRUN(dy, x, a, sa, out, n);                     \
        dy += done, x += done, a += done * sa, out += done, n -= done;         \
        SLOPE_LOOP(T, n, out[i] = K(dy[i], x[i], ai, &owed));                  \
        return owed;                                                           \
    }                                                                          \
    static NOINLINE unsigned NAME##_contig(const T *RESTRICT dy,               \
                                           const T *RESTRICT x,                \
                                           const T *RESTRICT a, ptrdiff_t sa,  \
                                           T *RESTRICT out, ptrdiff_t n)       \
    {                                                                          \
        return NAME##_run(dy, x, a, sa, out, n);                               \
    }                                                                          \
    static unsigned NAME##_stream(const T *dy, const T *x, const T *a,         \
                                  ptrdiff_t sa, T *out, ptrdiff_t n)           \
    {                                                                          \
        ptrdiff_t i0;                                                          \
        unsigned owed = NAME##_contig(dy, x, a, sa, out,                       \
                                      stream_head(out, n, sizeof(T)));         \
        STREAM_BLOCKS(T, out, n, i0) {                                         \
            ALIGNED64 T buf[STREAM_ITEMS(T)];                                  \
            owed |= NAME##_run(dy + i0, x + i0, a + i0 * sa, sa, buf,          \
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
        const ptrdiff_t done = VRUN(io, x, a, sa, io, n);                      \
        io += done, x += done, a += done * sa, n -= done;                      \
        SLOPE_LOOP(T, n, io[i] = K(io[i], x[i], ai, &owed));                   \
        return owed;                                                           \
    }                                                                          \
    static unsigned NAME##_inplace_x(const T *RESTRICT dy, T *RESTRICT io,     \
                                     const T *RESTRICT a, ptrdiff_t sa,        \
                                     ptrdiff_t n)                              \
    {                                                                          \
        unsigned owed = 0;                                                     \
        const ptrdiff_t done = VRUN(dy, io, a, sa, io, n);                     \
        dy += done, io += done, a += done * sa, n -= done;                     \
        SLOPE_LOOP(T, n, io[i] = K(dy[i], io[i], ai, &owed));                  \
        return owed;                                                           \
    }                                                                          \
    /* strided dy, x or slope array (transposed), into a contiguous out, a     \
       block at a time as LEAKY_LOOP's */                                      \
    static unsigned NAME##_gather(const T *RESTRICT dy, ptrdiff_t sd,          \
                                  const T *RESTRICT x, ptrdiff_t sx,           \
                                  const T *RESTRICT a, ptrdiff_t sa,           \
                                  T *RESTRICT out, ptrdiff_t n)                \
    {                                                                          \
        unsigned owed = 0;                                                     \
        for (ptrdiff_t i = 0; i < n; i += SPREAD_ITEMS(T)) {                   \
            ALIGNED64 T bd[SPREAD_ITEMS(T)];                                   \
            ALIGNED64 T bx[SPREAD_ITEMS(T)];                                   \
            ALIGNED64 T ba[SPREAD_ITEMS(T)];                                   \
            const ptrdiff_t m = SPREAD_COUNT(T, n, i);                         \
            const T *db = dy + i * sd, *xb = x + i * sx, *ab = a + i * sa;     \
            ptrdiff_t sdb = sd, sxb = sx, sb = sa;                             \
            CONTIG_BLOCK(bd, db, sdb, m);                                      \
            CONTIG_BLOCK(bx, xb, sxb, m);                                      \
            if (sb != 0) CONTIG_BLOCK(ba, ab, sb, m);                          \
            owed |= NAME##_contig(db, xb, ab, sb, out + i, m);                 \
        }                                                                      \
        return owed;                                                           \
    }                                                                          \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *dp = args[0], *xp = args[1], *ap = args[2], *op = args[3];       \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t ds = steps[0], xs = steps[1], as = steps[2],           \
                        os = steps[3];                                         \
        const plan p =                                                         \
            plan_loop(args, steps, n, sizeof(T), 3, 1, 1u << 2, PLAN_GATHER);  \
        const ptrdiff_t sa = p.s[2];                                           \
        unsigned owed = 0;                                                     \
        (void)data;                                                            \
        switch (p.v == V_INPLACE && p.which == 2 ? V_ELEMENT : p.v) {          \
        case V_CONTIG:                                                         \
            owed = NAME##_contig((const T *)dp, (const T *)xp,                 \
                                 (const T *)ap, sa, (T *)op, n);               \
            break;                                                             \
        case V_STREAM:                                                         \
            owed = NAME##_stream((const T *)dp, (const T *)xp,                 \
                                 (const T *)ap, sa, (T *)op, n);               \
            break;                                                             \
        case V_INPLACE:                                                        \
            if (p.which == 0)                                                  \
                owed = NAME##_inplace_dy((T *)op, (const T *)xp,               \
                                         (const T *)ap, sa, n);                \
            else                                                               \
                owed = NAME##_inplace_x((const T *)dp, (T *)op,                \
                                        (const T *)ap, sa, n);                 \
            break;                                                             \
        case V_GATHER:                                                         \
            owed = NAME##_gather((const T *)dp, p.s[0], (const T *)xp, p.s[1], \
                                 (const T *)ap, sa, (T *)op, n);               \
            break;                                                             \
        default:                                                               \
            for (ptrdiff_t i = 0; i < n; i++, dp += ds, xp += xs, ap += as,    \
                           op += os)                                           \
                *(T *)op = K(*(const T *)dp, *(const T *)xp, *(const T *)ap,   \
                             &owed);                                           \
        }                                                                      \
        raise_owed(owed);                                                      \
    }

/* ------------------------------------------------------------------------
 * The leaky family on the ml_dtypes float formats.
 * ---------------------------------------------------------------------- */
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
/*
 * Their loops: one slope over contiguous x (and dy) and out, in place too
 * (the contiguous functions read each element before writing it), else
 * one element at a time (plan_loop's rules).
 */
/* the plan is one slope (operand `slope`) over contiguous operands */
#define ONE_SLOPE(p, slope)                                                    \
    (((p).v == V_CONTIG || (p).v == V_STREAM || (p).v == V_INPLACE) &&         \
     (p).s[slope] == 0)

/* out = K(x, a); CONTIG: the one-slope contiguous case */
#define FORMAT_SLOPE_LOOP(NAME, K, W, C, LOAD, CONTIG)                         \
    static void NAME(LOOP_ARGS)                                                \
    {                                                                          \
        char *xp = args[0], *ap = args[1], *op = args[2];                      \
        const ptrdiff_t n = dims[0];                                           \
        const ptrdiff_t xs = steps[0], as = steps[1], os = steps[2];           \
        const C c = LOAD(data);                                                \
        const plan p = plan_loop(args, steps, n, sizeof(uint##W##_t), 2, 1,    \
                                 1u << 1, 0);                                  \
        if (ONE_SLOPE(p, 1)) {                                                 \
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
        const plan p = plan_loop(args, steps, n, sizeof(uint##W##_t), 3, 1,    \
                                 1u << 2, 0);                                  \
        if (ONE_SLOPE(p, 2)) {                                                 \
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

#endif
