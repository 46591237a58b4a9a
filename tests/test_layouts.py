"""Output and operand layouts that have loop variants of their own.

The loops pick a variant from the steps: contiguous, gathered input,
strided output (``out=o[::2]``, a column, reversed), in place on a strided
view, and one ``dy`` for every ``x`` (a 0-stride operand).  Every length
0..70 reaches every SIMD body and tail of each variant, and lengths around
the 1 KiB blocks in which strided outputs are written reach their edges; results are compared
bit for bit with ``nprelu.reference``, with every FP error raised and every
warning an error (the operands are already in the loop's dtype), and no
operand other than the output changes.
"""

from __future__ import annotations

import ctypes
import mmap
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

from .conftest import INT_DTYPES, assert_same, line_aligned, sample, strict_fp

# every length to 70 (each SIMD body and tail), and those around the blocks
# in which strided outputs are written (1 KiB: 128 float64 .. 1024 int8)
LENGTHS = [*range(71), 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025]

# n items viewed in a buffer of at least 3n + 1 items
OUT_VIEWS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "stride2": lambda b, n: b[: 2 * n : 2],
    "stride3": lambda b, n: b[: 3 * n : 3],
    "reversed": lambda b, n: b[:n][::-1],
    "reversed_stride2": lambda b, n: b[: 2 * n][::-2],
    "column": lambda b, n: b[: 3 * n].reshape(n, 3)[:, 1],
}
IN_VIEWS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "contiguous": lambda p, n: p[:n],
    "stride2": lambda p, n: p[: 2 * n : 2],
}

FLOATS = [np.dtype(c) for c in "efdg"]


