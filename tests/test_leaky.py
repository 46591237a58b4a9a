"""The leaky family: leaky_relu, leaky_relu_grad, leaky_relu_backward.

Bit-exact against ``nprelu.reference`` for every float loop (``e f d g``),
the slopes 0, 0.01, 0.2, 1, 3, inf and NaN (and their negatives), given as
Python floats, NumPy scalars and arrays of the loop's dtype; every special
value; every length 0..70 (every SIMD tail) in every memory layout; ``out=``,
``where=``, in place; broadcast slopes (PReLU) and the dtype rules.  The
reference itself is checked against literal bit patterns written out here.

Products may overflow or be invalid (``-inf * 0``) and then raise what
``np.multiply`` raises (``test_leaky_fpflags.py``); the value tests here
silence them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

NAMES = ["leaky_relu", "leaky_relu_grad", "leaky_relu_backward"]
SLOPES = [0.0, 0.01, 0.2, 1.0, 3.0, float("inf"), float("nan"),
          -0.0, -0.01, -0.2, -1.0, -3.0, float("-inf")]
LENGTHS = range(71)


def u(dtype: str, *patterns: int) -> np.ndarray:
    """Floats from literal bit patterns (no arithmetic on the values)."""
    size = np.dtype(dtype).itemsize
    return np.array(patterns, dtype=f"u{size}").view(dtype)


def raw(a: Any) -> list[int]:
    a = np.ascontiguousarray(np.asarray(a))
    return [int(v) for v in a.view(f"u{a.itemsize}").reshape(-1)]


def call(name: str, impl: Any, dy: Any, x: Any, slope: Any, **kw: Any) -> Any:
    """The ufunc (or reference) on (x, slope), or (dy, x, slope) for backward;
    products may raise FP flags, which are another file's concern."""
    f = getattr(impl, name)
    with np.errstate(all="ignore"):
        if name == "leaky_relu_backward":
            return f(dy, x, slope, **kw)
        return f(x, slope, **kw)


def product_taken(name: str, x: Any, dtype: np.dtype[Any]) -> Any:
    """Where the result is a product (``x > 0`` false); NaN x in leaky_relu
    is returned, not multiplied."""
    xa = np.asarray(x, dtype)
    with np.errstate(invalid="ignore"):
        taken = ~(xa > 0)
    return taken & ~np.isnan(xa) if name == "leaky_relu" else taken


@pytest.fixture(name="same")
def _same(assert_same: Any, assert_same_products: Any) -> Callable[..., None]:
    """``same(name, got, want, dy, x, slope)``: bit for bit, except that a
    NaN dy times a NaN slope may give either NaN (``assert_same_products``)."""

    def same(name: str, got: Any, want: Any, dy: Any, x: Any, slope: Any) -> None:
        if name == "leaky_relu_backward":
            g = np.asarray(got)
            assert_same_products(got, want, dy, slope, product_taken(name, x, g.dtype))
        else:
            assert_same(got, want)

    return same


@pytest.fixture(name="check")
def _check(same: Any) -> Callable[..., Any]:
    """``check(name, dy, x, slope, **kw)``: nprelu against the reference."""

    def check(name: str, dy: Any, x: Any, slope: Any, **kw: Any) -> Any:
        got = call(name, nprelu, dy, x, slope, **kw)
        want = call(name, reference, *(np.copy(v) if isinstance(v, np.ndarray) else v
                                       for v in (dy, x, slope)))
        same(name, got, want, dy, x, slope)
        return got

    return check


# --------------------------------------------------------------------------- literal facts

F32 = {
    "one": 0x3F800000, "-2": 0xC0000000, "3": 0x40400000, "0.25": 0x3E800000,
    "-0.5": 0xBF000000, "+0": 0x00000000, "-0": 0x80000000, "inf": 0x7F800000,
    "-inf": 0xFF800000, "qnan_payload": 0x7FC00123, "-snan": 0xFF800001,
    "snan": 0x7F800001, "max": 0x7F7FFFFF, "-max": 0xFF7FFFFF, "-1": 0xBF800000,
    "10": 0x41200000, "min_sub": 0x00000001, "-min_sub": 0x80000001, "0.5": 0x3F000000,
}

