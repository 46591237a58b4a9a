/*
 * The ml_dtypes formats that nprelu has loops for, as data: one row per
 * format, read by the format loops of kernels.c (see nprelu_format in
 * kernels.h for what each constant means).  The bits follow ml_dtypes'
 * definitions:
 *   IEEE-like (bfloat16, e5m2, e4m3, e3m4): positive 1..INF, dropped
 *     SIGN..SIGN|INF, NaN above INF on either side;
 *   "fn" (e4m3fn): no infinity, NaN is the all-ones magnitude (0x7F, 0xFF);
 *   "fnuz": no -0; the only NaN is 0x80, so 0x81..0xFF are the negatives;
 *   e5m3fnu (ml_dtypes 0.7): no sign and no infinity, NaN is 0xFF: positive
 *     is everything but 0 and 0xFF (the complement of the range 0xFF..0x00,
 *     hence pos_flip), nothing is dropped (the "dropped" range is 0 alone,
 *     which relu returns as it is);
 *   float6/float4 "fn" and the integers: no NaN, values in the low bits of
 *     a byte (low_mask); the floats' sign is the next bit (sign_fold), set
 *     by ml_dtypes' reading whenever any bit above the magnitude is; the
 *     integers are the low bits; unsigned types drop nothing but 0.
 * pos_span and drop_span stay below half the storage range (kernels.c's
 * range_mask relies on it).
 * Not here: float8_e8m0fnu (no zero: nothing for relu to return),
 * int1 (no one), and the complex types.
 */
#include "kernels.h"

const nprelu_format nprelu_formats[] = {
    /* name                bits pos_lo span  flip  drop_lo span   one  low_mask fold */
    {"bfloat16",            16, 1, 0x7F7F, 0,    0x8000, 0x7F80, 0x3F80, 0xFFFF, 0},
    {"float8_e3m4",          8, 1, 0x6F,   0,    0x80,   0x70,   0x30,   0xFF,   0},
    {"float8_e4m3",          8, 1, 0x77,   0,    0x80,   0x78,   0x38,   0xFF,   0},
    {"float8_e4m3fn",        8, 1, 0x7D,   0,    0x80,   0x7E,   0x38,   0xFF,   0},
    {"float8_e4m3fnuz",      8, 1, 0x7E,   0,    0x81,   0x7E,   0x40,   0xFF,   0},
    {"float8_e4m3b11fnuz",   8, 1, 0x7E,   0,    0x81,   0x7E,   0x58,   0xFF,   0},
    {"float8_e5m2",          8, 1, 0x7B,   0,    0x80,   0x7C,   0x3C,   0xFF,   0},
    {"float8_e5m2fnuz",      8, 1, 0x7E,   0,    0x81,   0x7E,   0x40,   0xFF,   0},
    {"float8_e5m3fnu",       8, 0xFF, 1,   0xFF, 0,      0,      0x78,   0xFF,   0},
    {"float6_e2m3fn",        8, 1, 0x1E,   0,    0x20,   0x1F,   0x08,   0x1F,   0x20},
    {"float6_e3m2fn",        8, 1, 0x1E,   0,    0x20,   0x1F,   0x0C,   0x1F,   0x20},
    {"float4_e2m1fn",        8, 1, 0x06,   0,    0x08,   0x07,   0x02,   0x07,   0x08},
    {"int4",                 8, 1, 0x06,   0,    0x08,   0x07,   0x01,   0x0F,   0},
    {"uint4",                8, 1, 0x0E,   0,    0,      0,      0x01,   0x0F,   0},
    {"int2",                 8, 1, 0x00,   0,    0x02,   0x01,   0x01,   0x03,   0},
    {"uint2",                8, 1, 0x02,   0,    0,      0,      0x01,   0x03,   0},
};

_Static_assert(sizeof nprelu_formats / sizeof nprelu_formats[0] <=
                   NPRELU_MAX_FORMATS,
               "raise NPRELU_MAX_FORMATS");
const int nprelu_n_formats =
    (int)(sizeof nprelu_formats / sizeof nprelu_formats[0]);

nprelu_leaky_format nprelu_leaky_formats[NPRELU_MAX_FORMATS];
