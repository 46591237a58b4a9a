/*
 * Runtime choice of the kernel table from CPUID, the way NumPy does it: the
 * baseline build runs anywhere; a wider target is used only when the CPU has
 * every instruction its -march level lets the compiler emit and the OS saves
 * the wider registers.  meson.build defines NPRELU_HAVE_<TARGET> for each
 * kernel table it compiled.
 *
 * The decision (nprelu_x86_has_v3/v4) is a pure function of the register
 * values, compiled on every host so that the tests can feed it made-up CPUs:
 * a capped virtual machine, a CPU without leaf 7, macOS's lazily enabled
 * AVX-512 state.  Only the few lines that execute CPUID, XGETBV or sysctl
 * depend on the compiler and the OS.
 */
#include "dispatch.h"

#include <stdint.h>
#include <string.h>

#define BIT(n) (1u << (n))
#define HAS(reg, mask) (((reg) & (mask)) == (mask))

/* CPUID.1:ECX: SSE3 SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT OSXSAVE AVX F16C */
#define LEAF1_ECX_V3 (BIT(0) | BIT(9) | BIT(12) | BIT(13) | BIT(19) | BIT(20) | \
                      BIT(22) | BIT(23) | BIT(27) | BIT(28) | BIT(29))
#define LEAF1_ECX_OSXSAVE BIT(27)
/* CPUID.(7,0):EBX: BMI1 AVX2 BMI2; AVX-512 F DQ CD BW VL */
#define LEAF7_EBX_V3 (BIT(3) | BIT(5) | BIT(8))
#define LEAF7_EBX_V4 (BIT(16) | BIT(17) | BIT(28) | BIT(30) | BIT(31))
/* CPUID.80000001h:ECX: LAHF/SAHF in 64-bit mode, LZCNT */
#define EXT1_ECX_V3 (BIT(0) | BIT(5))
/* XCR0: SSE and AVX state; AVX-512 opmask, ZMM_Hi256 and Hi16_ZMM state */
#define XCR0_YMM 0x6u
#define XCR0_ZMM 0xE0u

/* A leaf the CPU does not report reads as all features absent. */
static uint32_t leaf1_ecx(const nprelu_x86_cpu *c)
{
    return c->max_leaf >= 1 ? c->leaf1_ecx : 0;
}
static uint32_t leaf7_ebx(const nprelu_x86_cpu *c)
{
    return c->max_leaf >= 7 ? c->leaf7_ebx : 0;
}
static uint32_t leaf7_ecx(const nprelu_x86_cpu *c)
{
    return c->max_leaf >= 7 ? c->leaf7_ecx : 0;
}
static uint32_t ext1_ecx(const nprelu_x86_cpu *c)
{
    return c->max_ext_leaf >= 0x80000001u ? c->ext1_ecx : 0;
}
/* XGETBV may be executed (and XCR0 trusted) only when the OS set OSXSAVE. */
static uint64_t xcr0(const nprelu_x86_cpu *c)
{
    return HAS(leaf1_ecx(c), LEAF1_ECX_OSXSAVE) ? c->xcr0 : 0;
}

/* x86-64-v2 and v3: SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT CX16 LAHF, AVX AVX2 FMA
   F16C BMI1 BMI2 LZCNT MOVBE, and the OS saving XMM and YMM state. */
int nprelu_x86_has_v3(const nprelu_x86_cpu *c)
{
    return HAS(leaf1_ecx(c), LEAF1_ECX_V3) && HAS(leaf7_ebx(c), LEAF7_EBX_V3) &&
           HAS(ext1_ecx(c), EXT1_ECX_V3) && HAS(xcr0(c), XCR0_YMM);
}

/* x86-64-v4: v3 plus AVX-512 F, DQ, CD, BW, VL, and the OS saving the opmask
   and ZMM state: by XCR0, or by the OS's own report where it enables that
   state lazily. */
int nprelu_x86_has_v4(const nprelu_x86_cpu *c)
{
    if (!nprelu_x86_has_v3(c) || !HAS(leaf7_ebx(c), LEAF7_EBX_V4)) return 0;
    if (c->os_avx512 >= 0) return c->os_avx512 != 0;
    return HAS(xcr0(c), XCR0_ZMM);
}

