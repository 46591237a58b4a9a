"""Floating-point flags of the leaky family.

None from an element whose result is not a product: ``x > 0`` (every
function), NaN ``x`` in ``leaky_relu``, and every element of
``leaky_relu_grad``, which never multiplies.  The loops must not multiply
lanes they do not return: no overflow from ``3e38 * 10`` on a positive ``x``,
no invalid from ``0 * inf`` or from a signalling NaN ``x``.  Where the result
is a product, the flags are exactly those ``np.multiply`` raises for the same
factors, float16 included (overflow, underflow, invalid).

Flags are observed two ways: ``np.errstate(all="raise")`` (the exception, or
none), and ``np.errstate(all="call")``, which reports the exact set of flags
a call left.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import nprelu

NAMES = ["leaky_relu", "leaky_relu_grad", "leaky_relu_backward"]
LENGTHS = range(71)


def call(name: str, dy: Any, x: Any, a: Any, **kw: Any) -> Any:
    f = getattr(nprelu, name)
    return f(dy, x, a, **kw) if name == "leaky_relu_backward" else f(x, a, **kw)


@contextmanager
def recorded_flags() -> Iterator[list[int]]:
    """The FP flags NumPy saw, as the bitmask it reports (1 divide, 2 overflow,
    4 underflow, 8 invalid); no warning either way."""
    seen: list[int] = []

    def record(kind: str, flag: int) -> None:
        seen.append(flag)

    with np.errstate(all="call", call=record), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield seen


def flags_of(fn: Callable[[], Any]) -> int:
    with recorded_flags() as seen:
        fn()
    mask = 0
    for f in seen:
        mask |= f
    return mask


def raised(fn: Callable[[], Any]) -> type[BaseException] | None:
    """The exception under errstate(all='raise'), or None."""
    with np.errstate(all="raise"):
        try:
            fn()
        except FloatingPointError as e:
            return type(e)
    return None


def u(dtype: Any, *patterns: int) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    return np.array(patterns, dtype=f"u{size}").view(dtype)


# --------------------------------------------------------------------------- the named cases


def test_no_overflow_from_positive_x(strict_fp: Any) -> None:
    x = np.array([3e38, 1.0], np.float32)
    with strict_fp("leaky_relu([3e38, 1.0], 10.0)"):
        r = nprelu.leaky_relu(x, 10.0)
    assert r.tolist() == x.tolist()
    # the product of a returned lane would overflow: np.multiply does
    assert raised(lambda: np.multiply(x, np.float32(10.0))) is FloatingPointError


@pytest.mark.parametrize("name", NAMES)
def test_no_invalid_from_inf_slope_on_positive_x(name: str, float_dtype: np.dtype[Any],
                                                 fmt: Any, strict_fp: Any) -> None:
    """slope inf with x > 0 (including +inf and subnormals): nothing is 0 * inf."""
    cases = fmt(float_dtype).cases()["positive"]
    x = np.concatenate([v for _, v in cases])
    dy = np.zeros_like(x)  # 0 * inf would be invalid, were dy multiplied
    for a in (np.inf, -np.inf, np.array(np.inf, float_dtype), np.full(x.shape, np.inf, float_dtype)):
        with strict_fp(f"{name}, {float_dtype}, slope {a!r}"):
            call(name, dy, x, a)


@pytest.mark.parametrize("name", NAMES)
def test_no_overflow_from_huge_slope_on_positive_x(name: str, float_dtype: np.dtype[Any],
                                                   strict_fp: Any) -> None:
    big = np.finfo(float_dtype).max
    x = np.array([big, 1.0, np.finfo(float_dtype).smallest_subnormal], float_dtype)
    dy = np.full_like(x, big)
    with strict_fp(f"{name}, {float_dtype}, slope max"):
        call(name, dy, x, big)
        call(name, dy, x, np.full_like(x, -big))
    tiny = np.finfo(float_dtype).smallest_subnormal
    with strict_fp(f"{name}, {float_dtype}, slope tiny (would underflow)"):
        call(name, np.full_like(x, tiny), x, tiny)


@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_no_invalid_from_nan_x(name: str, float_dtype: np.dtype[Any], fmt: Any,
                               strict_fp: Any, assert_same: Any) -> None:
    """A NaN x (signalling too) is returned by leaky_relu and gives the slope in
    leaky_relu_grad: neither multiplies nor compares loudly."""
    nans = np.concatenate([v for _, v in fmt(float_dtype).cases()["nan"]])
    for a in (0.5, np.inf, 0.0, np.array(3.0, float_dtype)):
        with strict_fp(f"{name}, {float_dtype}, NaN x, slope {a!r}"):
            r = call(name, None, nans, a)
        if name == "leaky_relu":
            assert_same(r, nans)


def test_backward_snan_x_finite_dy(float_dtype: np.dtype[Any], fmt: Any,
                                   strict_fp: Any, assert_same: Any) -> None:
    """A signalling NaN x takes the negative branch: dy * a, finite here, so no
    flag (the comparison on x must be quiet)."""
    nans = np.concatenate([v for _, v in fmt(float_dtype).cases()["nan"]])
    dy = np.resize(np.array([1.5, -2.0, 0.0, -0.0, 4.0], float_dtype), nans.size)
    with strict_fp(f"leaky_relu_backward, {float_dtype}, NaN x, finite dy"):
        r = nprelu.leaky_relu_backward(dy, nans, 0.5)
    with np.errstate(all="raise"):
        assert_same(r, np.multiply(dy, float_dtype.type(0.5)))


def test_snan_x_single_elements(float_dtype: np.dtype[Any], fmt: Any) -> None:
    """The brief's cases one element at a time, under errstate(all='raise')."""
    for label, v in fmt(float_dtype).cases()["nan"]:
        assert raised(lambda: nprelu.leaky_relu(v, 10.0)) is None, label
        assert raised(lambda: nprelu.leaky_relu_grad(v, np.inf)) is None, label
        assert raised(lambda: nprelu.leaky_relu_backward(np.ones_like(v), v, 2.0)) is None, label


