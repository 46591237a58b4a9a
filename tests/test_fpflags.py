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




def _unaligned(a: np.ndarray) -> np.ndarray:
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out = buf[1:].view(a.dtype)
    out[...] = a
    return out


LAYOUTS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "contiguous": lambda p, n: p[:n],
    "stride2": lambda p, n: p[: 2 * n : 2],
    "stride3": lambda p, n: p[: 3 * n : 3],
    "reversed": lambda p, n: p[:n][::-1],
    "transposed": lambda p, n: p[: 3 * n].reshape(n, 3).T,
    "unaligned": lambda p, n: _unaligned(p[:n]),
}
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
                        assert_same: Any, strict_fp: Any) -> None:
    xpool, dypool = pools(fmt, float_dtype)
    for n in LENGTHS:
        x = LAYOUTS[layout](xpool[n:], n)
        args = (LAYOUTS[layout](dypool[n:], n), x) if name == "relu_backward" else (x,)
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
                                     assert_same: Any) -> None:
    """With NumPy's default error state (invalid='warn'), nothing is emitted."""
    xpool, dypool = pools(fmt, float_dtype)
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in LENGTHS:
            for layout in ("contiguous", "stride2", "reversed"):
                x = LAYOUTS[layout](xpool[n:], n)
                args = ((LAYOUTS[layout](dypool[n:], n), x) if name == "relu_backward"
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
