/*
 * Which compiled kernel table runs: the SIMD targets built into this binary,
 * best last, and whether the running CPU (and OS) supports each.
 */
#ifndef NPRELU_DISPATCH_H
#define NPRELU_DISPATCH_H

#include "kernels.h"

typedef struct {
    const char *name;
    const char *description;
    const nprelu_kernels *kernels;
} nprelu_target;

/* The targets compiled into this binary, baseline first, best last. */
int nprelu_n_targets(void);
const nprelu_target *nprelu_target_at(int index);

/* 1 if the running CPU and OS can execute target `index`, else 0. */
int nprelu_target_supported(int index);

#endif
