"""No floating-point exception flag is ever raised by any loop, for any input.

A plain C ``x > 0`` on a NaN sets FE_INVALID on x86 (and a signalling NaN sets
it even for a quiet compare); NumPy turns a flag left by a loop into a
``RuntimeWarning`` ("invalid value encountered in relu"), or into a
``FloatingPointError`` under ``np.errstate(all='raise')``.  Every ufunc is run
here on NaNs (quiet and signalling, both signs, with payloads), infinities,
subnormals and signed zeros, at every length 0..70 (every SIMD tail) and in
every layout the loops specialise for, first with all errors raising, then
with the default error state and every warning recorded.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]
LENGTHS = range(71)





LAYOUTS = ("contiguous", "stride2", "stride3", "reversed", "transposed", "unaligned")
POOL = 4 * max(LENGTHS) + 1 + max(LENGTHS)


def pools(fmt: Any, dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(x, dy) pools made of special values only, in two different orders."""
    sv = fmt(dtype).specials()
    rng = np.random.default_rng(0)
    return np.resize(sv, POOL), np.resize(rng.permutation(sv), POOL)


def run(name: str, args: tuple[np.ndarray, ...], **kw: Any) -> tuple[np.ndarray, ...]:
    r = getattr(nprelu, name)(*args, **kw)
    return r if isinstance(r, tuple) else (r,)


def expected(name: str, args: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    r = getattr(reference, name)(*args)
    return r if isinstance(r, tuple) else (r,)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", NAMES)
def test_errstate_raise(name: str, layout: str, float_dtype: np.dtype[Any], fmt: Any,
                        assert_same: Any, strict_fp: Any, layouts: Any) -> None:
    xpool, dypool = pools(fmt, float_dtype)
    for n in LENGTHS:
        x = layouts[layout](xpool[n:], n)
        args = (layouts[layout](dypool[n:], n), x) if name == "relu_backward" else (x,)
        want = expected(name, tuple(a.copy() for a in args))
        with strict_fp(f"{name}, {float_dtype}, {layout}, n={n}"):
            got = run(name, args)
        for g, w in zip(got, want, strict=True):
            assert_same(g, w)


@pytest.mark.parametrize("name", NAMES)
def test_errstate_raise_inplace_and_out(name: str, float_dtype: np.dtype[Any], fmt: Any,
                                        assert_same: Any, strict_fp: Any) -> None:
    xpool, dypool = pools(fmt, float_dtype)
    for n in LENGTHS:
        x0, dy0 = xpool[n : 2 * n].copy(), dypool[n : 2 * n].copy()
        args0 = (dy0, x0) if name == "relu_backward" else (x0,)
        want = expected(name, args0)
        # in place: the (last) input is the (first) output
        args = tuple(a.copy() for a in args0)
        outs = (args[-1],) + tuple(np.empty_like(w) for w in want[1:])
        with strict_fp(f"{name} in place, {float_dtype}, n={n}"):
            run(name, args, out=outs)
        for o, w in zip(outs, want, strict=True):
            assert_same(o, w)
        # strided outputs
        outs = tuple(np.zeros(2 * n, w.dtype)[::2] for w in want)
        with strict_fp(f"{name} strided out, {float_dtype}, n={n}"):
            run(name, args0, out=outs)
        for o, w in zip(outs, want, strict=True):
            assert_same(o, w)


def test_errstate_raise_backward_all_pairs(float_dtype: np.dtype[Any], fmt: Any,
                                           assert_same: Any, strict_fp: Any) -> None:
    """relu_backward on every (dy, x) pair of special values."""
    sv = fmt(float_dtype).specials()
    dy, x = (a.ravel() for a in np.meshgrid(sv, sv, indexing="ij"))
    want = reference.relu_backward(dy, x)
    with strict_fp(f"relu_backward all pairs, {float_dtype}"):
        got = nprelu.relu_backward(dy, x)
    assert_same(got, want)


@pytest.mark.parametrize("name", NAMES)
def test_errstate_raise_scalars(name: str, float_dtype: np.dtype[Any], fmt: Any,
                                assert_same: Any, strict_fp: Any) -> None:
    """NumPy scalars and 0-d arrays (the n == 1 path through the scalar machinery)."""
    for v in fmt(float_dtype).specials():
        for arg in (v, np.array(v)):
            args = (arg, arg) if name == "relu_backward" else (arg,)
            want = expected(name, args)
            with strict_fp(f"{name}({v!r})"):
                got = run(name, args)
            for g, w in zip(got, want, strict=True):
                assert isinstance(g, np.generic)
                assert_same(g, w)


@pytest.mark.parametrize("name", ["relu", "relu_grad", "relu_and_grad"])
def test_errstate_raise_integers(name: str, int_dtype: np.dtype[Any], assert_same: Any, strict_fp: Any) -> None:
    info = np.iinfo(int_dtype)
    x = np.array([info.min, -1 if info.min else 0, 0, 1, info.max], dtype=int_dtype)
    want = expected(name, (x,))
    with strict_fp(f"{name}, {int_dtype}"):
        got = run(name, (x,))
    for g, w in zip(got, want, strict=True):
        assert_same(g, w)


@pytest.mark.parametrize("name", NAMES)
def test_default_errstate_no_warning(name: str, float_dtype: np.dtype[Any], fmt: Any,
                                     assert_same: Any, layouts: Any) -> None:
    """With NumPy's default error state (invalid='warn'), nothing is emitted."""
    xpool, dypool = pools(fmt, float_dtype)
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in LENGTHS:
            for layout in ("contiguous", "stride2", "reversed"):
                x = layouts[layout](xpool[n:], n)
                args = ((layouts[layout](dypool[n:], n), x) if name == "relu_backward"
                        else (x,))
                run(name, args)
    assert [str(w.message) for w in caught] == []


def test_strict_fp_catches_a_flag(strict_fp: Any) -> None:
    """The harness itself: a NumPy loop that does raise FE_INVALID is caught."""
    with pytest.raises(pytest.fail.Exception, match="FloatingPointError"):
        with strict_fp("np.sqrt(-1)"):
            np.sqrt(np.array([-1.0]))
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.sqrt(np.array([-1.0]))
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)