def check(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """conftest's assert_same (dtype, shape, bits), naming the case."""
    try:
        assert_same(got, want)
    except AssertionError as e:
        raise AssertionError(f"{what}: {e}") from None


@pytest.mark.parametrize("view", sorted(OUT_VIEWS))
@pytest.mark.parametrize("src", sorted(IN_VIEWS))
# float32/float64 and the 4- and 8-byte integers: the masked stride-2 stores
@pytest.mark.parametrize("dtype", FLOATS + [np.dtype(c) for c in ("int16", "int32", "uint64")], ids=str)
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_unary_strided_outputs(name: str, dtype: np.dtype[Any], src: str, view: str) -> None:
    rng = np.random.default_rng(1)
    f, ref = getattr(nprelu, name), getattr(reference, name)
    p = sample(dtype, 4 * max(LENGTHS) + 2, rng)
    for n in LENGTHS:
        x = IN_VIEWS[src](p[n:], n)
        before = x.copy()
        buf = np.full(3 * n + 1, 7, dtype)
        o = OUT_VIEWS[view](buf, n)
        with strict_fp(f"{name} {dtype} n={n}"):
            assert f(x, out=o) is o
        check(o, ref(x), f"{name} {dtype} {src}->{view} n={n}")
        assert_same(x, before)
        # the buffer's other items are untouched
        untouched = np.ones(buf.size, bool)
        untouched[np.asarray(OUT_VIEWS[view](np.arange(buf.size), n))] = False
        assert (buf[untouched] == 7).all(), f"{name} {view} n={n} wrote outside out"


@pytest.mark.parametrize("view", ["stride2", "stride3", "reversed", "column"])
@pytest.mark.parametrize("dtype", FLOATS + [np.dtype(c) for c in (*INT_DTYPES[:2], "int32", "int64")], ids=str)
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_in_place_strided(name: str, dtype: Any, view: str) -> None:
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(2)
    f, ref = getattr(nprelu, name), getattr(reference, name)
    for n in LENGTHS:
        buf = sample(dtype, 3 * n + 1, rng)
        keep = buf.copy()
        v = OUT_VIEWS[view](buf, n)
        want = ref(v.copy())
        with strict_fp(f"{name} in place {dtype} n={n}"):
            assert f(v, out=v) is v
        check(v, want, f"{name} in place {view} {dtype} n={n}")
        inside = np.zeros(buf.size, bool)
        inside[np.asarray(OUT_VIEWS[view](np.arange(buf.size), n))] = True
        assert_same(buf[~inside], keep[~inside])


def _at(dtype: np.dtype[Any], n: int, offset: int) -> np.ndarray:
    """n items starting ``offset`` items past a 64-byte boundary."""
    return line_aligned((offset + n) * dtype.itemsize)[offset * dtype.itemsize :].view(dtype)


@pytest.mark.parametrize("dtype", [np.dtype(c) for c in ("float32", "float64", "int32", "uint64")], ids=str)
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_stride2_at_every_alignment(name: str, dtype: np.dtype[Any]) -> None:
    """x[::2] into o[::2] and in place, with x and o at every item offset
    against 64 bytes, alike and not: the stride-2 loops align their vectors
    when the two lie alike, and the items they store change with the
    head's length.  Nothing but the even items of o changes."""
    rng = np.random.default_rng(8)
    f, ref = getattr(nprelu, name), getattr(reference, name)
    lanes = 64 // dtype.itemsize
    for n in [1, 2, 3, 7, 8, 9, 16, 17, 33, 70]:
        for xoff in range(lanes):
            for ooff in {xoff, (xoff + 1) % lanes, (xoff + 3) % lanes}:
                x = _at(dtype, 2 * n + 1, xoff)
                x[:] = sample(dtype, x.size, rng)
                keep = x.copy()
                o = _at(dtype, 2 * n + 1, ooff)
                o[:] = 7
                ov = o[:-1:2]
                what = f"{name} {dtype} n={n} x at {xoff}, o at {ooff}"
                with strict_fp(what):
                    assert f(x[:-1:2], out=ov) is ov
                check(ov, ref(x[:-1:2]), what)
                assert (o[1::2] == 7).all(), f"{what}: wrote an odd item"
                assert_same(x, keep)
                # in place on the same view
                want = ref(x[:-1:2])
                xv = x[:-1:2]
                with strict_fp(f"in place {what}"):
                    assert f(xv, out=xv) is xv
                check(xv, want, f"in place {what}")
                assert_same(x[1::2], keep[1::2])


@pytest.mark.parametrize("out_view", ["contiguous", "stride2"])
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_backward_one_dy(dtype: np.dtype[Any], out_view: str) -> None:
    """A 0-stride dy (a scalar or a broadcast array) beside every x, dy NaN and
    inf included: the select never multiplies."""
    rng = np.random.default_rng(3)
    p = sample(dtype, 2 * max(LENGTHS) + 2, rng)
    for d in (np.array(1.5, dtype), np.array(np.inf, dtype), np.array(-np.nan, dtype),
              np.array(-0.0, dtype)):
        for n in LENGTHS:
            x = p[n:][:n]
            buf = np.full(2 * n + 1, 7, dtype)
            o = buf[:n] if out_view == "contiguous" else buf[: 2 * n : 2]
            dy = np.broadcast_to(d, (n,))
            with strict_fp(f"relu_backward one dy {dtype} n={n}"):
                assert nprelu.relu_backward(dy, x, out=o) is o
            check(o, reference.relu_backward(np.ascontiguousarray(dy), x),
                  f"relu_backward(dy={d}, x) {dtype} {out_view} n={n}")


def test_backward_dy_is_the_output() -> None:
    """A 0-stride dy read from the output's own first item: read before any
    store (the loop variant takes dy once)."""
    x = np.array([-1.0, 2.0, 3.0, -4.0, 5.0])
    o = np.array([9.0, 0.0, 0.0, 0.0, 0.0])
    dy = np.lib.stride_tricks.as_strided(o, shape=(5,), strides=(0,))
    want = reference.relu_backward(np.full(5, 9.0), x)
    nprelu.relu_backward(dy, x, out=o)
    check(o, want, "dy aliasing out[0]")


@pytest.mark.parametrize("view", sorted(OUT_VIEWS))
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_leaky_strided_outputs_one_slope(name: str, dtype: np.dtype[Any], view: str) -> None:
    """One slope, strided output: the products round and flag as
    np.multiply's (no NaN slope here, so no NaN-against-NaN choice)."""
    rng = np.random.default_rng(4)
    f, ref = getattr(nprelu, name), getattr(reference, name)
    p = sample(dtype, 4 * max(LENGTHS) + 2, rng)
    a = dtype.type(0.2)
    for n in LENGTHS:
        for src in ("contiguous", "stride2"):
            x = IN_VIEWS[src](p[n:], n)
            buf = np.full(3 * n + 1, 7, dtype)
            o = OUT_VIEWS[view](buf, n)
            with np.errstate(all="ignore"):
                assert f(x, a, out=o) is o
                want = ref(x, a)
            check(o, want, f"{name} {dtype} {src}->{view} n={n}")


# the slope: one number, or an array laid out as PReLU's may be
SLOPE_VIEWS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "scalar": lambda s, n: s[0],
    "contiguous": lambda s, n: s[:n],
    "stride2": lambda s, n: s[: 2 * n : 2],
    "reversed": lambda s, n: s[:n][::-1],
}


