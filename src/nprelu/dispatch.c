/*
 * Runtime choice of the kernel table from CPUID, the way NumPy does it: the
 * baseline build runs anywhere; a wider target is used only when the CPU has
 * every instruction its -march level lets the compiler emit and the OS saves
 * the wider registers (XCR0).  meson.build defines NPRELU_HAVE_<TARGET> for
 * each kernel table it compiled.
 */
#include "dispatch.h"

#include <stdint.h>

#if defined(NPRELU_HAVE_AVX2) || defined(NPRELU_HAVE_AVX512)
#define NPRELU_X86_DISPATCH 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#include <immintrin.h>
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    int v[4];
    __cpuidex(v, (int)leaf, (int)sub);
    for (int i = 0; i < 4; i++) r[i] = (uint32_t)v[i];
}
static uint64_t xgetbv0(void) { return _xgetbv(0); }
#else
#include <cpuid.h>
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf > __get_cpuid_max(leaf & 0x80000000u, 0)) return;
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

#define BIT(n) (1u << (n))
#define HAS(reg, mask) (((reg) & (mask)) == (mask))

/* x86-64-v2 and v3: SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT CX16, AVX AVX2 FMA F16C
   BMI1 BMI2 LZCNT MOVBE, and the OS saving XMM and YMM state. */
static int cpu_has_x86_64_v3(void)
{
    uint32_t l1[4], l7[4], e1[4];
    cpuid(1, 0, l1);
    cpuid(7, 0, l7);
    cpuid(0x80000001u, 0, e1);
    const uint32_t ecx1 = BIT(0) | BIT(9) | BIT(12) | BIT(13) | BIT(19) |
                          BIT(20) | BIT(22) | BIT(23) | BIT(27) | BIT(28) |
                          BIT(29);
    const uint32_t ebx7 = BIT(3) | BIT(5) | BIT(8);
    const uint32_t ecx_ext = BIT(0) | BIT(5); /* LAHF, LZCNT */
    if (!HAS(l1[2], ecx1) || !HAS(l7[1], ebx7) || !HAS(e1[2], ecx_ext))
        return 0;
    return (xgetbv0() & 0x6u) == 0x6u;
}

/* x86-64-v4: v3 plus AVX-512 F, DQ, CD, BW, VL, and the OS saving the
   opmask and ZMM state. */
static int cpu_has_x86_64_v4(void)
{
    uint32_t l7[4];
    if (!cpu_has_x86_64_v3()) return 0;
    cpuid(7, 0, l7);
    const uint32_t ebx7 = BIT(16) | BIT(17) | BIT(28) | BIT(30) | BIT(31);
    if (!HAS(l7[1], ebx7)) return 0;
    return (xgetbv0() & 0xE6u) == 0xE6u;
}
#endif

static int always(void) { return 1; }

typedef struct {
    nprelu_target target;
    int (*supported)(void);
} target_entry;

static const target_entry targets[] = {
    {{"baseline", "the compiler's baseline for this architecture",
      &nprelu_kernels_baseline}, always},
#ifdef NPRELU_HAVE_AVX2
    {{"avx2", "x86-64-v3: AVX2, FMA, BMI2", &nprelu_kernels_avx2},
     cpu_has_x86_64_v3},
#endif
#ifdef NPRELU_HAVE_AVX512
    {{"avx512", "x86-64-v4: AVX-512 F/BW/DQ/VL", &nprelu_kernels_avx512},
     cpu_has_x86_64_v4},
#endif
};

int nprelu_n_targets(void) { return (int)(sizeof targets / sizeof targets[0]); }

const nprelu_target *nprelu_target_at(int index)
{
    if (index < 0 || index >= nprelu_n_targets()) return 0;
    return &targets[index].target;
}

int nprelu_target_supported(int index)
{
    if (index < 0 || index >= nprelu_n_targets()) return 0;
    return targets[index].supported();
}
