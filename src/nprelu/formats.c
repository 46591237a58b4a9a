/*
 * The ml_dtypes formats that nprelu has loops for, as data: one row per
 * format, read by the 8- and 16-bit format loops of kernels.c (see
 * nprelu_format in kernels.h).  The bits follow ml_dtypes' definitions:
 *   IEEE-like (bfloat16, e5m2, e4m3, e3m4): positive 1..INF, dropped
 *     SIGN..SIGN|INF, NaN above INF on either side;
 *   "fn" (e4m3fn): no infinity, NaN is the all-ones magnitude (0x7F, 0xFF);
 *   "fnuz": no -0; the only NaN is 0x80, so 0x81..0xFF are the negatives;
 *   float6/float4 "fn" and the integers: no NaN, the sign is the top bit of
 *     the format's width (values are stored in the low bits of a byte);
 *     unsigned types drop nothing they can hold (their dropped range is
 *     0x80..0xFF, above every canonical value).
 * pos_max and drop_span stay below half the storage range (kernels.c's
 * range_mask relies on it).
 * Not here: float8_e8m0fnu (no zero: nothing for relu to return),
 * int1 (no one), and the complex types.
 */
#include "kernels.h"

const nprelu_format nprelu_formats[] = {
    /* name                 bits pos_max drop_lo drop_span one */
    {"bfloat16",            16, 0x7F80, 0x8000, 0x7F80, 0x3F80},
    {"float8_e3m4",          8, 0x70,   0x80,   0x70,   0x30},
    {"float8_e4m3",          8, 0x78,   0x80,   0x78,   0x38},
    {"float8_e4m3fn",        8, 0x7E,   0x80,   0x7E,   0x38},
    {"float8_e4m3fnuz",      8, 0x7F,   0x81,   0x7E,   0x40},
    {"float8_e4m3b11fnuz",   8, 0x7F,   0x81,   0x7E,   0x58},
    {"float8_e5m2",          8, 0x7C,   0x80,   0x7C,   0x3C},
    {"float8_e5m2fnuz",      8, 0x7F,   0x81,   0x7E,   0x40},
    {"float6_e2m3fn",        8, 0x1F,   0x20,   0x1F,   0x08},
    {"float6_e3m2fn",        8, 0x1F,   0x20,   0x1F,   0x0C},
    {"float4_e2m1fn",        8, 0x07,   0x08,   0x07,   0x02},
    {"int4",                 8, 0x07,   0x08,   0x07,   0x01},
    {"uint4",                8, 0x0F,   0x80,   0x7F,   0x01},
    {"int2",                 8, 0x01,   0x02,   0x01,   0x01},
    {"uint2",                8, 0x03,   0x80,   0x7F,   0x01},
};

_Static_assert(sizeof nprelu_formats / sizeof nprelu_formats[0] <=
                   NPRELU_MAX_FORMATS,
               "raise NPRELU_MAX_FORMATS");
const int nprelu_n_formats =
    (int)(sizeof nprelu_formats / sizeof nprelu_formats[0]);