@pytest.mark.parametrize("slope", sorted(SLOPE_VIEWS))
@pytest.mark.parametrize("src", ["stride2", "stride3", "reversed"])
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad", "leaky_relu_backward"])
def test_leaky_gathered_inputs(name: str, dtype: np.dtype[Any], src: str, slope: str) -> None:
    """Strided x (and dy), any slope layout, into a contiguous out: bit for
    bit, no FP error where no product overflows or underflows (signed zeros
    included), and the operands unchanged."""
    rng = np.random.default_rng(6)
    f, ref = getattr(nprelu, name), getattr(reference, name)
    p = sample(dtype, 4 * max(LENGTHS) + 2, rng)
    q = sample(dtype, 4 * max(LENGTHS) + 2, rng)
    # no product overflows or underflows: values in 1e-2..1e3 and zeros,
    # slopes in 0.1..2 of either sign
    with np.errstate(all="ignore"):
        for v, fill in ((p, -2.5), (q, 3.0)):
            m = np.abs(v)
            v[~np.isfinite(v) | (m > 1e3) | ((m < 1e-2) & (v != 0))] = dtype.type(fill)
    slopes = (rng.uniform(0.1, 2, 2 * max(LENGTHS) + 1)
              * rng.choice([-1, 1], 2 * max(LENGTHS) + 1)).astype(dtype)
    for n in LENGTHS:
        x, dy = OUT_VIEWS[src](p[n:].copy(), n), OUT_VIEWS[src](q.copy(), n)
        a = SLOPE_VIEWS[slope](slopes, n)
        args = (dy, x, a) if name == "leaky_relu_backward" else (x, a)
        before = [np.array(v, copy=True) for v in args]
        o = np.full(n + 1, 7, dtype)
        out = o[:n]
        with strict_fp(f"{name} {dtype} {src} slope {slope} n={n}"):
            assert f(*args, out=out) is out
        check(out, ref(*args), f"{name} {dtype} {src} slope {slope} n={n}")
        assert o[n] == 7, f"{name} wrote past out, n={n}"
        for v, b in zip(args, before, strict=True):
            assert_same(np.asarray(v), b)


@pytest.mark.parametrize("dtype", [np.dtype(np.float16), np.dtype(np.float32)], ids=str)
def test_leaky_strided_output_flags(dtype: np.dtype[Any]) -> None:
    """The strided-output loop raises exactly np.multiply's flags: overflow
    where a product overflows, nothing where none does."""
    big = np.finfo(dtype).max
    x = np.array([-big, 1.0, -1.0] * 11, dtype)
    o = np.empty(2 * x.size, dtype)[::2]
    with pytest.raises(FloatingPointError, match="overflow"):
        with np.errstate(over="raise"):
            nprelu.leaky_relu(x, dtype.type(10.0), out=o)
    with strict_fp("no product overflows"):
        nprelu.leaky_relu(np.abs(x) + 1, dtype.type(10.0), out=o)


@pytest.mark.parametrize("view", sorted(OUT_VIEWS))
@pytest.mark.parametrize("src", sorted(IN_VIEWS))
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_backward_strided_outputs(dtype: np.dtype[Any], src: str, view: str) -> None:
    rng = np.random.default_rng(5)
    p = sample(dtype, 4 * max(LENGTHS) + 2, rng)
    q = sample(dtype, 4 * max(LENGTHS) + 2, rng)
    for n in LENGTHS:
        x, dy = IN_VIEWS[src](p[n:], n), IN_VIEWS[src](q[n:], n)
        buf = np.full(3 * n + 1, 7, dtype)
        o = OUT_VIEWS[view](buf, n)
        with strict_fp(f"relu_backward {dtype} n={n}"):
            assert nprelu.relu_backward(dy, x, out=o) is o
        check(o, reference.relu_backward(dy, x), f"relu_backward {dtype} {src}->{view} n={n}")


@pytest.mark.parametrize("views", [("stride2", "stride2"), ("stride3", "contiguous"),
                                   ("contiguous", "column"), ("reversed", "stride2")])
