/*
 * Unit test of the element kernels (src/nprelu/elements.h), compiled and run
 * by tests/test_c_elements.py once per SIMD target's flags.  Each kernel is
 * compared with the C library's own view of the same value: isgreater and
 * isnan on the float, the compiler's _Float16 conversion, a plain multiply.
 * Prints one line per group with the number of cases checked; exits 1 on
 * the first difference.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements.h"

/* never read: elements.h's callers see it through kernels.h */
ptrdiff_t nprelu_stream_threshold;

static unsigned long long checked;

static void fail(const char *what, unsigned long long bits, unsigned long long got,
                 unsigned long long want)
{
    printf("FAIL %s: input 0x%llx gave 0x%llx, expected 0x%llx\n", what, bits, got,
           want);
    exit(1);
}
#define CHECK(what, bits, got, want)                                           \
    do {                                                                       \
        checked++;                                                             \
        if ((unsigned long long)(got) != (unsigned long long)(want))           \
            fail(what, (unsigned long long)(bits), (unsigned long long)(got),  \
                 (unsigned long long)(want));                                  \
    } while (0)

/* float16 by value, decoded here from its fields (not by the kernels) */
static double f16_value(uint16_t h, int *nan)
{
    const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
    const double s = (h & 0x8000) ? -1.0 : 1.0;
    *nan = e == 31 && m != 0;
    if (e == 31) return s * INFINITY;
    if (e == 0) return s * ldexp(m, -24);
    return s * ldexp(1024 + m, e - 25);
}

static void ieee16(void)
{
    checked = 0;
    for (uint32_t b = 0; b < 65536; b++) {
        const uint16_t u = (uint16_t)b;
        int nan;
        const double v = f16_value(u, &nan);
        const int pos = !nan && v > 0, drop = !nan && !(v > 0);
        CHECK("positive_mask16", u, positive_mask16(u), pos ? 0xFFFF : 0);
        CHECK("nan_mask16", u, nan_mask16(u), nan ? 0xFFFF : 0);
        CHECK("relu16", u, relu16(u), drop ? 0 : u);
        CHECK("relu_vec16", u, relu_vec16(u), drop ? 0 : u);
        CHECK("grad16", u, grad16(u), pos ? 0x3C00 : 0);
        CHECK("backward16", u, backward16(0x1234, u), pos ? 0x1234 : 0);
    }
    printf("float16 classification: %llu checks over all 65536 patterns\n", checked);
}

/* float32 and float64: every sign and exponent, fractions spread out */
static void ieee32(void)
{
    checked = 0;
    for (uint32_t se = 0; se < 512; se++)
        for (uint32_t k = 0; k < 600; k++) {
            const uint32_t frac = k < 4 ? (uint32_t[]){0, 1, 0x400000, 0x7FFFFF}[k]
                                        : (k * 2654435761u) & 0x7FFFFF;
            const uint32_t u = se << 23 | frac;
            float x;
            memcpy(&x, &u, 4);
            const int nan = isnan(x), pos = isgreater(x, 0.0f), drop = !nan && !pos;
            CHECK("positive_mask32", u, positive_mask32(u), pos ? 0xFFFFFFFFu : 0);
            CHECK("nan_mask32", u, nan_mask32(u), nan ? 0xFFFFFFFFu : 0);
            CHECK("relu32", u, relu32(u), drop ? 0 : u);
            CHECK("relu_vec32", u, relu_vec32(u), drop ? 0 : u);
            CHECK("grad32", u, grad32(u), pos ? 0x3F800000u : 0);
        }
    printf("float32 classification: %llu checks\n", checked);
}