# (x, slope, leaky_relu bits, leaky_relu_grad bits), float32, written out by hand
LEAKY_LITERALS = [
    ("-2", "0.25", F32["-0.5"], F32["0.25"]),
    ("3", "0.25", F32["3"], F32["one"]),
    ("max", "10", F32["max"], F32["one"]),  # positive: returned, never multiplied
    ("-max", "10", F32["-inf"], F32["10"]),  # overflow to -inf, as np.multiply
    ("-0", "0.25", F32["-0"], F32["0.25"]),  # -0 * 0.25 = -0: the negative branch
    ("+0", "-1", F32["-0"], F32["-1"]),  # +0 * -1 = -0
    ("-1", "-1", F32["one"], F32["-1"]),
    ("inf", "+0", F32["inf"], F32["one"]),  # positive: no 0 * inf
    ("-inf", "0.5", F32["-inf"], F32["0.5"]),
    ("qnan_payload", "0.5", F32["qnan_payload"], F32["0.5"]),  # NaN: x unchanged
    ("snan", "0.5", F32["snan"], F32["0.5"]),  # not even quieted
    ("-snan", "10", F32["-snan"], F32["10"]),
    ("min_sub", "0.5", F32["min_sub"], F32["one"]),
    ("-min_sub", "0.5", F32["-0"], F32["0.5"]),  # rounds to -0 (ties to even)
]


@pytest.mark.parametrize("impl", [nprelu, reference], ids=["nprelu", "reference"])
@pytest.mark.parametrize("case", LEAKY_LITERALS, ids=lambda c: f"{c[0]}*{c[1]}")
def test_literal_bits(impl: Any, case: tuple[str, str, int, int]) -> None:
    xk, ak, relu_bits, grad_bits = case
    x, a = u("f", F32[xk], F32[xk]), u("f", F32[ak])
    for slope in (a, a[0], a.reshape(())):
        with np.errstate(all="ignore"):
            r = impl.leaky_relu(x, slope)
            g = impl.leaky_relu_grad(x, slope)
        assert r.dtype == np.float32 and raw(r) == [relu_bits] * 2
        assert g.dtype == np.float32 and raw(g) == [grad_bits] * 2


# (dy, x, slope, leaky_relu_backward bits), float32
BACKWARD_LITERALS = [
    ("3", "one", "0.25", F32["3"]),
    ("-2", "-1", "0.25", F32["-0.5"]),
    ("-2", "qnan_payload", "0.25", F32["-0.5"]),  # NaN x: the negative branch
    ("-2", "snan", "0.25", F32["-0.5"]),
    ("-2", "+0", "0.25", F32["-0.5"]),
    ("inf", "one", "+0", F32["inf"]),  # dy where x > 0: no inf * 0
    ("snan", "one", "0.5", F32["snan"]),  # dy unchanged, not quieted
    ("max", "-1", "10", F32["inf"]),
    ("-0", "-1", "0.5", F32["-0"]),
]


@pytest.mark.parametrize("impl", [nprelu, reference], ids=["nprelu", "reference"])
@pytest.mark.parametrize("case", BACKWARD_LITERALS, ids=lambda c: f"{c[0]},{c[1]},{c[2]}")
def test_literal_bits_backward(impl: Any, case: tuple[str, str, str, int]) -> None:
    dk, xk, ak, want = case
    dy, x, a = u("f", F32[dk], F32[dk]), u("f", F32[xk], F32[xk]), u("f", F32[ak])
    with np.errstate(all="ignore"):
        r = impl.leaky_relu_backward(dy, x, a)
    assert r.dtype == np.float32 and raw(r) == [want] * 2


