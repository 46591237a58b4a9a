/*
 * The kernel table of one SIMD target: every loop instantiated from the
 * templates of loops.h with the kernels of elements.h, and the table that
 * dispatch.c hands to the ufuncs.  Compiled once per target by meson.build
 * with -DNPRELU_TARGET=<name> and that target's -march flags; the compiler
 * vectorises the templates' plain array loops for each target.  The long
 * double loops are compiled once (longdouble.c).
 */
#include "kernels.h"
#include "loops.h"

#ifndef NPRELU_TARGET
#error "compile kernels.c with -DNPRELU_TARGET=<target name>"
#endif
/*
 * The baseline runs on every CPU of its architecture: on x86-64, SSE2 and no
 * more.  meson.build gives it -march=x86-64 after the user's CFLAGS, which
 * undoes a -march=native there, but not an explicit -mavx2 or -msse4.2.
 */
#if defined(NPRELU_TARGET_BASELINE) && (defined(__x86_64__) || defined(_M_X64)) && \
    (defined(__SSE3__) || defined(__AVX__))
#error "the baseline target is being compiled for more than SSE2 (a -m flag in CFLAGS?): every x86-64 CPU runs it"
#endif
#define NPRELU_CAT_(a, b) a##b
#define NPRELU_CAT(a, b) NPRELU_CAT_(a, b)

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

/* the vector runs of the contiguous leaky_relu and leaky_relu_backward
   loops (leaky_simd.h) */
#define leaky_run_e NO_VECTOR_RUN
#define leaky_run_f leaky_run32
#define leaky_run_d leaky_run64
#define leaky_backward_run_e NO_VECTOR_RUN3
#define leaky_backward_run_f leaky_backward_run32
#define leaky_backward_run_d leaky_backward_run64

#define FLOAT_LOOPS(S, T)                                                      \
    BINARY_LOOP(relu_backward_loop_##S, T, backward_##S, int, NO_CONTEXT)      \
    LEAKY_LOOP(leaky_relu_loop_##S, T, leaky_##S, leaky_run_##S)               \
    LEAKY_LOOP(leaky_relu_grad_loop_##S, T, leaky_grad_##S, NO_VECTOR_RUN)     \
    LEAKY_BACKWARD_LOOP(leaky_relu_backward_loop_##S, T, leaky_backward_##S, \
                        leaky_backward_run_##S)

FLOAT_LOOPS(e, uint16_t)
FLOAT_LOOPS(f, uint32_t)
FLOAT_LOOPS(d, uint64_t)

/* long double: longdouble.c, the same for every target */
#define relu_loop_g nprelu_relu_loop_g
#define relu_grad_loop_g nprelu_relu_grad_loop_g
#define relu_and_grad_loop_g nprelu_relu_and_grad_loop_g
#define relu_backward_loop_g nprelu_relu_backward_loop_g
#define leaky_relu_loop_g nprelu_leaky_relu_loop_g
#define leaky_relu_grad_loop_g nprelu_leaky_relu_grad_loop_g
#define leaky_relu_backward_loop_g nprelu_leaky_relu_backward_loop_g

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

/* the leaky family on the ml_dtypes float formats */
#if defined(NPRELU_HAVE_PSHUFB_LOOKUP)
#define LOOKUP8 lookup8_pshufb
#else
#define LOOKUP8 lookup8_scalar
#endif
SLOPE_CONTIG8(format_leaky_contig8, format_leaky8, LOOKUP8)
SLOPE_CONTIG8(format_leaky_grad_contig8, format_leaky_grad8, LOOKUP8)
SLOPE_CONTIG8(narrow_leaky_contig8, narrow_leaky8, LOOKUP8)
SLOPE_CONTIG8(narrow_leaky_grad_contig8, narrow_leaky_grad8, LOOKUP8)
SLOPE_CONTIG16(format_leaky_grad_contig16, format_leaky_grad16)
/* bfloat16 leaky_relu: the leading elements the target's vector kernel did
   (leaky_ml_simd.h; none for an inf or NaN slope), the rest element-wise */
#if defined(NPRELU_HAVE_BF16_LEAKY_SIMD)
#define BF16_LEAKY_RUN(x, a, out, n, c)                                        \
    (bf16_leaky_avx512(x, a, out, n, (c).drop_lo, (c).drop_span) ? (n) : 0)
#elif defined(NPRELU_HAVE_BF16_LEAKY_AVX2)
#define BF16_LEAKY_RUN(x, a, out, n, c)                                        \
    bf16_leaky_avx2(x, a, out, n, (c).drop_lo, (c).drop_span)
#elif defined(NPRELU_HAVE_BF16_LEAKY_SSE2)
#define BF16_LEAKY_RUN(x, a, out, n, c)                                        \
    bf16_leaky_sse2(x, a, out, n, (c).drop_lo, (c).drop_span)
#else
#define BF16_LEAKY_RUN(x, a, out, n, c) ((void)(c), (ptrdiff_t)0)
#endif
static void format_leaky_contig16(const uint16_t *x, uint16_t a,
                                  uint16_t *out, ptrdiff_t n, format16 c)
{
    for (ptrdiff_t i = BF16_LEAKY_RUN(x, a, out, n, c); i < n; i++)
        out[i] = format_leaky16(x[i], a, c);
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
