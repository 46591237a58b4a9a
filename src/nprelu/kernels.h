/*
 * The inner loops of the four ufuncs, one table per SIMD target.
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

typedef struct {
    nprelu_loop relu[NPRELU_N_ALL_TYPES];
    nprelu_loop relu_grad[NPRELU_N_ALL_TYPES];
    nprelu_loop relu_and_grad[NPRELU_N_ALL_TYPES];
    nprelu_loop relu_backward[NPRELU_N_FLOAT_TYPES];
} nprelu_kernels;

extern const nprelu_kernels nprelu_kernels_baseline;
extern const nprelu_kernels nprelu_kernels_avx2;
extern const nprelu_kernels nprelu_kernels_avx512;

#endif