def test_literal_invalid_products() -> None:
    """-inf * 0 and inf * 0 where a product is returned: NaN, as np.multiply."""
    x = np.array([-np.inf, -1.0, -0.0], np.float32)
    for impl in (nprelu, reference):
        with np.errstate(all="ignore"):
            assert np.isnan(impl.leaky_relu(x[:1], 0.0)).all()
            assert np.isnan(impl.leaky_relu(x[2:], np.inf)).all()  # -0 * inf
            assert np.isnan(impl.leaky_relu_backward(np.float32([np.inf]), x[1:2], 0.0)).all()
            assert np.isnan(impl.leaky_relu_grad(x, np.nan)).all()


def test_float16_rounding_literals() -> None:
    """float16 products are rounded once, to nearest even (as np.multiply)."""
    # 0x3C01 = 1 + 2**-10; times 0.5 is exact; times 0x3555 (~1/3) rounds
    x = u("e", 0xBC01, 0xBC01, 0x8001, 0xFBFF)
    a = u("e", 0x3800, 0x3555, 0x3800, 0x4900)  # 0.5, ~0.3333, 0.5, 10
    want = u("e", 0xB801, 0xB556, 0x8000, 0xFC00)  # -0.50049, -0.33350, -0, -inf
    for impl in (nprelu, reference):
        with np.errstate(all="ignore"):
            got = impl.leaky_relu(x, a)
        assert raw(got) == raw(want), impl
    # the finite ones through exact float64 arithmetic, rounded by struct's 'e'
    for xv, av, wv in list(zip(x.tolist(), a.tolist(), raw(want)))[:3]:
        assert struct.unpack("<H", struct.pack("<e", xv * av))[0] == wv


# --------------------------------------------------------------------------- values


def slope_forms(slope: float, dtype: np.dtype[Any]) -> dict[str, Any]:
    return {
        "python": slope,
        "scalar": dtype.type(slope),
        "0d": np.array(slope, dtype),
        "1elem": np.array([slope], dtype),
    }


@pytest.mark.parametrize("form", ["python", "scalar", "0d", "1elem"])
@pytest.mark.parametrize("slope", SLOPES, ids=repr)
@pytest.mark.parametrize("name", NAMES)
def test_slopes(name: str, slope: float, form: str, float_dtype: np.dtype[Any],
                sample: Any, fmt: Any, check: Any) -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([fmt(float_dtype).specials(), sample(float_dtype, 300, rng)])
    dy = np.concatenate([rng.permutation(fmt(float_dtype).specials()),
                         sample(float_dtype, 300, rng)])
    a = slope_forms(slope, float_dtype)[form]
    got = check(name, dy, x, a)
    assert got.dtype == float_dtype


@pytest.mark.parametrize("name", NAMES)
def test_slope_per_element(name: str, float_dtype: np.dtype[Any], sample: Any, fmt: Any,
                           check: Any) -> None:
    """A slope array of x's shape: every special value as a slope too, with
    every special value of x."""
    rng = np.random.default_rng(1)
    sv = fmt(float_dtype).specials()
    x = np.concatenate([np.repeat(sv, sv.size), sample(float_dtype, 500, rng)])
    a = np.concatenate([np.tile(sv, sv.size), sample(float_dtype, 500, rng)])
    dy = np.concatenate([rng.permutation(np.repeat(sv, sv.size)), sample(float_dtype, 500, rng)])
    check(name, dy, x, a)
    check(name, dy, x, a[::-1].copy())


def test_reference_products_are_numpy_multiply(float_dtype: np.dtype[Any], sample: Any,
                                               fmt: Any, assert_same: Any) -> None:
    """The reference's negative branch is np.multiply(x, a) / np.multiply(dy, a)."""
    rng = np.random.default_rng(2)
    x = -np.abs(sample(float_dtype, 400, rng))
    x = x[~np.isnan(x)]
    a, dy = sample(float_dtype, x.size, rng), sample(float_dtype, x.size, rng)
    with np.errstate(all="ignore"):
        assert_same(reference.leaky_relu(x, a), np.multiply(x, a))
        assert_same(reference.leaky_relu_backward(dy, x, a), np.multiply(dy, a))


