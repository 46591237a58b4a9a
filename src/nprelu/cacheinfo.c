/*
 * The size of the last-level cache, from which the streaming-store threshold
 * is derived at import.  On x86 CPUID's deterministic cache parameters (leaf
 * 4 on Intel, 0x8000001D on AMD) give the cache one core sees, which is what
 * matters here (OS interfaces may sum the caches of a whole socket); other
 * architectures do not stream (kernels.c), so they report 0: unknown.
 */
#include "cacheinfo.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "dispatch.h"

/* CPUID(leaf, sub), or zeros where the CPU does not report that leaf */
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    uint32_t top[4];
    nprelu_cpuid(leaf & 0x80000000u, 0, top);
    r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf <= top[0]) nprelu_cpuid(leaf, sub, r);
}

/* The largest data or unified cache at the highest level of one leaf. */
static size_t largest_cache(uint32_t leaf)
{
    size_t best = 0;
    unsigned best_level = 0;
    for (uint32_t sub = 0; sub < 16; sub++) {
        uint32_t r[4];
        cpuid(leaf, sub, r);
        const unsigned type = r[0] & 0x1Fu; /* 0: no more caches */
        if (type == 0) break;
        if (type == 2) continue; /* instruction cache */
        const unsigned level = (r[0] >> 5) & 0x7u;
        const size_t size = (size_t)((r[1] >> 22) + 1) *
                            (size_t)(((r[1] >> 12) & 0x3FFu) + 1) *
                            (size_t)((r[1] & 0xFFFu) + 1) * ((size_t)r[2] + 1);
        if (level > best_level || (level == best_level && size > best)) {
            best_level = level;
            best = size;
        }
    }
    return best;
}

size_t nprelu_last_level_cache_bytes(void)
{
    uint32_t r[4];
    cpuid(0x80000000u, 0, r);
    const size_t amd = r[0] >= 0x8000001Du ? largest_cache(0x8000001Du) : 0;
    return amd ? amd : largest_cache(4);
}
#else
size_t nprelu_last_level_cache_bytes(void) { return 0; }
#endif

ptrdiff_t nprelu_stream_threshold = PTRDIFF_MAX;

ptrdiff_t nprelu_threshold_for_cache(size_t llc_bytes)
{
    /* Stream once input and output together exceed the cache: the output
       would be evicted before anyone reads it again.  Unknown: never. */
    if (llc_bytes == 0 || llc_bytes / 2 > (size_t)PTRDIFF_MAX) return PTRDIFF_MAX;
    return (ptrdiff_t)(llc_bytes / 2);
}
