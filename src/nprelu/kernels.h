/*
 * The inner loops of the ufuncs, one table per SIMD target.
 *
 * kernels.c is compiled once per target (see meson.build) with
 * NPRELU_TARGET set to the target's name; each build defines one
 * `nprelu_kernels_<target>` table.  Its parts: elements.h (the kernel of
 * one element), loops.h (the loop driver: which layout variant runs),
 * stream.h (non-temporal stores), spread.h (strided outputs),
 * leaky_simd.h and leaky_ml_simd.h (intrinsics for the leaky loops of the
 * IEEE and the ML floats), longdouble.c
 * (scalar, compiled once), formats.c (the ml_dtypes formats as data),
 * dispatch.c (which target runs).  Nothing here depends on NumPy's headers:
 * a loop has NumPy's PyUFuncGenericFunction signature with npy_intp spelled
 * as ptrdiff_t (the same type on every platform NumPy supports).
 */
#ifndef NPRELU_KERNELS_H
#define NPRELU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/*
 * NPRELU_OPAQUE_VECTOR(v): the compiler no longer knows what the SIMD
 * register v holds, nor which of its lanes are used, so it keeps v as
 * computed (spread.h, leaky_simd.h say why each use needs it).  An empty
 * asm; compilers without GNU asm (MSVC) get nothing, and their code as it
 * would be without it.
 */
#if defined(__GNUC__)
#define NPRELU_OPAQUE_VECTOR(v) __asm__("" : "+v"(v))
#else
#define NPRELU_OPAQUE_VECTOR(v) ((void)0)
#endif

typedef void (*nprelu_loop)(char **args, const ptrdiff_t *dimensions,
                            const ptrdiff_t *steps, void *data);

/*
 * Loop order inside each array, which _ufuncs.pyx's type table follows:
 * integer loops first so that integer input keeps its type (NumPy takes the
 * first loop it can cast to safely), then the floats.
 *   all types:   b B h H i I l L q Q e f d g
 *   float types: e f d g
 */
enum { NPRELU_N_ALL_TYPES = 14, NPRELU_N_FLOAT_TYPES = 4 };

/*
 * A bit format of 8 or 16 bits (ml_dtypes' bfloat16, float8, float6, float4
 * and small integers), as the unsigned storage word u.  A byte of a sub-byte
 * format may have bits set above the format's width (an int8 array viewed
 * as int4, np.frombuffer); its canonical pattern, the one ml_dtypes reads it
 * as and writes, is
 *   k = (u & low_mask) | (u > low_mask ? sign_fold : 0)
 * (integers: the low bits; floats: the magnitude bits, negative when any
 * higher bit is set).  Full-width formats have low_mask all ones.  On k:
 *   x > 0            <=>  (k - pos_lo <= pos_span) XOR pos_flip
 *   relu drops x     <=>  k - drop_lo <= drop_span
 *   the value one    =    one
 * (unsigned arithmetic in the storage width).  Everything else (NaN) relu
 * keeps.  A loop over such a format gets a pointer to its nprelu_format as
 * the ufunc loop's `data`.
 */
typedef struct {
    const char *name;  /* the ml_dtypes attribute */
    unsigned bits;     /* storage width: 8 or 16 */
    uint16_t pos_lo, pos_span, pos_flip, drop_lo, drop_span, one;
    uint16_t low_mask, sign_fold;
} nprelu_format;

enum { NPRELU_MAX_FORMATS = 32 };
extern const nprelu_format nprelu_formats[];
extern const int nprelu_n_formats;

/*
 * The leaky family's loop data for a float format: its constants, and for
 * 8-bit storage the products of every pair of stored bytes, products[a << 8
 * | x] = x * a as ml_dtypes' own np.multiply rounds it, slope-major so that
 * one slope's products are one 256-byte row (filled once, when the loops are
 * registered; bfloat16 multiplies in float32 and rounds itself).
 */
typedef struct {
    const nprelu_format *format;
    const uint8_t *products;
} nprelu_leaky_format;

extern nprelu_leaky_format nprelu_leaky_formats[NPRELU_MAX_FORMATS];

/*
 * Loops over one storage kind of nprelu_format: 8 bits -> 0, 16 bits -> 1,
 * and 2 for sub-byte formats (8-bit storage, low_mask not all ones), whose
 * loops canonicalise each element first; the others need not.
 */
enum { NPRELU_N_FORMAT_WIDTHS = 3, NPRELU_FORMAT_NARROW = 2 };

typedef struct {
    nprelu_loop relu[NPRELU_N_ALL_TYPES];
    nprelu_loop relu_grad[NPRELU_N_ALL_TYPES];
    nprelu_loop relu_and_grad[NPRELU_N_ALL_TYPES];
    nprelu_loop relu_backward[NPRELU_N_FLOAT_TYPES];
    nprelu_loop leaky_relu[NPRELU_N_FLOAT_TYPES];
    nprelu_loop leaky_relu_grad[NPRELU_N_FLOAT_TYPES];
    nprelu_loop leaky_relu_backward[NPRELU_N_FLOAT_TYPES];
    nprelu_loop format_relu[NPRELU_N_FORMAT_WIDTHS];
    nprelu_loop format_relu_grad[NPRELU_N_FORMAT_WIDTHS];
    nprelu_loop format_relu_and_grad[NPRELU_N_FORMAT_WIDTHS];
    nprelu_loop format_relu_backward[NPRELU_N_FORMAT_WIDTHS];
    nprelu_loop format_leaky_relu[NPRELU_N_FORMAT_WIDTHS];
    nprelu_loop format_leaky_relu_grad[NPRELU_N_FORMAT_WIDTHS];
    nprelu_loop format_leaky_relu_backward[NPRELU_N_FORMAT_WIDTHS];
    int streaming_stores; /* 1 if large outputs are written non-temporally */
} nprelu_kernels;

/* The long double loops: scalar, compiled once (longdouble.c), in every
   target's table. */
#define NPRELU_LOOP_DECL(name)                                                 \
    void name(char **args, const ptrdiff_t *dimensions,                        \
              const ptrdiff_t *steps, void *data)
NPRELU_LOOP_DECL(nprelu_relu_loop_g);
NPRELU_LOOP_DECL(nprelu_relu_grad_loop_g);
NPRELU_LOOP_DECL(nprelu_relu_and_grad_loop_g);
NPRELU_LOOP_DECL(nprelu_relu_backward_loop_g);
NPRELU_LOOP_DECL(nprelu_leaky_relu_loop_g);
NPRELU_LOOP_DECL(nprelu_leaky_relu_grad_loop_g);
NPRELU_LOOP_DECL(nprelu_leaky_relu_backward_loop_g);

extern const nprelu_kernels nprelu_kernels_baseline;
extern const nprelu_kernels nprelu_kernels_avx2;
extern const nprelu_kernels nprelu_kernels_avx512;
/* the avx512 build's loops with VBMI byte lookups (GCC and clang builds) */
extern const nprelu_kernels nprelu_kernels_avx512_vbmi;

/*
 * Contiguous outputs of at least this many bytes (in one loop call) are
 * written with non-temporal stores where the target has them; set once at
 * import, before any loop runs (cacheinfo.c).
 */
extern ptrdiff_t nprelu_stream_threshold;

#endif