# --------------------------------------------------------------------------- lengths and layouts



LAYOUTS = ("contiguous", "stride2", "reversed", "transposed", "fortran", "unaligned")


@pytest.mark.parametrize("slope_kind", ["python", "array"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", NAMES)
def test_every_length(name: str, layout: str, slope_kind: str, float_dtype: np.dtype[Any],
                      fmt: Any, check: Any, layouts: Any) -> None:
    """Every length 0..70, so every SIMD body and tail is reached."""
    rng = np.random.default_rng(3)
    sv = fmt(float_dtype).specials()
    size = 4 * max(LENGTHS) + 2
    xp = np.resize(rng.permutation(sv), size)
    dyp = np.resize(rng.permutation(sv), size)
    slopes = np.resize(np.array(SLOPES, float_dtype), size)
    for n in LENGTHS:
        x = layouts[layout](xp[n:], n)
        dy = layouts[layout](dyp[n:], n)
        a = layouts[layout](rng.permutation(slopes), n) if slope_kind == "array" else 0.2
        check(name, dy, x, a)


@pytest.mark.parametrize("name", NAMES)
def test_strided_and_reversed_out(name: str, float_dtype: np.dtype[Any], sample: Any,
                                  same: Any) -> None:
    rng = np.random.default_rng(4)
    x, dy = sample(float_dtype, 67, rng), sample(float_dtype, 67, rng)
    want = call(name, reference, dy, x, 0.2)
    for view in (lambda b: b[::2], lambda b: b[::-1][:67], lambda b: b[1::3][:67]):
        buf = np.zeros(3 * 67 + 1, float_dtype)
        o = view(buf)[:67]
        assert call(name, nprelu, dy, x, 0.2, out=o) is o
        same(name, o, want, dy, x, 0.2)


# --------------------------------------------------------------------------- out=, where=, in place


@pytest.mark.parametrize("name", NAMES)
def test_out_and_where(name: str, float_dtype: np.dtype[Any], sample: Any,
                       assert_same: Any, same: Any) -> None:
    rng = np.random.default_rng(5)
    x, dy = sample(float_dtype, 200, rng), sample(float_dtype, 200, rng)
    a = np.resize(np.array(SLOPES, float_dtype), 200)
    want = call(name, reference, dy, x, a)
    for spelling in ("keyword", "tuple"):
        o = np.full(200, 7, float_dtype)
        r = call(name, nprelu, dy, x, a, out=o if spelling == "keyword" else (o,))
        assert r is o
        same(name, o, want, dy, x, a)
    mask = rng.random(200) < 0.5
    o = np.full(200, -7.25, float_dtype)
    assert call(name, nprelu, dy, x, a, out=o, where=mask) is o
    same(name, o[mask], want[mask], dy[mask], x[mask], a[mask])
    assert_same(o[~mask], np.full(int((~mask).sum()), -7.25, float_dtype))


IN_PLACE = [(name, target) for name in NAMES for target in ("x", "dy", "slope")
            if target != "dy" or name == "leaky_relu_backward"]


@pytest.mark.parametrize("name,target", IN_PLACE)
def test_in_place(name: str, target: str, float_dtype: np.dtype[Any], sample: Any,
                  same: Any) -> None:
    rng = np.random.default_rng(6)
    for n in (1, 7, 64, 257):
        x, dy = sample(float_dtype, n, rng), sample(float_dtype, n, rng)
        a = np.resize(np.array(SLOPES, float_dtype), n)
        want = call(name, reference, dy, x, a)
        before = dy.copy(), x.copy(), a.copy()
        out = {"x": x, "dy": dy, "slope": a}[target]
        assert call(name, nprelu, dy, x, a, out=out) is out
        same(name, out, want, *before)


@pytest.mark.parametrize("name", NAMES)
def test_overlapping_out(name: str, float_dtype: np.dtype[Any], sample: Any,
                         same: Any) -> None:
    """out overlaps x partly (shifted by one element either way)."""
    rng = np.random.default_rng(7)
    for src, dst in ((slice(None, -1), slice(1, None)), (slice(1, None), slice(None, -1))):
        buf = sample(float_dtype, 65, rng)
        dy = sample(float_dtype, 64, rng)
        x = buf[src].copy()
        want = call(name, reference, dy, x, 0.2)
        call(name, nprelu, dy, buf[src], 0.2, out=buf[dst])
        same(name, buf[dst], want, dy, x, 0.2)


# --------------------------------------------------------------------------- broadcasting: PReLU


@pytest.mark.parametrize("name", NAMES)
def test_prelu_channel_slopes(name: str, float_dtype: np.dtype[Any], sample: Any,
                              check: Any, same: Any) -> None:
    """One slope per channel: (N, C) with (C,) or (1, C); (C, H) with (C, 1);
    (N, C, H, W) with (C, 1, 1)."""
    rng = np.random.default_rng(8)
    a = np.array([0.0, 0.01, 0.25, 1.0, -0.5, 3.0], float_dtype)
    for shape, slope, axis in (((5, 6), a, 1), ((5, 6), a.reshape(1, 6), 1),
                               ((6, 7), a.reshape(6, 1), 0), ((2, 6, 3, 4), a.reshape(6, 1, 1), 1)):
        n = int(np.prod(shape))
        x = sample(float_dtype, n, rng).reshape(shape)
        dy = sample(float_dtype, n, rng).reshape(shape)
        got = check(name, dy, x, slope)
        assert got.shape == shape
        # channel by channel, the same as a scalar slope
        for c in range(6):
            sl = [slice(None)] * len(shape)
            sl[axis] = slice(c, c + 1)
            want = call(name, nprelu, dy[tuple(sl)], x[tuple(sl)], a[c])
            same(name, got[tuple(sl)], want, dy[tuple(sl)], x[tuple(sl)], a[c])


def test_broadcast_against_x_and_dy(check: Any) -> None:
    """Every operand may be the broadcast one."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 1, 3))
    dy = rng.standard_normal((5, 1))
    a = rng.standard_normal((1, 5, 1))
    got = check("leaky_relu_backward", dy, x, a)
    assert got.shape == (4, 5, 3)
    assert check("leaky_relu", 0, x, a).shape == (4, 5, 3)
    assert check("leaky_relu_grad", 0, -1.5, a).shape == (1, 5, 1)


# --------------------------------------------------------------------------- dtypes


def test_weak_python_float_slope_keeps_the_dtype(assert_same: Any) -> None:
    for dt in (np.float16, np.float32, np.float64, np.longdouble):
        x = np.array([-1.0, 2.0, -3.0], dt)
        for name in NAMES:
            r = call(name, nprelu, x, x, 0.01)
            assert r.dtype == dt, (name, dt)
            assert_same(r, call(name, reference, x, x, 0.01))
    # the Python float is rounded to the array's dtype first (NEP 50)
    x = np.array([-1.0], np.float16)
    assert raw(nprelu.leaky_relu(x, 0.01)) == raw(-np.float16(0.01))


def test_numpy_float64_slope_promotes(assert_same: Any) -> None:
    x = np.array([-1.0, 2.0], np.float32)
    want = np.nextafter(x, np.float64(0.01)).dtype  # float64 (NEP 50); float32 before NumPy 2
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        assert want == np.float64
    for name in NAMES:
        r = call(name, nprelu, x, x, np.float64(0.01))
        assert r.dtype == want
        assert_same(r, call(name, reference, x, x, np.float64(0.01)))
    # a float64 slope array always promotes
    r = nprelu.leaky_relu(x, np.array([0.01, 0.01]))
    assert r.dtype == np.float64
    assert_same(r, reference.leaky_relu(x.astype(np.float64), np.array([0.01, 0.01])))


def test_types_attribute() -> None:
    for name, nin in (("leaky_relu", 2), ("leaky_relu_grad", 2), ("leaky_relu_backward", 3)):
        f = getattr(nprelu, name)
        assert f.types[:4] == [c * nin + "->" + c for c in "efdg"]
        assert (f.nin, f.nout) == (nin, 1)


TYPE_CASES = [
    (np.float16, np.float16, np.float16), (np.float16, np.float32, np.float32),
    (np.float32, np.float16, np.float32), (np.float32, np.float64, np.float64),
    (np.float64, np.longdouble, np.longdouble), (np.int8, np.float16, np.float16),
    (np.int16, np.float16, np.float32), (np.int32, np.float32, np.float64),
    (np.uint8, np.float32, np.float32), (np.int64, np.float64, np.float64), (bool, np.float16, np.float16),
]


@pytest.mark.parametrize("xt,at,want", TYPE_CASES, ids=lambda t: np.dtype(t).name)
def test_result_dtypes(xt: Any, at: Any, want: Any, assert_same: Any) -> None:
    """Mixed array dtypes resolve over e f d g as NumPy's search does."""
    x = np.array([-2, 0, 3]).astype(xt)
    a = np.array([0.5, 0.5, 0.5], at)
    for name in NAMES:
        r = call(name, nprelu, a, x, a)
        assert r.dtype == want, name
        assert_same(r, call(name, reference, a, x, a))
    # the reference resolves two operands as np.nextafter (the same loops) does
    assert reference.leaky_relu(x, a).dtype == np.nextafter(x, a).dtype


def test_all_python_scalars(assert_same: Any) -> None:
    """All operands Python numbers: float64, as np.nextafter gives."""
    for args in ((-2.0, 0.5), (-2, 1)):
        r = nprelu.leaky_relu(*args)
        assert type(r) is np.float64
        assert_same(r, reference.leaky_relu(*args))
    # a Python bool is not weak: np.bool_ with a weak 0.5 resolves to float16
    r = nprelu.leaky_relu(True, 0.5)
    assert type(r) is type(np.nextafter(True, 0.5))
    assert_same(r, reference.leaky_relu(True, 0.5))
    r = nprelu.leaky_relu_backward(1.0, -2.0, 0.5)
    assert type(r) is np.float64 and r == 0.5
    assert_same(r, reference.leaky_relu_backward(1.0, -2.0, 0.5))


def test_non_native_byte_order(assert_same: Any) -> None:
    x = np.array([-2.0, 3.0, np.nan, -0.0], ">f4")
    for name in NAMES:
        r = call(name, nprelu, x, x, np.array(0.25, ">f4"))
        w = call(name, reference, x, x, np.array(0.25, ">f4"))
        assert r.dtype.isnative and w.dtype.isnative
        assert_same(r, w)
        assert_same(r, call(name, nprelu, x.astype("f4"), x.astype("f4"), 0.25))


def test_alpha_zero_is_relu_up_to_signed_zeros(float_dtype: np.dtype[Any], sample: Any,
                                               assert_same: Any) -> None:
    """With a = 0 the family equals relu's, except for signed zeros (and -inf,
    whose product with 0 is NaN)."""
    rng = np.random.default_rng(10)
    x, dy = sample(float_dtype, 500, rng), sample(float_dtype, 500, rng)
    fin = np.isfinite(x) & np.isfinite(dy)
    x, dy = x[fin], dy[fin]
    zero = np.zeros((), float_dtype)
    # adding +0 turns -0 into +0; it also quiets signalling NaNs, which flags
    with np.errstate(all="ignore"):
        _alpha_zero_checks(x, dy, zero, assert_same)


def _alpha_zero_checks(x: np.ndarray, dy: np.ndarray, zero: np.ndarray, assert_same: Any) -> None:
    assert_same(nprelu.leaky_relu(x, zero) + zero, nprelu.relu(x) + zero)
    assert_same(nprelu.leaky_relu_grad(x, zero), nprelu.relu_grad(x))
    assert_same(nprelu.leaky_relu_backward(dy, x, zero) + zero, nprelu.relu_backward(dy, x) + zero)
