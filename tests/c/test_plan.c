/*
 * Unit test of the loop driver's choice (plan_loop in src/nprelu/loops.h),
 * compiled and run by tests/test_c_elements.py.  Two parts:
 *   - named layouts, each with the variant the templates must run;
 *   - 400,000 random layouts of 1-3 inputs and 1-2 outputs in one small
 *     buffer (steps -3..3 items, any offset, 1-9 items), where every chosen
 *     variant's preconditions are checked against the bytes each operand
 *     really covers, enumerated one by one (not disjoint()'s arithmetic),
 *     and every layout with all operands contiguous and apart must get the
 *     contiguous variant.
 * plan_loop reads no operand: the pointers only have to be comparable.
 * Prints the number of cases; exits 1 on the first wrong choice.
 */
#include <stdio.h>
#include <stdlib.h>

#include "loops.h"

ptrdiff_t nprelu_stream_threshold = (ptrdiff_t)1 << 40;

static unsigned long long checked;
static char buf[4096];

static const char *const names[] = {
    "V_ELEMENT", "V_CONTIG", "V_STREAM", "V_INPLACE", "V_INPLACE2",
    "V_INPLACE_STRIDED", "V_BROADCAST0", "V_GATHER", "V_SCATTER"};

static void fail(const char *what, enum plan_variant got, const char *detail)
{
    printf("FAIL %s: got %s (%s)\n", what, names[got], detail);
    exit(1);
}

/* offsets and steps in items of `size` bytes, inputs then outputs */
static plan plan_of(int nin, int nout, const ptrdiff_t *off,
                    const ptrdiff_t *step, ptrdiff_t n, size_t size,
                    unsigned bcast, unsigned has)
{
    char *args[PLAN_MAX_OPERANDS];
    ptrdiff_t steps[PLAN_MAX_OPERANDS];
    for (int k = 0; k < nin + nout; k++) {
        args[k] = buf + 2048 + off[k] * (ptrdiff_t)size;
        steps[k] = step[k] * (ptrdiff_t)size;
    }
    return plan_loop(args, steps, n, size, nin, nout, bcast, has);
}

static void expect(const char *what, plan p, enum plan_variant v, int which)
{
    checked++;
    if (p.v != v) fail(what, p.v, names[v]);
    if (which >= 0 && p.which != which) fail(what, p.v, "wrong input in place");
}

enum { ALL = PLAN_INPLACE2 | PLAN_INPLACE_STRIDED | PLAN_BROADCAST0 |
             PLAN_GATHER | PLAN_SCATTER };