# --------------------------------------------------------------------------- casts
#
# The claim is "no flag for operands already in the loop's dtype".  When NumPy
# casts an operand to the loop's dtype or the result to out's dtype, the cast
# raises what casts raise: float32 signalling NaN -> float64 sets "invalid";
# 1e300 -> float32 sets "overflow".  NumPy names the cast in the message when
# it converts a whole small operand before the loop, and the ufunc when it
# converts in buffered chunks (large operands, a cast output); NumPy's own
# ufuncs get exactly the same messages on the same operands.  Each test shows
# (a) the message, (b) that the cast alone raises the flag, (c) that the loop
# on the operands already cast raises nothing, and (d) that np.add /
# np.negative / np.positive report the same message under the same cast.


def _snan32(n: int = 1) -> np.ndarray:
    return np.full(n, 0x7F800001, np.uint32).view(np.float32)


def _messages(f: Callable[[], object]) -> list[str]:
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f()
    return [str(w.message) for w in caught]


def _quiet_cast(a: np.ndarray, dtype: Any) -> np.ndarray:
    with np.errstate(all="ignore"):
        return a.astype(dtype)


def test_snan_input_cast_in_relu_backward(assert_same: Any, strict_fp: Any) -> None:
    dy, x = _snan32(), np.ones(1)
    # (a) the message names the cast
    assert _messages(lambda: nprelu.relu_backward(dy, x)) == ["invalid value encountered in cast"]
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError, match="in cast"):
        nprelu.relu_backward(dy, x)
    # (b) the cast alone
    assert _messages(lambda: dy.astype(np.float64)) == ["invalid value encountered in cast"]
    # (c) the loop on float64 operands: nothing, and the same result
    dy64 = _quiet_cast(dy, np.float64)
    with strict_fp("relu_backward on float64 operands"):
        got = nprelu.relu_backward(dy64, x)
    assert_same(got, reference.relu_backward(dy64, x))
    # (d) NumPy's own binary ufunc on the same operands
    assert _messages(lambda: np.add(dy, x)) == ["invalid value encountered in cast"]
    # the x operand goes through the same cast
    assert _messages(lambda: nprelu.relu_backward(x, dy)) == ["invalid value encountered in cast"]