@pytest.mark.parametrize("src", sorted(IN_VIEWS))
@pytest.mark.parametrize("dtype", FLOATS + [np.dtype(np.int8)], ids=str)
def test_relu_and_grad_strided_outputs(dtype: np.dtype[Any], src: str,
                                       views: tuple[str, str]) -> None:
    """relu_and_grad with either or both outputs strided: both outputs bit for
    bit, nothing else in their buffers written."""
    rng = np.random.default_rng(5)
    p = sample(dtype, 4 * max(LENGTHS) + 2, rng)
    view_of = {**OUT_VIEWS, "contiguous": lambda b, n: b[:n]}
    for n in LENGTHS:
        x = IN_VIEWS[src](p[n:], n)
        before = x.copy()
        bufs = [np.full(3 * n + 1, 7, dtype) for _ in views]
        outs = tuple(view_of[v](b, n) for v, b in zip(views, bufs, strict=True))
        with strict_fp(f"relu_and_grad {dtype} n={n}"):
            got = nprelu.relu_and_grad(x, out=outs)
        assert got[0] is outs[0] and got[1] is outs[1]
        want = reference.relu_and_grad(x)
        for o, w, b, v in zip(outs, want, bufs, views, strict=True):
            check(o, w, f"relu_and_grad {dtype} {src}->{views} n={n}")
            untouched = np.ones(b.size, bool)
            untouched[np.asarray(view_of[v](np.arange(b.size), n))] = False
            assert (b[untouched] == 7).all(), f"relu_and_grad {views} n={n} wrote outside out"
        assert_same(x, before)


def _guarded(dtype: np.dtype[Any], count: int, at_end: bool) -> np.ndarray:
    """``count`` items of ``dtype`` that end just before (``at_end``) or start
    just after a page no process may read: a loop that reads one item
    beyond an operand there crashes instead of passing by luck."""
    page = mmap.PAGESIZE
    nbytes = count * dtype.itemsize
    pages = -(-nbytes // page) + 2
    m = mmap.mmap(-1, pages * page)
    raw = np.frombuffer(m, np.uint8)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    for k in (0, pages - 1):
        if libc.mprotect(ctypes.c_void_p(raw.ctypes.data + k * page), page, 0) != 0:
            raise OSError(ctypes.get_errno(), "mprotect")
    start = (pages - 1) * page - nbytes if at_end else page
    return raw[start:start + nbytes].view(dtype)


@pytest.mark.skipif(sys.platform == "win32", reason="needs mprotect (POSIX)")
@pytest.mark.parametrize("at_end", [True, False], ids=["end", "start"])
@pytest.mark.parametrize("dtype", [np.dtype(c) for c in "efd"], ids=str)
def test_strided_operands_read_nothing_outside(dtype: np.dtype[Any], at_end: bool) -> None:
    """x[::2] (and a slope s[::2]) whose last or first item borders an
    unreadable page: the vector gathers load whole blocks, and must mask
    what lies past the operand's last item (reversed views walk down to
    their first).  Results bit for bit."""
    rng = np.random.default_rng(7)
    for n in [*range(1, 41), 127, 128, 129, 255, 256, 257]:
        span = 2 * n - 1
        x = _guarded(dtype, span, at_end)
        x[:] = sample(dtype, span, rng)
        s = _guarded(dtype, span, at_end)
        s[:] = rng.uniform(0.1, 2, span).astype(dtype)
        views = [x[::2], x[::-2]]
        for v in views:
            what = f"{dtype} n={n} {'end' if at_end else 'start'} step {v.strides[0]}"
            o = np.empty(2 * n, dtype)
            check(nprelu.relu(v, out=o[::2]), reference.relu(v), f"relu(x[::2], out=o[::2]) {what}")
            check(nprelu.relu(v), reference.relu(v), f"relu(x[::2]) {what}")
            for got, want in zip(nprelu.relu_and_grad(v), reference.relu_and_grad(v), strict=True):
                check(got, want, f"relu_and_grad {what}")
            check(nprelu.relu_backward(v, v), reference.relu_backward(v, v), f"relu_backward {what}")
            with np.errstate(all="ignore"):
                a = s[::2] if v.strides[0] > 0 else s[::-2]
                check(nprelu.leaky_relu(v, a), reference.leaky_relu(v, a),
                      f"leaky_relu(x[::2], s[::2]) {what}")
                ones = np.ones(n, dtype)
                check(nprelu.leaky_relu(ones, a), reference.leaky_relu(ones, a),
                      f"leaky_relu(x, s[::2]) {what}")
                check(nprelu.leaky_relu_backward(v, v, a),
                      reference.leaky_relu_backward(v, v, a), f"leaky_relu_backward {what}")
            # last, as it changes x: in place on the view
            want = reference.relu(v)
            check(nprelu.relu(v, out=v), want, f"relu(x[::2], out=x[::2]) {what}")