# --------------------------------------------------------------------------- products: the flags of np.multiply


def product_cases(fmt: Any, dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(factor, slope) pairs: every special value times every special slope."""
    sv = fmt(dtype).specials()
    extra = np.array([10.0, 0.5, -0.5, 1e-3, 3.0, -10.0], dtype)
    slopes = np.concatenate([sv, extra])
    return np.repeat(sv, slopes.size), np.tile(slopes, sv.size)


def test_products_flag_as_np_multiply_per_element(float_dtype: np.dtype[Any], fmt: Any) -> None:
    """Each element alone: exactly np.multiply's flags where the result is a
    product, none where it is not."""
    factors, slopes = product_cases(fmt, float_dtype)
    bad = []
    for i in range(factors.size):
        f, a = factors[i : i + 1], slopes[i : i + 1]
        with np.errstate(invalid="ignore"):
            f_positive = bool(f[0] > 0)
        f_nan = bool(np.isnan(f[0]))
        want_mul = flags_of(lambda: np.multiply(f, a))
        # leaky_relu(x=f, a): a product unless x > 0 or NaN
        want = 0 if (f_positive or f_nan) else want_mul
        got = flags_of(lambda: nprelu.leaky_relu(f, a))
        if got != want:
            bad.append(f"leaky_relu({f[0]!r}, {a[0]!r}): flags {got}, np.multiply {want}")
        # leaky_relu_backward(dy=f, x, a) with x <= 0, NaN or > 0
        for x, is_product in ((-1.0, True), (-0.0, True), (np.nan, True), (2.0, False)):
            xa = np.array([x], float_dtype)
            want = want_mul if is_product else 0
            got = flags_of(lambda: nprelu.leaky_relu_backward(f, xa, a))
            if got != want:
                bad.append(f"leaky_relu_backward({f[0]!r}, {x}, {a[0]!r}): flags {got}, "
                           f"np.multiply {want}")
        # leaky_relu_grad never multiplies
        got = flags_of(lambda: nprelu.leaky_relu_grad(f, a))
        if got:
            bad.append(f"leaky_relu_grad({f[0]!r}, {a[0]!r}): flags {got}")
        # and the same by exception class, as a user sees it
        if not (f_positive or f_nan):
            assert raised(lambda: nprelu.leaky_relu(f, a)) is raised(lambda: np.multiply(f, a))
    assert bad == [], "\n".join(bad[:20]) + f"\n({len(bad)} in all)"


FLOAT16_PRODUCTS = [
    # (x bits, slope bits, what np.multiply raises)
    (0xFBFF, 0x4900, "overflow"),  # -65504 * 10
    (0x8400, 0x3800, "exact subnormal"),  # -min_normal * 0.5
    (0x8401, 0x3800, "inexact subnormal"),  # rounds: underflow
    (0x8001, 0x3800, "to zero"),  # -min_subnormal * 0.5 -> -0
    (0x8001, 0x3555, "to zero, inexact"),
    (0xFC00, 0x0000, "invalid: -inf * 0"),
    (0x8000, 0x7C00, "invalid: -0 * inf"),
    (0xBC00, 0x7C01, "signalling NaN slope"),
    (0xBC00, 0x7E00, "quiet NaN slope"),
]


@pytest.mark.parametrize("case", FLOAT16_PRODUCTS, ids=lambda c: c[2])
def test_float16_products(case: tuple[int, int, str]) -> None:
    x, a = u(np.float16, case[0]), u(np.float16, case[1])
    want = flags_of(lambda: np.multiply(x, a))
    assert flags_of(lambda: nprelu.leaky_relu(x, a)) == want
    assert flags_of(lambda: nprelu.leaky_relu_backward(x, u(np.float16, 0xBC00), a)) == want
    assert raised(lambda: nprelu.leaky_relu(x, a)) is raised(lambda: np.multiply(x, a))
    assert flags_of(lambda: nprelu.leaky_relu_grad(x, a)) == 0


def test_float16_cases_do_flag() -> None:
    """The float16 table covers overflow, underflow and invalid as np.multiply
    raises them here (so the comparison above is not vacuous)."""
    union = 0
    for xb, ab, _ in FLOAT16_PRODUCTS:
        union |= flags_of(lambda: np.multiply(u(np.float16, xb), u(np.float16, ab)))
    assert union & 2 and union & 4 and union & 8, union


# --------------------------------------------------------------------------- arrays: every length and layout



LAYOUTS = ("contiguous", "stride2", "reversed", "unaligned")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", NAMES)
def test_array_flags_are_those_of_the_products(name: str, layout: str,
                                               float_dtype: np.dtype[Any], fmt: Any, layouts: Any) -> None:
    """At every length 0..70 (SIMD bodies and tails), a call's flags are
    exactly those of np.multiply over the elements whose result is a product:
    lanes that are returned unmultiplied contribute nothing."""
    rng = np.random.default_rng(0)
    sv = fmt(float_dtype).specials()
    big = np.finfo(float_dtype).max
    # positive lanes would overflow or be invalid if multiplied
    positive = np.array([big, 1.0, np.inf, np.finfo(float_dtype).smallest_subnormal], float_dtype)
    size = 3 * max(LENGTHS) + 2
    xp = np.resize(np.concatenate([sv, positive, positive]), size)[rng.permutation(size)]
    dyp = np.resize(rng.permutation(np.concatenate([sv, positive])), size)
    ap = np.resize(np.array([10.0, np.inf, 0.0, 0.5, big, np.nan], float_dtype), size)
    for n in LENGTHS:
        x, dy = layouts[layout](xp[n:], n), layouts[layout](dyp[n:], n)
        a = layouts[layout](rng.permutation(ap), n)
        xc, dyc, ac = x.copy(), dy.copy(), a.copy()
        with np.errstate(invalid="ignore"):
            taken = ~(xc > 0)
        if name == "leaky_relu":
            taken &= ~np.isnan(xc)
            want = flags_of(lambda: np.multiply(xc[taken], ac[taken]))
        elif name == "leaky_relu_backward":
            want = flags_of(lambda: np.multiply(dyc[taken], ac[taken]))
        else:
            want = 0
        got = flags_of(lambda: call(name, dy, x, a))
        assert got == want, f"{name}, {float_dtype}, {layout}, n={n}: flags {got}, want {want}"
        # a scalar slope too: np.inf makes every product of a finite nonzero
        # factor overflow-free but 0 * inf invalid
        s = float_dtype.type(np.inf)
        if name == "leaky_relu":
            want = flags_of(lambda: np.multiply(xc[taken], s))
        elif name == "leaky_relu_backward":
            want = flags_of(lambda: np.multiply(dyc[taken], s))
        got = flags_of(lambda: call(name, dy, x, s))
        assert got == want, f"{name}, {float_dtype}, {layout}, n={n}, slope inf: {got} != {want}"


@pytest.mark.parametrize("name", NAMES)
def test_positive_only_arrays_never_flag(name: str, float_dtype: np.dtype[Any],
                                         strict_fp: Any) -> None:
    """All x > 0 and slopes/dy chosen so that any product would flag: nothing."""
    big = np.finfo(float_dtype).max
    for n in LENGTHS:
        x = np.resize(np.array([big, np.inf, 1.0, np.finfo(float_dtype).smallest_subnormal],
                               float_dtype), n)
        dy = np.resize(np.array([big, 0.0, np.inf, -big], float_dtype), n)
        with strict_fp(f"{name}, {float_dtype}, n={n}"):
            call(name, dy, x, float_dtype.type(big))
            call(name, dy, x, float_dtype.type(np.inf))
            call(name, dy[::-1], x[::-1], np.resize(np.array([big, np.inf, 0.0], float_dtype), n))