static void ieee64(void)
{
    checked = 0;
    for (uint64_t se = 0; se < 4096; se++)
        for (uint64_t k = 0; k < 150; k++) {
            const uint64_t frac =
                k < 4 ? (uint64_t[]){0, 1, 0x8000000000000u, 0xFFFFFFFFFFFFFu}[k]
                      : (k * 0x9E3779B97F4A7C15u) & 0xFFFFFFFFFFFFFu;
            const uint64_t u = se << 52 | frac;
            double x;
            memcpy(&x, &u, 8);
            const int nan = isnan(x), pos = isgreater(x, 0.0), drop = !nan && !pos;
            CHECK("positive_mask64", u, positive_mask64(u), pos ? ~0ull : 0);
            CHECK("nan_mask64", u, nan_mask64(u), nan ? ~0ull : 0);
            CHECK("relu64", u, relu64(u), drop ? 0 : u);
            CHECK("relu_vec64", u, relu_vec64(u), drop ? 0 : u);
            CHECK("grad64", u, grad64(u), pos ? 0x3FF0000000000000u : 0);
        }
    printf("float64 classification: %llu checks\n", checked);
}

/* range_mask: every (w, span) of 8 bits with span below half the range */
static void ranges(void)
{
    checked = 0;
    for (unsigned w = 0; w < 256; w++)
        for (unsigned span = 0; span < 128; span++)
            CHECK("range_mask8", w << 8 | span, range_mask8((uint8_t)w, (uint8_t)span),
                  w <= span ? 0xFF : 0);
    printf("range_mask8: %llu checks\n", checked);
}

/* integers: every int8 and uint8 */
static void integers(void)
{
    checked = 0;
    for (int v = -128; v < 128; v++) {
        CHECK("relu_b", (unsigned char)v, (unsigned char)relu_b((signed char)v, 0),
              (unsigned char)(v > 0 ? v : 0));
        CHECK("grad_b", (unsigned char)v, grad_b((signed char)v, 0), v > 0);
        CHECK("relu_B", v + 128, relu_B((unsigned char)(v + 128), 0), v + 128);
        CHECK("grad_B", v + 128, grad_B((unsigned char)(v + 128), 0), v + 128 > 0);
    }
    printf("int8/uint8: %llu checks\n", checked);
}

/* float32 -> float16 rounding against the compiler's conversion */
static void f16_rounding(void)
{
#if defined(__FLT16_MAX__)
    checked = 0;
    for (uint32_t k = 0; k < 4000000; k++) {
        const uint32_t u = k * 1073u; /* every sign and exponent, 4 M values */
        float x;
        memcpy(&x, &u, 4);
        unsigned owed = 0;
        const uint16_t got = f16_of_f32_bits(u, &owed);
        const _Float16 h = (_Float16)x;
        uint16_t want;
        memcpy(&want, &h, 2);
        if (isnan(x)) /* NumPy keeps a signalling NaN signalling: sign and NaN-ness */
            CHECK("f16_of_f32_bits NaN", u,
                  (got & 0x8000) | ((got & 0x7FFF) > 0x7C00), (want & 0x8000) | 1);
        else
            CHECK("f16_of_f32_bits", u, got, want);
        if (!isnan(x)) {
            const float back = (float)h;
            uint32_t back_bits;
            memcpy(&back_bits, &back, 4);
            CHECK("f32_bits_of_f16", want, f32_bits_of_f16(want), back_bits);
        }
    }
    printf("float16 rounding: %llu checks against _Float16\n", checked);
#else
    printf("FAIL float16 rounding: this compiler has no _Float16\n");
    exit(1);
#endif
}

/* leaky_relu float32: x where x > 0 or NaN, else the product */
static void leaky32_products(void)
{
    checked = 0;
    const float slopes[] = {0.01f, -2.0f, 0.0f, -0.0f, 1e30f, 3.5e-40f};
    for (uint32_t k = 0; k < 200000; k++) {
        const uint32_t u = k * 21473u;
        float x;
        memcpy(&x, &u, 4);
        for (size_t j = 0; j < sizeof slopes / sizeof slopes[0]; j++) {
            uint32_t a;
            memcpy(&a, &slopes[j], 4);
            unsigned owed = 0;
            const float p = x * slopes[j];
            uint32_t want;
            memcpy(&want, (isgreater(x, 0.0f) || isnan(x)) ? &x : &p, 4);
            CHECK("leaky32", u, leaky32(u, a, &owed), want);
        }
    }
    printf("leaky32: %llu checks\n", checked);
}

int main(void)
{
    ieee16();
    ieee32();
    ieee64();
    ranges();
    integers();
    f16_rounding();
    leaky32_products();
    printf("all element kernels agree\n");
    return 0;
}