static void named(void)
{
    const size_t f = 4;
    /* relu(x, out=o) and friends: one input, one output */
    expect("contiguous", plan_of(1, 1, (ptrdiff_t[]){0, 100}, (ptrdiff_t[]){1, 1}, 50, f, 0, ALL), V_CONTIG, -1);
    expect("in place", plan_of(1, 1, (ptrdiff_t[]){0, 0}, (ptrdiff_t[]){1, 1}, 50, f, 0, ALL), V_INPLACE, 0);
    expect("in place on x[::2]", plan_of(1, 1, (ptrdiff_t[]){0, 0}, (ptrdiff_t[]){2, 2}, 50, f, 0, ALL), V_INPLACE_STRIDED, 0);
    expect("in place on x[::2], no such variant", plan_of(1, 1, (ptrdiff_t[]){0, 0}, (ptrdiff_t[]){2, 2}, 50, f, 0, 0), V_ELEMENT, -1);
    expect("x[::2] into o", plan_of(1, 1, (ptrdiff_t[]){0, 200}, (ptrdiff_t[]){2, 1}, 50, f, 0, ALL), V_GATHER, -1);
    expect("x into o[::2]", plan_of(1, 1, (ptrdiff_t[]){0, 100}, (ptrdiff_t[]){1, 2}, 50, f, 0, ALL), V_SCATTER, -1);
    expect("x into o reversed", plan_of(1, 1, (ptrdiff_t[]){0, 200}, (ptrdiff_t[]){1, -1}, 50, f, 0, ALL), V_SCATTER, -1);
    expect("out one item after x", plan_of(1, 1, (ptrdiff_t[]){0, 1}, (ptrdiff_t[]){1, 1}, 50, f, 0, ALL), V_ELEMENT, -1);
    /* apart item by item, but disjoint() compares the spans: the safe answer */
    expect("x[::2] interleaved with o[::2]", plan_of(1, 1, (ptrdiff_t[]){0, 1}, (ptrdiff_t[]){2, 2}, 50, f, 0, ALL), V_ELEMENT, -1);
    expect("no items", plan_of(1, 1, (ptrdiff_t[]){0, 100}, (ptrdiff_t[]){1, 1}, 0, f, 0, ALL), V_ELEMENT, -1);
    {
        char *args[2] = {buf, buf + 1024};
        const ptrdiff_t steps[2] = {4, 6}; /* not a whole item */
        expect("unaligned step", plan_loop(args, steps, 10, f, 1, 1, 0, ALL), V_ELEMENT, -1);
    }
    {
        /* 4 MiB apart (never read: only compared) */
        char *args[2] = {(char *)(uintptr_t)0x10000000u,
                         (char *)(uintptr_t)0x10400000u};
        const ptrdiff_t steps[2] = {4, 4};
        nprelu_stream_threshold = 4096;
        expect("large output", plan_loop(args, steps, (ptrdiff_t)1 << 18, f, 1, 1, 0, ALL), V_STREAM, -1);
        expect("small output", plan_loop(args, steps, 1000, f, 1, 1, 0, ALL), V_CONTIG, -1);
        nprelu_stream_threshold = (ptrdiff_t)1 << 40;
    }
    /* relu_and_grad: one input, two outputs */
    expect("two outputs", plan_of(1, 2, (ptrdiff_t[]){0, 100, 200}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_CONTIG, -1);
    expect("x is the first output", plan_of(1, 2, (ptrdiff_t[]){0, 0, 200}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_INPLACE, 0);
    expect("x is the second output", plan_of(1, 2, (ptrdiff_t[]){0, 100, 0}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_INPLACE2, 0);
    expect("outputs overlap", plan_of(1, 2, (ptrdiff_t[]){0, 100, 120}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_ELEMENT, -1);
    expect("second output strided", plan_of(1, 2, (ptrdiff_t[]){0, 100, 200}, (ptrdiff_t[]){1, 1, 2}, 50, f, 0, ALL), V_SCATTER, -1);
    /* relu_backward(dy, x) */
    expect("dy one item for all", plan_of(2, 1, (ptrdiff_t[]){0, 100, 200}, (ptrdiff_t[]){0, 1, 1}, 50, f, 0, ALL), V_BROADCAST0, -1);
    expect("dy one item of the output", plan_of(2, 1, (ptrdiff_t[]){210, 100, 200}, (ptrdiff_t[]){0, 1, 1}, 50, f, 0, ALL), V_BROADCAST0, -1);
    expect("dy one item, x strided", plan_of(2, 1, (ptrdiff_t[]){0, 100, 300}, (ptrdiff_t[]){0, 2, 1}, 50, f, 0, ALL), V_GATHER, -1);
    expect("dy is the output", plan_of(2, 1, (ptrdiff_t[]){0, 100, 0}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_INPLACE, 0);
    expect("x is the output", plan_of(2, 1, (ptrdiff_t[]){0, 100, 100}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_INPLACE, 1);
    expect("both are the output", plan_of(2, 1, (ptrdiff_t[]){0, 0, 0}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_ELEMENT, -1);
    expect("accumulate (out behind dy)", plan_of(2, 1, (ptrdiff_t[]){0, 100, 1}, (ptrdiff_t[]){1, 1, 1}, 50, f, 0, ALL), V_ELEMENT, -1);
    /* leaky_relu(x, a): the slope may be one number */
    expect("one slope", plan_of(2, 1, (ptrdiff_t[]){0, 100, 200}, (ptrdiff_t[]){1, 0, 1}, 50, f, 2, 0), V_CONTIG, -1);
    expect("a slope per item", plan_of(2, 1, (ptrdiff_t[]){0, 100, 200}, (ptrdiff_t[]){1, 1, 1}, 50, f, 2, 0), V_CONTIG, -1);
    expect("one slope, in the output", plan_of(2, 1, (ptrdiff_t[]){0, 210, 200}, (ptrdiff_t[]){1, 0, 1}, 50, f, 2, 0), V_ELEMENT, -1);
    expect("one slope, in place", plan_of(2, 1, (ptrdiff_t[]){0, 100, 0}, (ptrdiff_t[]){1, 0, 1}, 50, f, 2, 0), V_INPLACE, 0);
    expect("one slope, strided output", plan_of(2, 1, (ptrdiff_t[]){0, 100, 200}, (ptrdiff_t[]){1, 0, 3}, 50, f, 2, PLAN_SCATTER), V_SCATTER, -1);
    expect("one slope, x strided, no gather", plan_of(2, 1, (ptrdiff_t[]){0, 100, 200}, (ptrdiff_t[]){3, 0, 1}, 50, f, 2, PLAN_SCATTER), V_ELEMENT, -1);
    printf("named layouts: %llu checks\n", checked);
}

/* the bytes operand k covers, as a bitmap over buf */
static void cover(unsigned char *map, const char *p, ptrdiff_t step, ptrdiff_t n,
                  size_t size)
{
    for (ptrdiff_t i = 0; i < n; i++)
        for (size_t b = 0; b < size; b++) map[p + i * step + (ptrdiff_t)b - buf] = 1;
}
static int meet(const unsigned char *a, const unsigned char *b)
{
    for (size_t i = 0; i < sizeof(buf); i++)
        if (a[i] && b[i]) return 1;
    return 0;
}

static void random_layouts(void)
{
    static unsigned char map[PLAN_MAX_OPERANDS][sizeof(buf)];
    unsigned long long seed = 12345;
#define RND(m) ((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL), \
                (ptrdiff_t)((seed >> 33) % (m)))
    checked = 0;
    for (int t = 0; t < 400000; t++) {
        const int nin = 1 + (int)RND(3), nout = nin == 3 ? 1 : 1 + (int)RND(2);
        const int nop = nin + nout;
        const size_t size = (size_t)1 << RND(4);
        const ptrdiff_t n = 1 + RND(9);
        const unsigned bcast = (unsigned)RND(1u << nin);
        const unsigned has = (unsigned)RND(ALL + 1);
        char *args[PLAN_MAX_OPERANDS];
        ptrdiff_t steps[PLAN_MAX_OPERANDS];
        for (int k = 0; k < nop; k++) {
            /* a few offsets, so that operands often meet, and now and
               then one not a whole number of items from the others */
            args[k] = buf + 1024 + RND(6) * (ptrdiff_t)size +
                      (RND(4) == 0 ? RND((ptrdiff_t)size) : 0);
            steps[k] = (RND(7) - 3) * (ptrdiff_t)size;
            if (RND(8) == 0) args[k] = args[0]; /* an alias */
        }
        if (RND(4) == 0) steps[nin] = steps[0];
        const plan p = plan_loop(args, steps, n, size, nin, nout, bcast, has);
        checked++;
        for (int k = 0; k < nop; k++) {
            memset(map[k], 0, sizeof(buf));
            cover(map[k], args[k], steps[k], n, size);
        }
        int contig_in = 1, contig_out = 1, apart = 1;
        for (int k = 0; k < nop; k++) {
            const int ok = steps[k] == (ptrdiff_t)size ||
                           (k < nin && steps[k] == 0 && (bcast >> k & 1));
            if (k < nin) contig_in &= ok;
            else contig_out &= ok;
        }
        for (int k = 0; k < nop; k++)
            for (int j = k + 1; j < nop; j++)
                if ((k >= nin || j >= nin) && meet(map[k], map[j])) apart = 0;
        if (p.v == V_ELEMENT) {
            if (apart && contig_in && contig_out)
                fail("all contiguous and apart", p.v, "expected V_CONTIG");
            continue;
        }
        if (nout == 2 && meet(map[nin], map[nin + 1]))
            fail("random layout", p.v, "the outputs overlap");
        for (int k = 0; k < nin; k++)
            for (int j = nin; j < nop; j++) {
                const int alias = args[k] == args[j] && steps[k] == steps[j] &&
                                  steps[k] != 0;
                const int allowed_alias =
                    alias && k == p.which &&
                    ((p.v == V_INPLACE && j == nin) ||
                     (p.v == V_INPLACE2 && j == nin + 1) ||
                     p.v == V_INPLACE_STRIDED);
                const int dy_value = p.v == V_BROADCAST0 && k == 0;
                if (!allowed_alias && !dy_value && meet(map[k], map[j]))
                    fail("random layout", p.v, "an input meets an output");
            }
        switch (p.v) {
        case V_CONTIG:
        case V_STREAM:
        case V_INPLACE:
        case V_INPLACE2:
            if (!contig_in || !contig_out)
                fail("random layout", p.v, "an operand is not contiguous");
            if ((p.v == V_INPLACE2 && !(has & PLAN_INPLACE2)))
                fail("random layout", p.v, "a variant the template lacks");
            break;
        case V_INPLACE_STRIDED:
            if (nin != 1 || nout != 1 || !(has & PLAN_INPLACE_STRIDED))
                fail("random layout", p.v, "not one strided input in place");
            break;
        case V_BROADCAST0:
            if (steps[0] != 0 || !(has & PLAN_BROADCAST0) || !contig_out)
                fail("random layout", p.v, "not one dy beside contiguous");
            for (int k = 1; k < nin; k++)
                if (steps[k] != (ptrdiff_t)size && !(steps[k] == 0 && (bcast >> k & 1)))
                    fail("random layout", p.v, "x is not contiguous");
            break;
        case V_GATHER:
            if (!contig_out || contig_in || !(has & PLAN_GATHER))
                fail("random layout", p.v, "not a gather");
            break;
        case V_SCATTER:
            if (contig_out || !(has & PLAN_SCATTER))
                fail("random layout", p.v, "not a strided output");
            break;
        default:
            break;
        }
        for (int k = 0; k < nop; k++)
            if (p.s[k] * (ptrdiff_t)size != steps[k])
                fail("random layout", p.v, "a step in items is wrong");
    }
    printf("random layouts: %llu checks\n", checked);
}

int main(void)
{
    named();
    random_layouts();
    printf("every layout plan is right\n");
    return 0;
}
