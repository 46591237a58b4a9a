"""The leaky family on the ml_dtypes float types: bfloat16, float8, float6,
float4 (and float8_e5m3fnu, which has no negative values: its zero takes the
product, everything else is kept).

The expected bits come from ``nprelu.reference``, which defines the product
as ml_dtypes' own ``np.multiply`` for the type and classifies by ml_dtypes'
conversion to float32.  For the 8-bit types every pair (x, a) of stored
bytes is checked (65,536 pairs; leaky_relu_backward with dy running through
every byte too), for bfloat16 every x against 64 slopes.  Where both factors
of a product are NaN, IEEE 754 lets the result be either NaN (quieted): the
check accepts either there, and nowhere else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

ml_dtypes = pytest.importorskip(
    "ml_dtypes", reason="ml_dtypes is not installed; its loops are optional (pip install '.[test]')")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import nprelu  # noqa: E402
from nprelu import reference  # noqa: E402

NAMES = ("leaky_relu", "leaky_relu_grad", "leaky_relu_backward")
FLOATS = [n for n in reference.ML_FLOAT_TYPES if hasattr(ml_dtypes, n)]
BYTE_FORMATS = [n for n in FLOATS if np.dtype(getattr(ml_dtypes, n)).itemsize == 1]


def dtype_of(name: str) -> np.dtype[Any]:
    return np.dtype(getattr(ml_dtypes, name))


def u(a: Any) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(f"u{a.dtype.itemsize}")


def isnan(a: np.ndarray) -> np.ndarray:
    return np.isnan(np.asarray(a).astype(np.float32))


def call(name: str, module: Any, dy: Any, x: Any, a: Any, **kw: Any) -> Any:
    f = getattr(module, name)
    return f(dy, x, a, **kw) if name == "leaky_relu_backward" else f(x, a, **kw)


def check(name: str, got: np.ndarray, dy: Any, x: Any, a: Any) -> None:
    """Bit for bit against the reference; where the result is a product of
    two NaNs, either NaN."""
    with np.errstate(all="ignore"):
        want = call(name, reference, dy, x, a)
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    g, w = u(got).ravel(), u(want).ravel()
    differ = g != w
    if differ.any() and name != "leaky_relu_grad":
        v = x if name == "leaky_relu" else dy
        v, aa = (np.broadcast_to(np.asarray(t, got.dtype), got.shape).ravel() for t in (v, a))
        both_nan = isnan(v) & isnan(aa) & isnan(got.ravel()) & isnan(want.ravel())
        differ &= ~both_nan
    bad = np.flatnonzero(differ)
    assert bad.size == 0, f"{name} {got.dtype}: {bad.size} elements differ, first at {bad[:5]}"


# --------------------------------------------------------------------------- every pattern


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt", BYTE_FORMATS)
def test_every_byte_pair(name: str, fmt: str) -> None:
    t = dtype_of(fmt)
    x = np.repeat(np.arange(256, dtype=np.uint8), 256).view(t)
    a = np.tile(np.arange(256, dtype=np.uint8), 256).view(t)
    dy = np.roll(np.arange(65536) % 256, 77).astype(np.uint8).view(t)
    before = [u(v).copy() for v in (dy, x, a)]
    with np.errstate(all="ignore"):
        got = call(name, nprelu, dy, x, a)
    assert got.dtype == t
    check(name, got, dy, x, a)
    assert all((u(v) == b).all() for v, b in zip((dy, x, a), before, strict=True))


@pytest.mark.parametrize("fmt", BYTE_FORMATS)
def test_every_byte_with_each_scalar_slope(fmt: str) -> None:
    """One slope for a long array (the loop's per-call lookup row, with VBMI
    where the CPU has it): every byte of x, each of the 256 slopes as a 0-d
    operand."""
    t = dtype_of(fmt)
    x = np.tile(np.arange(256, dtype=np.uint8), 5).view(t)  # 1280 >= the row's threshold
    for s in np.arange(256, dtype=np.uint8).view(t):
        a = np.array(s, t)
        with np.errstate(all="ignore"):
            got = nprelu.leaky_relu(x, a)
            got_grad = nprelu.leaky_relu_grad(x, a)
        check("leaky_relu", got, x, x, a)
        check("leaky_relu_grad", got_grad, x, x, a)


def bf16_slopes() -> np.ndarray:
    """64 slopes: zeros, subnormals, one, small, large, inf and NaN, both signs."""
    f = [0.0, 1.0, 0.01, 0.25, 0.5, 2.0, 10.0, 1e-30, 3e38, 1e38, 127.0, 0.3333,
         np.inf, np.nan, 1e-39, 9.2e-41]
    v = np.array(f + [-x for x in f], np.float32).astype(ml_dtypes.bfloat16)
    extra = np.array([0x0001, 0x007F, 0x0080, 0x7F7F, 0x7F81, 0xFFFF, 0x7FC0, 0x3F81,
                      0x8001, 0x807F, 0x8080, 0xFF7F, 0xFF81, 0x3FFF, 0x4000, 0x0100,
                      0x4F80, 0x2F80, 0x1F80, 0x5F80, 0x6F80, 0x7000, 0x0F80, 0x3E80,
                      0xBE80, 0xC000, 0xC080, 0x3C00, 0x3A00, 0x3800, 0x3600, 0x3400],
                     np.uint16).view(ml_dtypes.bfloat16)
    out = np.concatenate([v, extra])
    assert out.size == 64
    return out


@pytest.mark.parametrize("name", NAMES)
def test_bfloat16_every_x_64_slopes(name: str) -> None:
    t = dtype_of("bfloat16")
    x = np.repeat(np.arange(65536, dtype=np.uint16), 64).view(t)
    a = np.tile(bf16_slopes(), 65536)
    dy = np.roll(np.arange(x.size, dtype=np.uint32) * 40503 % 65536, 5).astype(np.uint16).view(t)
    with np.errstate(all="ignore"):
        got = call(name, nprelu, dy, x, a)
        got_scalar = call(name, nprelu, dy[:65536 * 64:64], x[::64], a[3])
    check(name, got, dy, x, a)
    check(name, got_scalar, dy[:65536 * 64:64], x[::64], a[3])


@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_bfloat16_every_x_each_scalar_slope(name: str) -> None:
    """One slope over a contiguous array (the vectorised one-slope loop, and
    its fallback for an inf or NaN slope): every x, each of the 64 slopes as
    a 0-d operand."""
    t = dtype_of("bfloat16")
    x = np.arange(65536, dtype=np.uint16).view(t)
    for s in bf16_slopes():
        a = np.array(s, t)
        with np.errstate(all="ignore"):
            got = getattr(nprelu, name)(x, a)
        check(name, got, x, x, a)


SENTINEL = 0xA5


@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
@pytest.mark.parametrize("fmt", ["bfloat16", "float8_e4m3fn", "float6_e2m3fn"])
def test_one_slope_lengths_and_offsets(name: str, fmt: str) -> None:
    """The one-slope contiguous loop's edges: every length below 70 and those
    around its vector widths (32 bfloat16, 64 bytes) and the lookup row's
    threshold (256), input and output each 0..3 elements into a buffer, a
    finite and an infinite slope; nothing outside the output is written."""
    if fmt not in FLOATS:
        pytest.skip(f"ml_dtypes {ml_dtypes.__version__} has no {fmt}")
    t = dtype_of(fmt)
    size = t.itemsize
    rng = np.random.default_rng(11)
    pool = rng.integers(0, 1 << (8 * size), 1100).astype(f"u{size}").view(t)
    slopes = [np.array(0.25, np.float32).astype(t), np.array(-np.inf, np.float32).astype(t)]
    f = getattr(nprelu, name)
    for n in [*range(70), 95, 96, 97, 127, 128, 129, 255, 256, 257, 319, 320, 321, 1000]:
        for k in range(4):
            x = pool[k : k + n]
            for a in slopes:
                buf = np.full((n + 8) * size, SENTINEL, np.uint8)
                o = buf.view(t)[3 - k : 3 - k + n]
                with np.errstate(all="ignore"):
                    assert f(x, a, out=o) is o
                check(name, o, x, x, a)
                lo, hi = (3 - k) * size, (3 - k + n) * size
                assert (buf[:lo] == SENTINEL).all() and (buf[hi:] == SENTINEL).all(), (n, k)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
                min_size=1, max_size=40))
def test_bfloat16_random_triples(triples: list[tuple[int, int, int]]) -> None:
    t = dtype_of("bfloat16")
    dy, x, a = (np.array(c, np.uint16).view(t) for c in zip(*triples, strict=True))
    for name in NAMES:
        with np.errstate(all="ignore"):
            got = call(name, nprelu, dy, x, a)
        check(name, got, dy, x, a)


# --------------------------------------------------------------------------- layouts


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt", ["bfloat16", "float8_e4m3fn", "float6_e2m3fn"])
def test_layouts(name: str, fmt: str) -> None:
    """Strided, reversed, in place, a broadcast slope array (PReLU), every
    length 0..70, and a slope given as a Python float."""
    if fmt not in FLOATS:
        pytest.skip(f"ml_dtypes {ml_dtypes.__version__} has no {fmt}")
    t = dtype_of(fmt)
    rng = np.random.default_rng(7)
    top = 1 << (8 * t.itemsize)
    pool = rng.integers(0, top, 300).astype(f"u{t.itemsize}").view(t)
    slopes = np.array([0.25, 0.5, 0.0, -1.0], np.float32).astype(t)
    for n in range(71):
        x, dy = pool[: 2 * n : 2], pool[::-1][:n]
        for a in (slopes[0], np.resize(slopes, n), 0.25):
            with np.errstate(all="ignore"):
                got = call(name, nprelu, dy, x, a)
                check(name, got, dy, x, a)
                if got.dtype != t:  # a Python float slope beside T: float32 before ml_dtypes 0.7
                    continue
                o = np.zeros(2 * n, t)[::2]
                assert call(name, nprelu, dy, x, a, out=o) is o
                check(name, o, dy, x, a)
        io = x.copy()  # in place on x (x is left as it was)
        with np.errstate(all="ignore"):
            assert call(name, nprelu, dy, io, slopes[1], out=io) is io
        check(name, io, dy, x, slopes[1])
    # PReLU: one slope per channel
    x = pool[:60].reshape(20, 3)
    ch = np.array([0.25, 0.5, 2.0], np.float32).astype(t)
    with np.errstate(all="ignore"):
        check(name, call(name, nprelu, x, x, ch), x, x, np.broadcast_to(ch, x.shape))


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize("fmt", FLOATS)
def test_type_kept_and_python_slopes(fmt: str) -> None:
    """A slope array of the type keeps it; a Python float or int slope goes
    where np.multiply takes it under the installed ml_dtypes (the type
    itself with 0.7, float32 with 0.5 and 0.6), in both argument orders."""
    t = dtype_of(fmt)
    x = np.array([1, 0], t)
    for name in ("leaky_relu", "leaky_relu_grad"):
        f = getattr(nprelu, name)
        assert f(x, np.array(0.5, t)).dtype == t
        assert f(x, x, casting="no").dtype == t
        for s in (0.01, 2):
            want = np.multiply(x, s).dtype
            if want == t or want.char in "efdg":
                assert f(x, s).dtype == want, (name, fmt, s)
            assert reference.__dict__[name](x, s).dtype == f(x, s).dtype
    b = nprelu.leaky_relu_backward(x, x, 0.01)
    assert b.dtype == nprelu.leaky_relu(x, 0.01).dtype
    assert reference.leaky_relu_backward(x, x, 0.01).dtype == b.dtype


def test_no_leaky_loops_for_integer_types() -> None:
    """A slope is not an integer idea: int4 gets no leaky loop of its own;
    NumPy casts it to a float loop."""
    x = np.array([-3, 2], ml_dtypes.int4)
    r = nprelu.leaky_relu(x, 0.5)
    assert r.dtype.kind == "f"
    assert r.tolist() == [-1.5, 2.0]


# --------------------------------------------------------------------------- flags


def test_bfloat16_flags() -> None:
    """No flag from an element whose result is not a product; where it is,
    those of the float32 multiply that np.multiply performs too."""
    t = dtype_of("bfloat16")
    big = np.array([3e38, 1.0, np.inf], np.float32).astype(t)
    with np.errstate(all="raise"):
        nprelu.leaky_relu(big, np.array(3e38, np.float32).astype(t))      # all kept
        nprelu.leaky_relu_grad(-big, np.array(np.nan, np.float32).astype(t))
    neg = -big[:1]
    slope = np.array(3e38, np.float32).astype(t)
    with pytest.raises(FloatingPointError, match="overflow"), np.errstate(over="raise"):
        np.multiply(neg, slope)
    with pytest.raises(FloatingPointError, match="overflow"), np.errstate(over="raise"):
        nprelu.leaky_relu(neg, slope)
