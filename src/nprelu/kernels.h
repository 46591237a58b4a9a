/*
 * The inner loops of the ufuncs, one table per SIMD target.
 *
 * kernels.c is compiled once per target (see meson.build) with
 * NPRELU_TARGET set to the target's name; each build defines one
 * `nprelu_kernels_<target>` table.  Nothing here depends on NumPy's headers:
 * a loop has NumPy's PyUFuncGenericFunction signature with npy_intp spelled
 * as ptrdiff_t (the same type on every platform NumPy supports).
 */
#ifndef NPRELU_KERNELS_H
#define NPRELU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

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
 * A sign-magnitude bit format of 8 or 16 bits (ml_dtypes' bfloat16, float8,
 * float6, float4 and small integers), as the unsigned storage word u:
 *   x > 0            <=>  1 <= u <= pos_max
 *   relu drops x     <=>  drop_lo <= u <= drop_lo + drop_span
 *   the value one    =    one
 * Everything else (NaN) relu keeps.  A loop over such a format gets a pointer
 * to its nprelu_format as the ufunc loop's `data`.
 */
typedef struct {
    const char *name;  /* the ml_dtypes attribute */
    unsigned bits;     /* storage width: 8 or 16 */
    uint16_t pos_max, drop_lo, drop_span, one;
} nprelu_format;

enum { NPRELU_MAX_FORMATS = 32 };
extern const nprelu_format nprelu_formats[];
extern const int nprelu_n_formats;

/* Loops over one storage width of nprelu_format, indexed 8 -> 0, 16 -> 1. */
enum { NPRELU_N_FORMAT_WIDTHS = 2 };

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
    int streaming_stores; /* 1 if large outputs are written non-temporally */
} nprelu_kernels;

extern const nprelu_kernels nprelu_kernels_baseline;
extern const nprelu_kernels nprelu_kernels_avx2;
extern const nprelu_kernels nprelu_kernels_avx512;

/*
 * Contiguous outputs of at least this many bytes (in one loop call) are
 * written with non-temporal stores where the target has them; set once at
 * import, before any loop runs (cacheinfo.c).
 */
extern ptrdiff_t nprelu_stream_threshold;

#endif