def test_snan_input_cast_in_buffered_chunks_is_named_after_the_ufunc(strict_fp: Any) -> None:
    n = 100_000  # several of NumPy's buffers
    dy, x = _snan32(n), np.ones(n)
    got = _messages(lambda: nprelu.relu_backward(dy, x))
    assert got == ["invalid value encountered in relu_backward"]
    assert _messages(lambda: np.add(dy, x)) == ["invalid value encountered in add"]
    with strict_fp("relu_backward on float64 operands"):
        nprelu.relu_backward(_quiet_cast(dy, np.float64), x)


def test_snan_output_cast_reported_as_relu(strict_fp: Any) -> None:
    """relu(f32 sNaN, out=f64): the loop runs in float32 (no flag) and NumPy's
    cast of the result to float64 sets "invalid", reported under relu's name."""
    x, out = _snan32(), np.empty(1)
    assert _messages(lambda: nprelu.relu(x, out=out)) == ["invalid value encountered in relu"]
    # the loop in float32 alone: nothing, and the sNaN comes back unchanged
    with strict_fp("relu float32 -> float32"):
        y = nprelu.relu(x)
    assert y.view(np.uint32)[0] == 0x7F800001
    # the cast of that result alone
    assert _messages(lambda: y.astype(np.float64)) == ["invalid value encountered in cast"]
    # NumPy's own unary ufunc under the same output cast
    assert _messages(lambda: np.negative(x, out=out)) == ["invalid value encountered in negative"]


def test_overflow_output_cast_reported_as_relu(strict_fp: Any) -> None:
    x, out = np.array([1e300]), np.empty(1, np.float32)
    assert _messages(lambda: nprelu.relu(x, out=out)) == ["overflow encountered in relu"]
    assert out[0] == np.inf
    with strict_fp("relu float64 -> float64"):
        nprelu.relu(x)
    assert _messages(lambda: x.astype(np.float32)) == ["overflow encountered in cast"]
    assert _messages(lambda: np.positive(x, out=out)) == ["overflow encountered in positive"]


def test_overflow_input_cast_for_dtype(strict_fp: Any) -> None:
    """dtype=float32 casts the input before the loop: the message names the cast."""
    x = np.array([1e300])
    assert _messages(lambda: nprelu.relu(x, dtype=np.float32)) == ["overflow encountered in cast"]
    assert _messages(lambda: np.positive(x, dtype=np.float32)) == ["overflow encountered in cast"]
    with strict_fp("relu on float32 inf"):
        nprelu.relu(_quiet_cast(x, np.float32))


@pytest.mark.parametrize("name", ["relu", "relu_grad", "relu_and_grad", "relu_backward"])
def test_no_flag_when_a_cast_is_exact(name: str, strict_fp: Any) -> None:
    """A cast that is exact raises nothing either: float32 quiet NaN, inf and
    subnormals into a float64 loop."""
    sv = np.array([np.nan, -np.nan, np.inf, -np.inf, 1e-45, -1e-45, 0.0, -0.0], np.float32)
    with strict_fp(f"{name} with an exact float32 -> float64 cast"):
        if name == "relu_backward":
            nprelu.relu_backward(sv, np.ones(sv.shape))
            nprelu.relu_backward(np.ones(sv.shape), sv)
        else:
            getattr(nprelu, name)(sv, dtype=np.float64)
