"""The exact semantics: every row of the SPEC's bit-level table, integers, and
every memory layout the loops can be handed.

Three independent sources of truth are used:

* literal bit patterns written out in this file (``LITERALS``);
* :class:`FloatFormat` (conftest), which derives the expected bits from the
  table by integer arithmetic on the bit patterns, with no floating point;
* ``nprelu.reference``, the pure-NumPy spec.

The compiled ufuncs are checked against all three, and the reference itself
against the first two, so a wrong reference cannot make a wrong loop pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

UNARY = ["relu", "relu_grad", "relu_and_grad"]
ALL = UNARY + ["relu_backward"]
IMPLS = {"nprelu": nprelu, "reference": reference}
LOOP_CHARS = "bBhHiIlLqQefdg"


def dtype_id(dt: Any) -> str:
    dt = np.dtype(dt)
    return f"{dt.name}[{dt.char}]"


def u(dtype: str, *patterns: int) -> np.ndarray:
    """Floats from literal bit patterns (no arithmetic on the values)."""
    size = np.dtype(dtype).itemsize
    return np.array(patterns, dtype=f"u{size}").view(dtype)


def raw(a: object) -> list[int]:
    a = np.ascontiguousarray(np.asarray(a))
    return [int(v) for v in a.view(f"u{a.itemsize}").reshape(-1)]


# --------------------------------------------------------------------------- literal facts

# (dtype, x bits, relu(x) bits, relu_grad(x) bits); written out by hand from the
# SPEC's table, so they check the reference as much as the package.
LITERALS = [
    # float16: the gradient constants are 0x3C00 and 0x0000
    ("e", 0x0000, 0x0000, 0x0000),  # +0
    ("e", 0x8000, 0x0000, 0x0000),  # -0 -> +0
    ("e", 0x3C00, 0x3C00, 0x3C00),  # 1.0
    ("e", 0xBC00, 0x0000, 0x0000),  # -1.0
    ("e", 0x0001, 0x0001, 0x3C00),  # smallest positive subnormal
    ("e", 0x03FF, 0x03FF, 0x3C00),  # largest subnormal
    ("e", 0x8001, 0x0000, 0x0000),  # negative subnormal
    ("e", 0x7BFF, 0x7BFF, 0x3C00),  # max finite
    ("e", 0xFBFF, 0x0000, 0x0000),  # -max
    ("e", 0x7C00, 0x7C00, 0x3C00),  # +inf
    ("e", 0xFC00, 0x0000, 0x0000),  # -inf
    ("e", 0x7E00, 0x7E00, 0x0000),  # quiet NaN
    ("e", 0xFE00, 0xFE00, 0x0000),  # negative quiet NaN keeps its sign
    ("e", 0x7C01, 0x7C01, 0x0000),  # signalling NaN
    ("e", 0xFD55, 0xFD55, 0x0000),  # negative signalling NaN with payload
    ("e", 0xFFFF, 0xFFFF, 0x0000),  # all ones: a NaN
    # float32
    ("f", 0x00000000, 0x00000000, 0x00000000),
    ("f", 0x80000000, 0x00000000, 0x00000000),
    ("f", 0x3F800000, 0x3F800000, 0x3F800000),
    ("f", 0xC0490FDB, 0x00000000, 0x00000000),  # -pi
    ("f", 0x40490FDB, 0x40490FDB, 0x3F800000),  # pi
    ("f", 0x00000001, 0x00000001, 0x3F800000),
    ("f", 0x807FFFFF, 0x00000000, 0x00000000),
    ("f", 0x7F7FFFFF, 0x7F7FFFFF, 0x3F800000),
    ("f", 0x7F800000, 0x7F800000, 0x3F800000),
    ("f", 0xFF800000, 0x00000000, 0x00000000),
    ("f", 0x7FC00000, 0x7FC00000, 0x00000000),
    ("f", 0xFFC00000, 0xFFC00000, 0x00000000),
    ("f", 0x7F800001, 0x7F800001, 0x00000000),
    ("f", 0xFF800001, 0xFF800001, 0x00000000),
    ("f", 0x7FBFFFFF, 0x7FBFFFFF, 0x00000000),
    ("f", 0xFFFFFFFF, 0xFFFFFFFF, 0x00000000),
    # float64
    ("d", 0x0000000000000000, 0x0000000000000000, 0x0000000000000000),
    ("d", 0x8000000000000000, 0x0000000000000000, 0x0000000000000000),
    ("d", 0x3FF0000000000000, 0x3FF0000000000000, 0x3FF0000000000000),
    ("d", 0xBFF0000000000000, 0x0000000000000000, 0x0000000000000000),
    ("d", 0x0000000000000001, 0x0000000000000001, 0x3FF0000000000000),
    ("d", 0x8000000000000001, 0x0000000000000000, 0x0000000000000000),
    ("d", 0x7FEFFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0x3FF0000000000000),
    ("d", 0x7FF0000000000000, 0x7FF0000000000000, 0x3FF0000000000000),
    ("d", 0xFFF0000000000000, 0x0000000000000000, 0x0000000000000000),
    ("d", 0x7FF8000000000000, 0x7FF8000000000000, 0x0000000000000000),
    ("d", 0xFFF8000000000000, 0xFFF8000000000000, 0x0000000000000000),
    ("d", 0x7FF0000000000001, 0x7FF0000000000001, 0x0000000000000000),
    ("d", 0xFFF0000000000001, 0xFFF0000000000001, 0x0000000000000000),
    ("d", 0x7FF7FFFFFFFFFFFF, 0x7FF7FFFFFFFFFFFF, 0x0000000000000000),
    ("d", 0x7FF8DEADBEEF0001, 0x7FF8DEADBEEF0001, 0x0000000000000000),
]


def literal_id(case: tuple[str, int, int, int]) -> str:
    return f"{case[0]}-{case[1]:#x}"


@pytest.mark.parametrize("impl", IMPLS.values(), ids=IMPLS.keys())
@pytest.mark.parametrize("case", LITERALS, ids=literal_id)
def test_literal_bits(impl: Any, case: tuple[str, int, int, int]) -> None:
    dt, x_bits, relu_bits, grad_bits = case
    x = u(dt, x_bits, x_bits)
    for r in (impl.relu(x), impl.relu_and_grad(x)[0]):
        assert r.dtype.char == dt and raw(r) == [relu_bits] * 2
    for g in (impl.relu_grad(x), impl.relu_and_grad(x)[1]):
        assert g.dtype.char == dt and raw(g) == [grad_bits] * 2
    # relu_backward: dy itself where x > 0, else +0, whatever dy is
    dy_bits = [raw(u(dt, 0))[0] | 1, *raw(u(dt, *[c[1] for c in LITERALS if c[0] == dt]))]
    dy = u(dt, *dy_bits)
    b = impl.relu_backward(dy, np.broadcast_to(x[:1], dy.shape))
    assert b.dtype.char == dt
    assert raw(b) == (dy_bits if grad_bits else [0] * len(dy_bits))
    # x itself must be untouched
    assert raw(x) == [x_bits] * 2


@pytest.mark.parametrize("impl", IMPLS.values(), ids=IMPLS.keys())
def test_literal_scalars(impl: Any) -> None:
    """A few facts on Python/NumPy scalars, spelled out."""
    assert raw(impl.relu(np.float64(-0.0))) == [0]
    assert raw(impl.relu(np.float32(-0.0))) == [0]
    assert raw(impl.relu(np.float16(-0.0))) == [0]
    assert raw(impl.relu_grad(np.float16(1.0))) == [0x3C00]
    assert raw(impl.relu_grad(np.float32(5.0))) == [0x3F800000]
    assert raw(impl.relu_grad(np.float64(np.inf))) == [0x3FF0000000000000]
    assert raw(impl.relu_grad(np.float64(np.nan))) == [0]
    assert raw(impl.relu_backward(np.float32(np.inf), np.float32(-1.0))) == [0]
    assert raw(impl.relu_backward(np.float32(np.nan), np.float32(-0.0))) == [0]
    assert raw(impl.relu_backward(np.float32(-0.0), np.float32(2.0))) == [0x80000000]


# --------------------------------------------------------------------------- the table, every float dtype


def check_row(impl: Any, name: str, row: str, fmt: Any, dtype: np.dtype[Any]) -> None:
    f = fmt(dtype)
    cases = f.cases()
    zero = f.full(1, "zero")
    one = f.full(1, "one")
    dys = f.specials()  # dy: every special value, inf and NaN included
    for label, x in cases[row]:
        keeps = row in ("positive", "nan")
        positive = row == "positive"
        if name in ("relu", "relu_and_grad"):
            r = impl.relu(x) if name == "relu" else impl.relu_and_grad(x)[0]
            assert_bits(r, x if keeps else zero, f, label)
        if name in ("relu_grad", "relu_and_grad"):
            g = impl.relu_grad(x) if name == "relu_grad" else impl.relu_and_grad(x)[1]
            assert_bits(g, one if positive else zero, f, label)
        if name == "relu_backward":
            b = impl.relu_backward(dys, np.broadcast_to(x, dys.shape))
            assert_bits(b, dys if positive else f.full(dys.shape, "zero"), f, label)


def assert_bits(got: Any, want: np.ndarray, f: Any, label: str) -> None:
    got = np.asarray(got)
    assert got.dtype == f.dtype and got.dtype.char == f.dtype.char, label
    assert got.shape == want.shape, label
    g, w = f.to_ints(got), f.to_ints(want)
    assert list(g) == list(w), f"{label}: got {[hex(v) for v in g]}, want {[hex(v) for v in w]}"
    if not f.to_ints(want).any():  # +0 means all value bits clear
        assert not any(g), label


@pytest.mark.parametrize("impl", IMPLS.values(), ids=IMPLS.keys())
@pytest.mark.parametrize("row", ["positive", "zero", "negative", "nan"])
def test_table_row(impl: Any, row: str, fmt: Any, float_dtype: np.dtype[Any]) -> None:
    for name in ALL:
        check_row(impl, name, row, fmt, float_dtype)


def test_longdouble_value_bits_are_checked(fmt: Any, bits: Any) -> None:
    """The longdouble comparison sees sign, exponent and fraction (not padding only)."""
    f = fmt(np.longdouble)
    one, negzero = f.full(1, "one"), f.full(1, "negzero")
    assert bits(one).tobytes() != bits(f.full(1, "zero")).tobytes()
    assert bits(negzero).tobytes() != bits(f.full(1, "zero")).tobytes()
    assert one[0] == 1 and negzero[0] == 0 and np.signbit(negzero[0])


@pytest.mark.parametrize("impl", IMPLS.values(), ids=IMPLS.keys())
def test_float16_exhaustive(impl: Any, fmt: Any) -> None:
    """All 65536 float16 bit patterns against the bit-level oracle."""
    f = fmt(np.float16)
    x = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    dy = x[::-1].copy()
    want_r, want_g = f.expect_relu(x), f.expect_grad(x)
    for got, want in ((impl.relu(x), want_r), (impl.relu_grad(x), want_g),
                      (impl.relu_and_grad(x)[0], want_r), (impl.relu_and_grad(x)[1], want_g),
                      (impl.relu_backward(dy, x), f.expect_backward(dy, x))):
        assert got.dtype == np.float16
        mismatch = np.flatnonzero(got.view(np.uint16) != want.view(np.uint16))
        assert mismatch.size == 0, [hex(int(v)) for v in x.view(np.uint16)[mismatch[:10]]]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("impl", IMPLS.values(), ids=IMPLS.keys())
def test_random_bit_patterns(impl: Any, seed: int, fmt: Any, float_dtype: np.dtype[Any],
                             assert_same: Any) -> None:
    """Random valid encodings (all classes, random payloads) against the oracle."""
    f = fmt(float_dtype)
    rng = np.random.default_rng(seed)
    x, dy = f.random(rng, 600), f.random(rng, 600)
    assert_same(impl.relu(x), f.expect_relu(x))
    assert_same(impl.relu_grad(x), f.expect_grad(x))
    r, g = impl.relu_and_grad(x)
    assert_same(r, f.expect_relu(x))
    assert_same(g, f.expect_grad(x))
    assert_same(impl.relu_backward(dy, x), f.expect_backward(dy, x))


# --------------------------------------------------------------------------- integers


@pytest.mark.parametrize("impl", IMPLS.values(), ids=IMPLS.keys())
def test_integer_facts(impl: Any, int_dtype: np.dtype[Any]) -> None:
    info = np.iinfo(int_dtype)
    if info.min < 0:
        vals = [info.min, info.min + 1, -2, -1, 0, 1, 2, info.max - 1, info.max]
        relu = [0, 0, 0, 0, 0, 1, 2, info.max - 1, info.max]
        grad = [0, 0, 0, 0, 0, 1, 1, 1, 1]
    else:
        vals = [0, 1, 2, info.max // 2, info.max // 2 + 1, info.max - 1, info.max]
        relu = vals
        grad = [0, 1, 1, 1, 1, 1, 1]
    x = np.array(vals, dtype=int_dtype)
    for r in (impl.relu(x), impl.relu_and_grad(x)[0]):
        assert r.dtype == int_dtype and r.dtype.char == int_dtype.char
        assert r.tolist() == relu
    for g in (impl.relu_grad(x), impl.relu_and_grad(x)[1]):
        assert g.dtype == int_dtype and g.dtype.char == int_dtype.char
        assert g.tolist() == grad
    assert x.tolist() == vals


@pytest.mark.parametrize("impl", IMPLS.values(), ids=IMPLS.keys())
def test_bool_computes_in_int8(impl: Any) -> None:
    x = np.array([False, True, True, False])
    for r in (impl.relu(x), impl.relu_and_grad(x)[0]):
        assert r.dtype == np.int8 and r.tolist() == [0, 1, 1, 0]
    for g in (impl.relu_grad(x), impl.relu_and_grad(x)[1]):
        assert g.dtype == np.int8 and g.tolist() == [0, 1, 1, 0]


def test_long_and_longlong_are_distinct_loops() -> None:
    """'l' and 'q' (np.long, np.longlong) each have their own loop and keep their type."""
    types = nprelu.relu.types
    assert "l->l" in types and "q->q" in types and "L->L" in types and "Q->Q" in types
    for c in "lqLQ":
        x = np.array([-3 if c.islower() else 3, 0, 5], dtype=c)
        for f in (nprelu.relu, nprelu.relu_grad):
            assert f(x).dtype.char == c
        assert [o.dtype.char for o in nprelu.relu_and_grad(x)] == [c, c]


# --------------------------------------------------------------------------- random arrays vs reference


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_vs_reference(seed: int, unary_dtype: np.dtype[Any], sample: Any,
                             assert_same: Any) -> None:
    rng = np.random.default_rng(seed)
    x = sample(unary_dtype, 3000, rng)
    x0 = x.copy()
    assert_same(nprelu.relu(x), reference.relu(x))
    assert_same(nprelu.relu_grad(x), reference.relu_grad(x))
    got, want = nprelu.relu_and_grad(x), reference.relu_and_grad(x)
    assert isinstance(got, tuple) and len(got) == 2
    assert_same(got[0], want[0])
    assert_same(got[1], want[1])
    assert_same(got[0], nprelu.relu(x))
    assert_same(got[1], nprelu.relu_grad(x))
    assert_same(x, x0)  # input untouched


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_backward_vs_reference(seed: int, float_dtype: np.dtype[Any],
                                      sample: Any, assert_same: Any) -> None:
    rng = np.random.default_rng(seed)
    dy, x = sample(float_dtype, 3000, rng), sample(float_dtype, 3000, rng)
    dy0, x0 = dy.copy(), x.copy()
    assert_same(nprelu.relu_backward(dy, x), reference.relu_backward(dy, x))
    assert_same(dy, dy0)
    assert_same(x, x0)


# --------------------------------------------------------------------------- lengths and layouts

LENGTHS = range(71)  # covers every SIMD tail for vectors of up to 64 lanes
BIG_LENGTHS = [127, 128, 129, 1023, 1025, 8193, 10007]  # 8192: NumPy's buffer size


def _unaligned(a: np.ndarray) -> np.ndarray:
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out = buf[1:].view(a.dtype)
    out[...] = a
    return out


def _odd_stride(a: np.ndarray) -> np.ndarray:
    rec = np.zeros(a.shape, dtype=[("v", a.dtype), ("pad", "u1")])  # packed: stride itemsize + 1
    rec["v"] = a
    return rec["v"]


# name -> view of ``n`` elements of ``pool`` (len(pool) >= 4 n + 1).  The ops
# are elementwise, so the expected result is the same view of the reference
# applied to the whole pool.
LAYOUTS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "contiguous": lambda p, n: p[:n],
    "stride2": lambda p, n: p[: 2 * n : 2],
    "stride3": lambda p, n: p[: 3 * n : 3],
    "reversed": lambda p, n: p[:n][::-1],
    "reversed_stride2": lambda p, n: p[: 2 * n][::-2],
    "transposed": lambda p, n: p[: 3 * n].reshape(n, 3).T,
    "sliced_2d": lambda p, n: p[: 4 * n].reshape(n, 4)[:, 1:3],
    "unaligned": lambda p, n: _unaligned(p[:n]),
    "odd_stride": lambda p, n: _odd_stride(p[:n]),
    "broadcast": lambda p, n: np.broadcast_to(p[:1], (n,)),
}
POOL = 4 * max(LENGTHS) + 1 + max(LENGTHS)


def pool_for(dtype: np.dtype[Any], sample: Any, seed: int, size: int = POOL) -> np.ndarray:
    return sample(dtype, size, np.random.default_rng(seed))


def call(name: str, impl: Any, *args: Any, **kw: Any) -> tuple[Any, ...]:
    r = getattr(impl, name)(*args, **kw)
    return r if isinstance(r, tuple) else (r,)


def check_unary_lengths(name: str, layout: str, pool: np.ndarray, lengths: Any,
                        assert_same: Any) -> None:
    wants = call(name, reference, pool)
    for n in lengths:
        # start at n: every value visits every lane position of the vectors
        x = LAYOUTS[layout](pool[n:], n)
        x0 = x.copy()
        got = call(name, nprelu, x)
        assert len(got) == len(wants)
        for g, w in zip(got, wants):
            assert_same(g, LAYOUTS[layout](w[n:], n))
        assert_same(x, x0)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_unary_layouts(layout: str, unary_dtype: np.dtype[Any], sample: Any,
                       assert_same: Any) -> None:
    pool = pool_for(unary_dtype, sample, seed=len(layout))
    for name in UNARY:
        check_unary_lengths(name, layout, pool, LENGTHS, assert_same)


@pytest.mark.parametrize("layout", ["contiguous", "stride2", "reversed", "unaligned"])
def test_unary_big_lengths(layout: str, unary_dtype: np.dtype[Any], sample: Any,
                           assert_same: Any) -> None:
    pool = pool_for(unary_dtype, sample, seed=7, size=2 * max(BIG_LENGTHS) + 1)
    for name in UNARY:
        check_unary_lengths(name, layout, pool, BIG_LENGTHS, assert_same)


BACKWARD_LAYOUTS = [(lay, lay) for lay in LAYOUTS] + [
    ("contiguous", "stride2"), ("stride3", "contiguous"), ("reversed", "contiguous"),
    ("contiguous", "reversed"), ("contiguous", "broadcast"), ("broadcast", "stride2"),
    ("unaligned", "contiguous"), ("contiguous", "odd_stride"),
]


def check_backward_lengths(dy_layout: str, x_layout: str, dpool: np.ndarray,
                           xpool: np.ndarray, lengths: Any, assert_same: Any) -> None:
    for n in lengths:
        dy = LAYOUTS[dy_layout](dpool[n:], n)
        x = LAYOUTS[x_layout](xpool[n:], n)
        dy0, x0 = dy.copy(), x.copy()
        want = reference.relu_backward(dy0, x0)
        assert_same(nprelu.relu_backward(dy, x), want)
        assert_same(dy, dy0)
        assert_same(x, x0)


@pytest.mark.parametrize("dy_layout,x_layout", BACKWARD_LAYOUTS,
                         ids=[f"{a}-{b}" for a, b in BACKWARD_LAYOUTS])
def test_backward_layouts(dy_layout: str, x_layout: str, float_dtype: np.dtype[Any],
                          sample: Any, assert_same: Any) -> None:
    dpool, xpool = pool_for(float_dtype, sample, 1), pool_for(float_dtype, sample, 2)
    check_backward_lengths(dy_layout, x_layout, dpool, xpool, LENGTHS, assert_same)


@pytest.mark.parametrize("layout", ["contiguous", "stride2", "reversed", "unaligned"])
def test_backward_big_lengths(layout: str, float_dtype: np.dtype[Any], sample: Any,
                              assert_same: Any) -> None:
    size = 2 * max(BIG_LENGTHS) + 1
    dpool, xpool = (pool_for(float_dtype, sample, s, size) for s in (3, 4))
    check_backward_lengths(layout, layout, dpool, xpool, BIG_LENGTHS, assert_same)


# output layouts: name -> (n, dtype) -> writable view of n elements
OUT_LAYOUTS: dict[str, Callable[[int, np.dtype[Any]], np.ndarray]] = {
    "contiguous": lambda n, dt: np.full(n, 7, dt),
    "stride2": lambda n, dt: np.full(2 * n, 7, dt)[::2],
    "reversed": lambda n, dt: np.full(n, 7, dt)[::-1],
    "unaligned": lambda n, dt: _unaligned(np.full(n, 7, dt)),
    "odd_stride": lambda n, dt: _odd_stride(np.full(n, 7, dt)),
}


def check_out_lengths(name: str, in_layout: str, out_layout: str, pool: np.ndarray,
                      assert_same: Any) -> None:
    args_all = (pool[::-1].copy(), pool) if name == "relu_backward" else (pool,)
    wants = call(name, reference, *args_all)
    for n in LENGTHS:
        args = tuple(LAYOUTS[in_layout](a[n:], n) for a in args_all)
        outs = tuple(OUT_LAYOUTS[out_layout](n, w.dtype) for w in wants)
        got = call(name, nprelu, *args, out=outs)
        assert len(got) == len(outs) and all(g is o for g, o in zip(got, outs))
        for o, w in zip(outs, wants):
            assert_same(o, LAYOUTS[in_layout](w[n:], n))


@pytest.mark.parametrize("out_layout", OUT_LAYOUTS)
@pytest.mark.parametrize("name", ALL)
def test_out_layouts(name: str, out_layout: str, float_dtype: np.dtype[Any], sample: Any,
                     assert_same: Any) -> None:
    pool = pool_for(float_dtype, sample, 5)
    for in_layout in ("contiguous", "stride2", "reversed"):
        check_out_lengths(name, in_layout, out_layout, pool, assert_same)


@pytest.mark.parametrize("out_layout", ["contiguous", "stride2", "reversed"])
def test_out_layouts_integers(out_layout: str, int_dtype: np.dtype[Any], sample: Any,
                              assert_same: Any) -> None:
    pool = pool_for(int_dtype, sample, 6)
    for name in UNARY:
        check_out_lengths(name, "contiguous", out_layout, pool, assert_same)


# --------------------------------------------------------------------------- in place


@pytest.mark.parametrize("view", ["contiguous", "stride2", "reversed"])
@pytest.mark.parametrize("dtype", [np.dtype(c) for c in LOOP_CHARS], ids=dtype_id)
def test_inplace_unary(view: str, dtype: np.dtype[Any], sample: Any, assert_same: Any) -> None:
    pool = pool_for(dtype, sample, seed=8)
    sel = {"contiguous": slice(None), "stride2": slice(None, None, 2),
           "reversed": slice(None, None, -1)}[view]
    for n in LENGTHS:
        x = pool[n : 3 * n].copy()
        want_r, want_g = reference.relu(x[sel]), reference.relu_grad(x[sel])
        for name, want in (("relu", want_r), ("relu_grad", want_g)):
            y = x.copy()
            v = y[sel]
            assert getattr(nprelu, name)(v, out=v) is v
            assert_same(v, want)
            if view == "stride2":  # the elements in between are untouched
                assert_same(y[1::2], x[1::2])
        # relu_and_grad with the input as either output
        y = x.copy()
        v = y[sel]
        g = np.empty_like(v)
        r1, r2 = nprelu.relu_and_grad(v, out=(v, g))
        assert r1 is v and r2 is g
        assert_same(v, want_r)
        assert_same(g, want_g)
        y = x.copy()
        v = y[sel]
        r = np.empty_like(v)
        nprelu.relu_and_grad(v, out=(r, v))
        assert_same(r, want_r)
        assert_same(v, want_g)


@pytest.mark.parametrize("view", ["contiguous", "stride2", "reversed"])
def test_inplace_backward(view: str, float_dtype: np.dtype[Any], sample: Any,
                          assert_same: Any) -> None:
    sel = {"contiguous": slice(None), "stride2": slice(None, None, 2),
           "reversed": slice(None, None, -1)}[view]
    dpool, xpool = pool_for(float_dtype, sample, 9), pool_for(float_dtype, sample, 10)
    for n in LENGTHS:
        dy0, x0 = dpool[n : 3 * n].copy(), xpool[n : 3 * n].copy()
        want = reference.relu_backward(dy0[sel], x0[sel])
        dy, x = dy0.copy(), x0.copy()
        assert nprelu.relu_backward(dy[sel], x[sel], out=dy[sel]) is not None
        assert_same(dy[sel], want)
        assert_same(x, x0)
        dy, x = dy0.copy(), x0.copy()
        nprelu.relu_backward(dy[sel], x[sel], out=x[sel])
        assert_same(x[sel], want)
        assert_same(dy, dy0)
        # one array as dy, x and out at once
        y = x0.copy()
        nprelu.relu_backward(y[sel], y[sel], out=y[sel])
        assert_same(y[sel], reference.relu_backward(x0[sel], x0[sel]))
