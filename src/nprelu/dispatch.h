/*
 * Which compiled kernel table runs: the SIMD targets built into this binary,
 * best last, and whether the running CPU (and OS) supports each.
 */
#ifndef NPRELU_DISPATCH_H
#define NPRELU_DISPATCH_H

#include <stdint.h>

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

/*
 * The x86 decision, apart from the instructions that read the machine, so
 * that it can be checked on any host with made-up register values.
 *
 * Fields hold what CPUID and XGETBV returned; a leaf above the maximum that
 * leaf 0 (basic) or 0x80000000 (extended) reports is ignored whatever it
 * holds, because CPUs answer such a query with the data of another leaf.
 * `xcr0` is consulted only when leaf 1 reports OSXSAVE.  `os_avx512` is the
 * operating system's own word on AVX-512 register state where XCR0 does not
 * tell it (macOS enables that state lazily, on first use): 1 or 0, or -1 to
 * trust XCR0.
 */
typedef struct {
    uint32_t max_leaf;      /* CPUID(0).EAX */
    uint32_t max_ext_leaf;  /* CPUID(0x80000000).EAX */
    uint32_t leaf1_ecx;     /* CPUID(1).ECX */
    uint32_t leaf7_ebx;     /* CPUID(7, 0).EBX */
    uint32_t leaf7_ecx;     /* CPUID(7, 0).ECX */
    uint32_t ext1_ecx;      /* CPUID(0x80000001).ECX */
    uint64_t xcr0;          /* XGETBV(0) */
    int os_avx512;
} nprelu_x86_cpu;

#if defined(__x86_64__) || defined(_M_X64)
/* CPUID(leaf, sub) into r = eax, ebx, ecx, edx, as the CPU answers it: the
   caller checks the leaf against the maximum that leaf 0 or 0x80000000
   reports (dispatch.c and cacheinfo.c both do). */
void nprelu_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);
#endif

/* x86-64-v3 (AVX2 target) and x86-64-v4 (AVX-512 target): 1 or 0. */
int nprelu_x86_has_v3(const nprelu_x86_cpu *cpu);
int nprelu_x86_has_v4(const nprelu_x86_cpu *cpu);
/* x86-64-v4 and AVX-512 VBMI (the avx512_vbmi target): 1 or 0. */
int nprelu_x86_has_v4_vbmi(const nprelu_x86_cpu *cpu);

#endif