/* AVX512_VBMI: CPUID(7, 0).ECX bit 1; its state is the AVX-512 state. */
int nprelu_x86_has_v4_vbmi(const nprelu_x86_cpu *c)
{
    return nprelu_x86_has_v4(c) && HAS(leaf7_ecx(c), BIT(1));
}

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#include <immintrin.h>
void nprelu_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    int v[4];
    __cpuidex(v, (int)leaf, (int)sub);
    for (int i = 0; i < 4; i++) r[i] = (uint32_t)v[i];
}
static inline uint64_t xgetbv0(void) { return _xgetbv(0); }
#else
#include <cpuid.h>
void nprelu_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
static inline uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif
#endif

#if defined(NPRELU_HAVE_AVX2) || defined(NPRELU_HAVE_AVX512)
#if defined(__APPLE__)
#include <sys/sysctl.h>
/*
 * macOS gives a thread AVX-512 register state only on its first AVX-512
 * instruction (the kernel traps it and then enables the state), so XCR0
 * shows that state off in a process that has not used it yet.  The kernel
 * publishes whether it supports AVX-512 as hw.optional.avx512f; a missing key
 * (a kernel that predates AVX-512) means no.  Not runnable on the Linux CI:
 * the decision it feeds is tested with os_avx512 = 0 and 1 there.
 */
static int os_avx512(void)
{
    int on = 0;
    size_t size = sizeof on;
    if (sysctlbyname("hw.optional.avx512f", &on, &size, NULL, 0) != 0) return 0;
    return on != 0;
}
#else
static int os_avx512(void) { return -1; }
#endif

/*
 * Read only the leaves the CPU reports (leaf 0 and 0x80000000 give the
 * maximum), on every compiler: a leaf above the maximum returns the data of
 * another leaf on Intel CPUs, and a hypervisor that caps the leaves while
 * leaving stale leaf-7 bits could otherwise select AVX-512 on a guest that
 * cannot run it.  GCC's __get_cpuid_max does the same check; MSVC's
 * __cpuidex does none, so it is done here for both.
 */
static void read_x86(nprelu_x86_cpu *c)
{
    uint32_t r[4];
    memset(c, 0, sizeof *c);
    nprelu_cpuid(0, 0, r);
    c->max_leaf = r[0];
    nprelu_cpuid(0x80000000u, 0, r);
    c->max_ext_leaf = r[0];
    if (c->max_leaf >= 1) {
        nprelu_cpuid(1, 0, r);
        c->leaf1_ecx = r[2];
    }
    if (c->max_leaf >= 7) {
        nprelu_cpuid(7, 0, r);
        c->leaf7_ebx = r[1];
        c->leaf7_ecx = r[2];
    }
    if (c->max_ext_leaf >= 0x80000001u) {
        nprelu_cpuid(0x80000001u, 0, r);
        c->ext1_ecx = r[2];
    }
    if (HAS(c->leaf1_ecx, LEAF1_ECX_OSXSAVE)) c->xcr0 = xgetbv0();
    c->os_avx512 = os_avx512();
}

static int cpu_has_x86_64_v3(void)
{
    nprelu_x86_cpu c;
    read_x86(&c);
    return nprelu_x86_has_v3(&c);
}

static int cpu_has_x86_64_v4(void)
{
    nprelu_x86_cpu c;
    read_x86(&c);
    return nprelu_x86_has_v4(&c);
}

static int cpu_has_x86_64_v4_vbmi(void)
{
    nprelu_x86_cpu c;
    read_x86(&c);
    return nprelu_x86_has_v4_vbmi(&c);
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
#if defined(__GNUC__) || defined(__clang__)
    /* the same build, with the leaky loops' byte lookups on VBMI */
    {{"avx512_vbmi", "x86-64-v4 and AVX-512 VBMI",
      &nprelu_kernels_avx512_vbmi},
     cpu_has_x86_64_v4_vbmi},
#endif
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
