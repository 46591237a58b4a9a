"""The ``ml_dtypes`` types: bfloat16, float8, float6, float4, int4, int2.

With ``ml_dtypes`` importable, ``import nprelu`` registers relu-family loops
for its types, same type out.  Every bit pattern of every format is checked
(65,536 for bfloat16, 256 for float8, and all 256 bytes of the sub-byte types:
a byte with bits set above the format's width, as `int8_array.view(int4)` or
np.frombuffer make them, gives the result of the value ml_dtypes reads from
it, written canonically as ml_dtypes writes it).

The expected bits come from ``ml_dtypes``' own conversion to float32 (``> 0``,
``isnan``) in an oracle written in this file, never from nprelu; that oracle
is checked against the SPEC's table written out as literal ranges, and
``nprelu.reference`` is checked against the oracle.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

ml_dtypes = pytest.importorskip(
    "ml_dtypes", reason="ml_dtypes is not installed; its loops are optional (pip install '.[test]')")

import nprelu  # noqa: E402
from nprelu import reference  # noqa: E402

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]
UNARY = ["relu", "relu_grad", "relu_and_grad"]

# Storage bits of each format (canonical storage: the bits above them clear).
WIDTH = {
    "bfloat16": 16,
    "float8_e3m4": 8, "float8_e4m3": 8, "float8_e4m3fn": 8, "float8_e4m3fnuz": 8,
    "float8_e4m3b11fnuz": 8, "float8_e5m2": 8, "float8_e5m2fnuz": 8,
    "float6_e2m3fn": 6, "float6_e3m2fn": 6, "float4_e2m1fn": 4,
    "int4": 4, "uint4": 4, "int2": 2, "uint2": 2,
    "float8_e5m3fnu": 8,
}
# Formats that older ml_dtypes releases we admit do not have.
NEWER = {"float8_e5m3fnu": "0.7"}
FORMATS = [name for name in WIDTH if hasattr(ml_dtypes, name)]
FLOAT_FORMATS = [name for name in FORMATS if not name.startswith(("int", "uint"))]
NARROW = [name for name in FORMATS if WIDTH[name] <= 8]


def R(lo: int, hi: int) -> range:
    """The patterns lo..hi, both included (as the SPEC writes ranges)."""
    return range(lo, hi + 1)


# The SPEC's table, written out by hand: format -> (positive, NaN, bits of one).
# Every other pattern is +0 or dropped to +0 by relu.
SPEC_TABLE: dict[str, tuple[list[range], list[range], int]] = {
    "bfloat16": ([R(0x0001, 0x7F80)], [R(0x7F81, 0x7FFF), R(0xFF81, 0xFFFF)], 0x3F80),
    "float8_e4m3fn": ([R(0x01, 0x7E)], [R(0x7F, 0x7F), R(0xFF, 0xFF)], 0x38),
    "float8_e4m3fnuz": ([R(0x01, 0x7F)], [R(0x80, 0x80)], 0x40),
    "float8_e5m2fnuz": ([R(0x01, 0x7F)], [R(0x80, 0x80)], 0x40),
    "float8_e4m3b11fnuz": ([R(0x01, 0x7F)], [R(0x80, 0x80)], 0x58),
    "float8_e5m2": ([R(0x01, 0x7C)], [R(0x7D, 0x7F), R(0xFD, 0xFF)], 0x3C),
    "float8_e4m3": ([R(0x01, 0x78)], [R(0x79, 0x7F), R(0xF9, 0xFF)], 0x38),
    "float8_e3m4": ([R(0x01, 0x70)], [R(0x71, 0x7F), R(0xF1, 0xFF)], 0x30),
    "float6_e2m3fn": ([R(0x01, 0x1F)], [], 0x08),
    "float6_e3m2fn": ([R(0x01, 0x1F)], [], 0x0C),
    "float4_e2m1fn": ([R(0x1, 0x7)], [], 0x2),
    "int4": ([R(1, 7)], [], 1),
    "uint4": ([R(1, 15)], [], 1),
    "int2": ([R(1, 1)], [], 1),
    "uint2": ([R(1, 3)], [], 1),
    "float8_e5m3fnu": ([R(0x01, 0xFE)], [R(0xFF, 0xFF)], 0x78),
}


def dtype_of(name: str) -> np.dtype[Any]:
    return np.dtype(getattr(ml_dtypes, name))


def utype(name: str) -> str:
    return f"u{dtype_of(name).itemsize}"


def canonical_patterns(name: str) -> np.ndarray:
    """Every canonical bit pattern of the format, in order."""
    return np.arange(1 << WIDTH[name], dtype=utype(name)).view(dtype_of(name))


def patterns(name: str) -> np.ndarray:
    """Every storage pattern, in order: all 256 bytes of the 8-bit storage
    (of sub-byte formats too), all 65,536 of bfloat16."""
    return np.arange(1 << (8 * dtype_of(name).itemsize), dtype=utype(name)).view(dtype_of(name))


def raw(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(f"u{a.dtype.itemsize}")


def from_bits(name: str, b: Any) -> np.ndarray:
    return np.asarray(b, dtype=utype(name)).view(dtype_of(name))


# --------------------------------------------------------------------------- the oracle


def classify(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x > 0, isnan(x)) by ml_dtypes' conversion to float32."""
    f = np.asarray(x).astype(np.float32)
    with np.errstate(invalid="ignore"):
        return f > 0, np.isnan(f)


def one_bits(name: str) -> int:
    return int(np.array([1.0], np.float32).astype(dtype_of(name)).view(utype(name))[0])


def canonical(x: np.ndarray) -> np.ndarray:
    """The bits ml_dtypes writes for the value it reads from each element:
    converted to float32 and back (exact for every format), NaNs as stored."""
    x = np.asarray(x)
    f = x.astype(np.float32)
    with np.errstate(all="ignore"):
        back = raw(f.astype(x.dtype))
    return np.where(np.isnan(f), raw(x), back).astype(raw(x).dtype)


def oracle_relu(x: np.ndarray) -> np.ndarray:
    pos, nan = classify(x)
    return np.where(pos | nan, canonical(x), 0).astype(raw(x).dtype).view(x.dtype)


def oracle_grad(x: np.ndarray) -> np.ndarray:
    pos, _ = classify(x)
    return np.where(pos, one_bits(x.dtype.name), 0).astype(raw(x).dtype).view(x.dtype)


def oracle_backward(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    pos, _ = classify(x)
    return np.where(pos, canonical(dy), 0).astype(raw(dy).dtype).view(dy.dtype)


ORACLE: dict[str, Callable[..., Any]] = {
    "relu": oracle_relu,
    "relu_grad": oracle_grad,
    "relu_backward": oracle_backward,
    "relu_and_grad": lambda x: (oracle_relu(x), oracle_grad(x)),
}


def as_tuple(r: Any) -> tuple[Any, ...]:
    return r if isinstance(r, tuple) else (r,)


def args_for(name: str, x: np.ndarray, seed: int = 0) -> tuple[np.ndarray, ...]:
    """(x,) or (dy, x) with dy a permutation of x's patterns."""
    if name != "relu_backward":
        return (x,)
    rng = np.random.default_rng(seed)
    return (np.ascontiguousarray(x.reshape(-1)[rng.permutation(x.size)].reshape(x.shape)), x)


@pytest.fixture(params=FORMATS)
def fmt_name(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- the oracle is the SPEC


def test_every_listed_format_present() -> None:
    """The formats the SPEC lists are all in the installed ml_dtypes (those
    newer than it excepted), and nprelu registered loops for each."""
    version = tuple(int(p) for p in ml_dtypes.__version__.split(".")[:2])
    expected = [n for n in WIDTH
                if n not in NEWER or version >= tuple(int(p) for p in NEWER[n].split("."))]
    assert FORMATS == expected, sorted(set(expected) ^ set(FORMATS))
    assert set(reference.ML_TYPES) == set(WIDTH)
    from nprelu import _ufuncs
    assert sorted(_ufuncs._registered_formats) == sorted(FORMATS)


def test_widths_are_ml_dtypes_own(fmt_name: str) -> None:
    t = getattr(ml_dtypes, fmt_name)
    info = ml_dtypes.iinfo(t) if fmt_name in reference.ML_INT_TYPES else ml_dtypes.finfo(t)
    assert info.bits == WIDTH[fmt_name]


def test_oracle_is_the_spec_table(fmt_name: str) -> None:
    """ml_dtypes' conversion classifies every pattern as the SPEC's table does."""
    positive, nans, one = SPEC_TABLE[fmt_name]
    x = canonical_patterns(fmt_name)
    pos, nan = classify(x)
    want_pos = np.zeros(x.size, bool)
    for r in positive:
        want_pos[list(r)] = True
    want_nan = np.zeros(x.size, bool)
    for r in nans:
        want_nan[list(r)] = True
    assert np.flatnonzero(pos != want_pos).tolist() == []
    assert np.flatnonzero(nan != want_nan).tolist() == []
    assert one_bits(fmt_name) == one
    # +0 is the all-zero pattern in every format
    assert raw(np.zeros(1, np.float32).astype(dtype_of(fmt_name))).tolist() == [0]
    # and so the oracle's results, pattern by pattern
    keep = want_pos | want_nan
    assert raw(oracle_relu(x)).tolist() == [int(v) if k else 0 for v, k in zip(raw(x), keep)]
    assert raw(oracle_grad(x)).tolist() == [one if p else 0 for p in want_pos]


def test_reference_is_the_oracle(fmt_name: str, assert_same: Any) -> None:
    x = patterns(fmt_name)
    assert_same(reference.relu(x), oracle_relu(x))
    assert_same(reference.relu_grad(x), oracle_grad(x))
    r, g = reference.relu_and_grad(x)
    assert_same(r, oracle_relu(x))
    assert_same(g, oracle_grad(x))
    dy, xx = backward_pairs(fmt_name)
    assert_same(reference.relu_backward(dy, xx), oracle_backward(dy, xx))


@pytest.mark.fresh_interpreter
def test_reference_imports_no_ml_dtypes() -> None:
    """reference.py tells an ml_dtypes array by its type's module: loading it
    and using it on NumPy types imports no ml_dtypes; an ml_dtypes array
    works once the caller has made one."""
    code = textwrap.dedent(f"""
        import importlib.util, sys
        import numpy as np
        spec = importlib.util.spec_from_file_location("spec_reference", {reference.__file__!r})
        ref = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ref)
        x = np.array([-1.0, 2.0, np.nan], np.float32)
        ref.relu(x), ref.relu_grad(x), ref.relu_backward(x, x), ref.relu_and_grad(x)
        ref.leaky_relu(x, 0.5), ref.leaky_relu_grad(x, 0.5), ref.leaky_relu_backward(x, x, 0.5)
        assert "ml_dtypes" not in sys.modules
        import ml_dtypes
        b = np.array([-1.0, 2.0], ml_dtypes.bfloat16)
        assert ref.relu(b).dtype == b.dtype and ref.relu(b).tolist() == [0.0, 2.0]
        print("ok")
    """)
    r = run_python(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


# --------------------------------------------------------------------------- every pattern


@pytest.mark.parametrize("name", UNARY)
def test_every_pattern(name: str, fmt_name: str, assert_same: Any) -> None:
    x = patterns(fmt_name)
    before = x.copy()
    got = as_tuple(getattr(nprelu, name)(x))
    want = as_tuple(ORACLE[name](x))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == dtype_of(fmt_name)
        assert_same(g, w)
    assert_same(x, before)


def backward_pairs(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(dy, x): every pair of patterns for the narrow formats; for bfloat16
    every x against several dy patterns (its specials and random ones)."""
    p = patterns(name)
    if WIDTH[name] <= 8:
        return np.repeat(p, p.size), np.tile(p, p.size)
    rng = np.random.default_rng(1)
    specials = from_bits(name, [0x0000, 0x8000, 0x3F80, 0xBF80, 0x0001, 0x8001, 0x7F7F,
                                0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0xFFC0, 0x7F81, 0xFFFF])
    dys = [np.resize(specials, p.size)] + [p[rng.permutation(p.size)] for _ in range(3)]
    return np.concatenate(dys), np.tile(p, len(dys))


def test_backward_pairs(fmt_name: str, assert_same: Any) -> None:
    dy, x = backward_pairs(fmt_name)
    before = dy.copy(), x.copy()
    got = nprelu.relu_backward(dy, x)
    assert got.dtype == dtype_of(fmt_name)
    assert_same(got, oracle_backward(dy, x))
    assert_same(dy, before[0])
    assert_same(x, before[1])


@pytest.mark.parametrize("name", NAMES)
def test_dtype_kept(name: str, fmt_name: str) -> None:
    t = dtype_of(fmt_name)
    x = patterns(fmt_name)[:4]
    for r in as_tuple(getattr(nprelu, name)(*args_for(name, x))):
        assert r.dtype == t
    # a 0-d array and a scalar of the type too
    for v in (x[1:2].reshape(()), x[1]):
        args = (v, v) if name == "relu_backward" else (v,)
        for r in as_tuple(getattr(nprelu, name)(*args)):
            assert np.asarray(r).dtype == t


@pytest.mark.parametrize("name", NAMES)
def test_registered_loops(name: str) -> None:
    """A loop for each format: resolution gives the type itself, with no cast."""
    f = getattr(nprelu, name)
    for fmt in FORMATS:
        t = dtype_of(fmt)
        x = patterns(fmt)[:4]
        got = as_tuple(f(*args_for(name, x), casting="no"))
        assert all(g.dtype == t for g in got), fmt


# --------------------------------------------------------------------------- layouts

LENGTHS = range(71)


def pool(fmt_name: str, n: int, seed: int) -> np.ndarray:
    """n patterns, every pattern at least once when n allows, shuffled."""
    p = patterns(fmt_name)
    rng = np.random.default_rng(seed)
    return np.resize(p[rng.permutation(p.size)], n)


LAYOUTS = ("contiguous", "stride2", "stride3", "reversed", "transposed", "offset1")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", NAMES)
def test_layouts_every_length(name: str, layout: str, fmt_name: str, assert_same: Any, layouts: Any) -> None:
    """Every length 0..70 (every SIMD tail) in each memory layout."""
    xp, dyp = pool(fmt_name, 4 * 71, 2), pool(fmt_name, 4 * 71, 3)
    f = getattr(nprelu, name)
    for n in LENGTHS:
        x = layouts[layout](xp, n)
        args = (layouts[layout](dyp, n), x) if name == "relu_backward" else (x,)
        want = as_tuple(ORACLE[name](*[a.copy() for a in args]))
        for g, w in zip(as_tuple(f(*args)), want, strict=True):
            assert_same(g, w)


@pytest.mark.parametrize("name", NAMES)
def test_strided_out(name: str, fmt_name: str, assert_same: Any) -> None:
    """A strided and a reversed out, and a 2-D Fortran-ordered input."""
    x = pool(fmt_name, 60, 4)
    args = args_for(name, x)
    want = as_tuple(ORACLE[name](*args))
    f = getattr(nprelu, name)
    views: list[Callable[[np.ndarray], np.ndarray]] = [
        lambda b: b[::2][: x.size], lambda b: b[::-1][: x.size], lambda b: b[::-3][: x.size]]
    for view in views:
        outs = tuple(view(np.zeros(3 * x.size, w.dtype)) for w in want)
        r = as_tuple(f(*args, out=outs))
        for got, o, w in zip(r, outs, want, strict=True):
            assert got is o
            assert_same(o, w)
    fargs = tuple(np.asfortranarray(a.reshape(6, 10)) for a in args)
    for g, w in zip(as_tuple(f(*fargs)), want, strict=True):
        assert_same(g, w.reshape(6, 10))


@pytest.mark.parametrize("name", NAMES)
def test_out_and_where(name: str, fmt_name: str, assert_same: Any) -> None:
    x = pool(fmt_name, 257, 5)
    args = args_for(name, x, seed=6)
    want = as_tuple(ORACLE[name](*args))
    f = getattr(nprelu, name)
    outs = tuple(np.empty_like(w) for w in want)
    r = as_tuple(f(*args, out=outs if len(outs) > 1 else outs[0]))
    for got, o, w in zip(r, outs, want, strict=True):
        assert got is o
        assert_same(o, w)
    mask = np.random.default_rng(7).random(x.size) < 0.5
    sentinel = from_bits(fmt_name, 1)  # a positive pattern no result writes where False
    outs = tuple(np.full(x.size, sentinel[()], w.dtype) for w in want)
    f(*args, out=outs, where=mask)
    for o, w in zip(outs, want, strict=True):
        assert_same(o[mask], w[mask])
        assert_same(o[~mask], np.full(int((~mask).sum()), sentinel[()], w.dtype))


@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_in_place(name: str, fmt_name: str, assert_same: Any) -> None:
    for n in (1, 17, 100, 1 << WIDTH[fmt_name]):
        x = pool(fmt_name, n, 8)
        want = ORACLE[name](x.copy())
        assert getattr(nprelu, name)(x, out=x) is x
        assert_same(x, want)
        # in place through a strided and a reversed view
        x = pool(fmt_name, 2 * n, 9)
        view = x[::-2]
        want = ORACLE[name](view.copy())
        getattr(nprelu, name)(view, out=view)
        assert_same(view, want)


@pytest.mark.parametrize("out_is", ["dy", "x"])
def test_backward_in_place(out_is: str, fmt_name: str, assert_same: Any) -> None:
    for n in (1, 33, 1 << WIDTH[fmt_name]):
        x = pool(fmt_name, n, 10)
        dy = pool(fmt_name, n, 11)
        want = oracle_backward(dy.copy(), x.copy())
        out = dy if out_is == "dy" else x
        assert nprelu.relu_backward(dy, x, out=out) is out
        assert_same(out, want)


def test_relu_and_grad_out(fmt_name: str, assert_same: Any) -> None:
    x = pool(fmt_name, 300, 12)
    want_r, want_g = oracle_relu(x), oracle_grad(x)
    a, b = np.empty_like(x), np.empty_like(x)
    r = nprelu.relu_and_grad(x, out=(a, b))
    assert r[0] is a and r[1] is b
    assert_same(a, want_r)
    assert_same(b, want_g)
    b = np.empty_like(x)
    r = nprelu.relu_and_grad(x, out=(None, b))
    assert r[1] is b
    assert_same(r[0], want_r)
    assert_same(b, want_g)
    # x itself as the relu output
    y = x.copy()
    r = nprelu.relu_and_grad(y, out=(y, b))
    assert_same(y, want_r)
    assert_same(b, want_g)


def test_broadcasting_backward(fmt_name: str, assert_same: Any) -> None:
    dy = pool(fmt_name, 12, 13).reshape(3, 1, 4)
    x = pool(fmt_name, 5, 14).reshape(5, 1)
    got = nprelu.relu_backward(dy, x)
    assert got.shape == (3, 5, 4)
    assert_same(got, oracle_backward(*[np.ascontiguousarray(a) for a in np.broadcast_arrays(dy, x)]))


# --------------------------------------------------------------------------- mixing with NumPy types


@pytest.mark.parametrize("fmt", FLOAT_FORMATS)
def test_mixed_with_float32_uses_the_float32_loop(fmt: str, assert_same: Any) -> None:
    """bfloat16 (or float8) with float32: NumPy's promotion picks the float32
    loop; the ml_dtypes operand is cast to float32 (exactly) first."""
    p = patterns(fmt)
    f32 = np.resize(np.array([1.5, -2.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 3e-39], np.float32),
                    p.size)
    for args, as32 in (((p, f32), (p.astype(np.float32), f32)),
                       ((f32, p), (f32, p.astype(np.float32)))):
        got = nprelu.relu_backward(*args)
        assert got.dtype == np.float32
        assert_same(got, reference.relu_backward(*as32))
        assert_same(got, reference.relu_backward(*args))


def resolution_operands() -> list[Any]:
    ml = [np.array([1, 0], getattr(ml_dtypes, n)) for n in
          (*FORMATS, "float8_e8m0fnu", "int1", "uint1") if hasattr(ml_dtypes, n)]
    builtin = [np.array([1, 0], c) for c in "?bBhHiIlLqQefdg"]
    scalars = [1, -1, 300, -300, 70000, 1.0, True, np.float32(1), np.int8(1),
               np.array(1, ml_dtypes.bfloat16), ml_dtypes.int4(1)]
    return ml + builtin + scalars


def test_reference_resolution_is_numpy(assert_same: Any) -> None:
    """relu_backward's result type for every pair of operand kinds (each
    ml_dtypes type, those without loops too, each built-in type, Python and
    NumPy scalars) is NumPy's resolution over the registered loops, and the
    reference's rule gives the same type and bits."""
    ops = resolution_operands()
    bad = []
    def out_of_range(v: Any, other: Any) -> bool:
        # NumPy's conversion of a Python int that an ml_dtypes integer type
        # cannot hold raises or wraps by rules of NumPy and ml_dtypes, not
        # nprelu's: such pairs are left out.
        t = getattr(other, "dtype", None)
        if type(v) is not int or t is None or t.name not in reference.ML_INT_TYPES:
            return False
        info = ml_dtypes.iinfo(t)
        return not int(info.min) <= v <= int(info.max)

    for dy in ops:
        for x in ops:
            if out_of_range(dy, x) or out_of_range(x, dy):
                continue
            with np.errstate(all="ignore"):  # 70000 overflows float16 in NumPy's cast
                # TypeError: no loop; OverflowError: a Python int that the
                # loop's integer type cannot hold (NEP 50)
                try:
                    got = nprelu.relu_backward(dy, x)
                except (TypeError, OverflowError) as e:
                    got = type(e)
                try:
                    want = reference.relu_backward(dy, x)
                except (TypeError, OverflowError) as e:
                    want = type(e)
            label = f"relu_backward({getattr(dy, 'dtype', repr(dy))}, {getattr(x, 'dtype', repr(x))})"
            if isinstance(got, type) or isinstance(want, type):
                if got is not want:
                    bad.append(f"{label}: nprelu {got}, reference {want}")
                continue
            if np.asarray(got).dtype != np.asarray(want).dtype:
                bad.append(f"{label}: {np.asarray(got).dtype}, reference {np.asarray(want).dtype}")
                continue
            assert_same(got, want)
    assert bad == [], "\n".join(bad)


def test_unary_of_other_values_unchanged(assert_same: Any) -> None:
    """Python and NumPy scalars of the built-in types go to their own loops."""
    for v in (2.5, -1, np.float32(-2), np.int8(3)):
        assert_same(nprelu.relu(v), reference.relu(v))


# --------------------------------------------------------------------------- built-in types unchanged


def test_builtin_loops_first_and_unchanged() -> None:
    """The built-in loops keep their order (integer loops first), the
    ml_dtypes loops come after them."""
    builtin = [c + "->" + c for c in "bBhHiIlLqQefdg"]
    assert nprelu.relu.types[:14] == builtin
    assert nprelu.relu_grad.types[:14] == builtin
    assert nprelu.relu_and_grad.types[:14] == [t + t[-1] for t in builtin]
    assert nprelu.relu_backward.types[:4] == ["ee->e", "ff->f", "dd->d", "gg->g"]


@pytest.mark.parametrize("char", "?bBhHiIlLqQefdg")
def test_builtin_results_with_ml_dtypes_imported(char: str, sample: Any,
                                                 assert_same: Any) -> None:
    x = sample(char, 200, np.random.default_rng(15))
    for name in UNARY:
        for g, w in zip(as_tuple(getattr(nprelu, name)(x)),
                        as_tuple(getattr(reference, name)(x)), strict=True):
            assert_same(g, w)
    if char in "efdg":
        dy = sample(char, 200, np.random.default_rng(16))
        assert_same(nprelu.relu_backward(dy, x), reference.relu_backward(dy, x))


RESULT_TYPES = textwrap.dedent("""
    import numpy as np, nprelu, json
    out = {}
    for c in "?bBhHiIlLqQefdg":
        x = np.ones(3, c)
        out[c] = [nprelu.relu(x).dtype.str, nprelu.relu_grad(x).dtype.str,
                  [a.dtype.str for a in nprelu.relu_and_grad(x)],
                  nprelu.relu_backward(x, x).dtype.str, nprelu.relu_backward(x, 1.0).dtype.str]
    print(json.dumps(out))
""")

BLOCK_ML_DTYPES = textwrap.dedent("""
    import sys

    class BlockMlDtypes:
        attempts = []

        def find_spec(self, name, path=None, target=None):
            if name == "ml_dtypes" or name.startswith("ml_dtypes."):
                self.attempts.append(name)
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, BlockMlDtypes())
""")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))


@pytest.mark.fresh_interpreter
def test_without_ml_dtypes_nothing_changes() -> None:
    """With ml_dtypes not importable, nprelu imports, works and gives the same
    result types for every built-in type as with ml_dtypes installed."""
    code = BLOCK_ML_DTYPES + textwrap.dedent("""
        import numpy as np, nprelu
        from nprelu import reference
        assert "ml_dtypes" not in sys.modules, "ml_dtypes was imported"
        x = np.array([-1.5, -0.0, 2.0, np.nan], np.float32)
        assert nprelu.relu(x).tobytes() == reference.relu(x).tobytes()
        assert nprelu.relu_backward(x, x).tobytes() == reference.relu_backward(x, x).tobytes()
        assert nprelu.relu.types[-1] == "g->g", nprelu.relu.types
        assert "ml_dtypes" not in sys.modules
        print("ok")
    """) + RESULT_TYPES
    r = run_python(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "ok"
    with_ml = run_python("import ml_dtypes\n" + RESULT_TYPES)
    assert with_ml.returncode == 0, with_ml.stderr
    assert lines[1] == with_ml.stdout.strip()


@pytest.mark.fresh_interpreter
def test_blocked_ml_dtypes_really_is_blocked() -> None:
    """The blocker used above does make ml_dtypes unimportable."""
    r = run_python(BLOCK_ML_DTYPES + "import ml_dtypes\n")
    assert r.returncode != 0 and "blocked" in r.stderr


@pytest.mark.fresh_interpreter
@pytest.mark.parametrize("order", ["nprelu_first", "ml_dtypes_first"])
def test_loops_registered_at_import(order: str) -> None:
    """Importing nprelu registers the loops: no call by the user."""
    imports = ("import nprelu, ml_dtypes" if order == "nprelu_first"
               else "import ml_dtypes, nprelu")
    code = imports + textwrap.dedent("""
        import numpy as np, sys
        assert "ml_dtypes" in sys.modules
        for name in ("bfloat16", "float8_e4m3fn", "int4"):
            t = np.dtype(getattr(ml_dtypes, name))
            x = np.array([-1, 0, 1], t)
            for f in (nprelu.relu, nprelu.relu_grad):
                assert f(x).dtype == t, (f.__name__, name, f(x).dtype)
            assert nprelu.relu_backward(x, x).dtype == t
            assert [a.dtype for a in nprelu.relu_and_grad(x)] == [t, t]
        print("ok")
    """)
    r = run_python(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kind", ["complex32", "bcomplex32"])
@pytest.mark.parametrize("name", NAMES)
def test_complex_refused(name: str, kind: str, assert_same: Any) -> None:
    if not hasattr(ml_dtypes, kind):
        pytest.skip(f"ml_dtypes {ml_dtypes.__version__} has no {kind}")
    f = getattr(nprelu, name)
    bad = np.array([1 + 2j, -1 - 1j], getattr(ml_dtypes, kind))
    for pos in range(f.nin):
        args = [np.array([1.0, -1.0], np.float32) for _ in range(f.nin)]
        args[pos] = bad
        outs = tuple(np.full(2, 7.5, np.float32) for _ in range(f.nout))
        before = [a.tobytes() for a in (*args, *outs)]
        with pytest.raises(TypeError, match=rf"\b{name}\b"):
            f(*args)
        with pytest.raises(TypeError, match=rf"\b{name}\b"):
            f(*args, out=outs)
        assert [a.tobytes() for a in (*args, *outs)] == before
        with pytest.raises(TypeError, match=rf"\b{name}\b"):
            getattr(reference, name)(*args)


@pytest.mark.parametrize("kind", ["float8_e8m0fnu", "int1", "uint1"])
@pytest.mark.parametrize("name", NAMES)
def test_formats_without_a_loop(name: str, kind: str, assert_same: Any) -> None:
    """Types with no loop of their own (float8_e8m0fnu has no zero; int1 no
    one) get no same-type result: NumPy resolves them over the built-in loops
    (casting safely, or refusing), and the reference says which."""
    if not hasattr(ml_dtypes, kind):
        pytest.skip(f"ml_dtypes {ml_dtypes.__version__} has no {kind}")
    t = np.dtype(getattr(ml_dtypes, kind))
    x = np.arange(1 << (1 if kind.endswith("int1") else 8), dtype=np.uint8).view(t)
    f = getattr(nprelu, name)
    args = (x, x) if name == "relu_backward" else (x,)
    before = x.copy()
    try:
        want = as_tuple(getattr(reference, name)(*args))
    except TypeError:
        with pytest.raises(TypeError, match=rf"\b{name}\b"):
            f(*args)
        return
    got = as_tuple(f(*args))
    for g, w in zip(got, want, strict=True):
        assert g.dtype != t
        assert_same(g, w)
    assert raw(x).tobytes() == raw(before).tobytes()


# --------------------------------------------------------------------------- stored bytes


@pytest.mark.parametrize(("fmt", "byte", "relu", "grad"), [
    ("int4", 0xFF, 0x00, 0x00),           # -1: dropped (relu keeps no negative)
    ("int4", 0x17, 0x07, 0x01),           # +7 with a stray high bit: kept, canonical
    ("uint4", 0x81, 0x01, 0x01),          # 1
    ("float6_e2m3fn", 0x41, 0x00, 0x00),  # ml_dtypes reads -0.125
    ("float4_e2m1fn", 0x11, 0x00, 0x00),  # ml_dtypes reads -0.5
    ("int2", 0xFD, 0x01, 0x01),           # +1
])
def test_sub_byte_bytes_as_ml_dtypes_reads_them(fmt: str, byte: int, relu: int, grad: int) -> None:
    """Bytes with bits above the format's width: the results of the value
    ml_dtypes reads (written out by hand here), in canonical storage."""
    x = np.array([byte], np.uint8).view(dtype_of(fmt))
    assert raw(nprelu.relu(x)).tolist() == [relu]
    assert raw(nprelu.relu_grad(x)).tolist() == [grad]
    assert raw(nprelu.relu_backward(x, np.ones(1, dtype_of(fmt)))).tolist() == [
        int(canonical(x)[0])]


def test_every_byte_differs_from_masking_somewhere() -> None:
    """The all-bytes tests above are not vacuous: for each sub-byte format
    some bytes read as another value than their low bits alone."""
    for fmt in ("float6_e2m3fn", "float4_e2m1fn", "int4", "uint2"):
        b = patterns(fmt)
        assert (raw(b) != canonical(b)).sum() > 0, fmt


# --------------------------------------------------------------------------- registration checks


@pytest.mark.fresh_interpreter
def test_format_table_mismatch_is_skipped_with_a_warning() -> None:
    """A dtype whose itemsize or alignment does not match the format table
    gets no loops, only a RuntimeWarning naming it (a fake ml_dtypes module
    whose bfloat16 is an 8-bit type and float8_e4m3fn a 16-bit one)."""
    code = textwrap.dedent("""
        import types, warnings
        import numpy as np, ml_dtypes, nprelu
        from nprelu import _ufuncs
        fake = types.SimpleNamespace(bfloat16=ml_dtypes.float8_e4m3fn,
                                     float8_e4m3fn=ml_dtypes.bfloat16,
                                     float8_e5m2=np.float16)
        loops_before = [len(f.types) for f in (nprelu.relu, nprelu.relu_backward)]
        _ufuncs._registered_formats.clear()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            _ufuncs.register_formats(fake)
        messages = sorted(str(m.message) for m in w if m.category is RuntimeWarning)
        for m in messages:
            print(m)
        assert len(messages) == 3, messages
        assert dict(_ufuncs._registered_formats) == {}
        assert [len(f.types) for f in (nprelu.relu, nprelu.relu_backward)] == loops_before
        x = np.array([-1.0, 2.0], np.float16)
        assert nprelu.relu(x).tolist() == [0.0, 2.0]
        print("ok")
    """)
    r = run_python(code)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[-1] == "ok"
    assert any("ml_dtypes.bfloat16" in m and "itemsize 1" in m for m in out)
    assert any("ml_dtypes.float8_e4m3fn" in m and "itemsize 2" in m for m in out)
    assert any("ml_dtypes.float8_e5m2" in m and "NumPy's own float16" in m for m in out)


# --------------------------------------------------------------------------- Python scalars (NEP 50)


def _scalar_kinds() -> list[tuple[str, Any]]:
    return [("int", 1), ("float", 1.0), ("int", 3), ("float", -0.5)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_python_scalars_resolve_as_numpy_builtins(fmt: str) -> None:
    """A Python int or float beside a T array: relu_backward resolves where
    NumPy's own two-input ufuncs with a T loop resolve under the installed
    ml_dtypes (np.add has a loop for every ml_dtypes type), and to the same
    float loop where they go to one of e f d g; in both operand orders."""
    t = dtype_of(fmt)
    x = np.array([1, 0], t)
    for _, s in _scalar_kinds():
        for args in ((x, s), (s, x)):
            want = np.add(*args).dtype
            got = nprelu.relu_backward(*args).dtype
            if want == t or want.char in "efdg":
                assert got == want, (fmt, args, got, want)
            assert reference.relu_backward(*args).dtype == got


@pytest.mark.parametrize("fmt", FLOAT_FORMATS)
def test_float_pairs_resolve_as_heaviside(fmt: str) -> None:
    """relu_backward and np.heaviside / np.copysign have the same loop set
    for two ml_dtypes float types and the built-in floats when ml_dtypes
    gives those ufuncs loops for its types (0.7): they resolve every pair of
    those operand kinds alike."""
    t = dtype_of(fmt)
    if np.heaviside.resolve_dtypes((t, t, None))[-1] != t:
        pytest.skip(f"ml_dtypes {ml_dtypes.__version__} has no heaviside loop for {fmt}")
    kinds: list[Any] = [t, np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64),
                        float, int]
    for a in kinds:
        for b in kinds:
            if a in (float, int) and b in (float, int):
                continue
            for builtin in (np.heaviside, np.copysign):
                want = builtin.resolve_dtypes((a, b, None))[-1]
                got = nprelu.relu_backward.resolve_dtypes((a, b, None))[-1]
                assert got == want, (builtin.__name__, a, b, got, want)


# --------------------------------------------------------------------------- import cost


IMPORT_ORDERS = {
    "nprelu_then_ml_dtypes": "import nprelu\nassert 'ml_dtypes' not in sys.modules\nimport ml_dtypes\n",
    "ml_dtypes_then_nprelu": "import ml_dtypes\nimport nprelu\n",
    "ml_dtypes_from_a_thread": textwrap.dedent("""
        import nprelu, threading
        assert 'ml_dtypes' not in sys.modules
        t = threading.Thread(target=lambda: __import__("ml_dtypes"))
        t.start(); t.join()
        import ml_dtypes
    """),
}


@pytest.mark.fresh_interpreter
@pytest.mark.parametrize("order", sorted(IMPORT_ORDERS))
def test_ml_tests_pass_in_every_import_order(order: str) -> None:
    """`import nprelu` does not import ml_dtypes; the loops exist once
    ml_dtypes is imported, whichever comes first and from whichever thread:
    this file's semantic tests pass in a process that imports them so."""
    code = "import sys\n" + IMPORT_ORDERS[order] + textwrap.dedent(f"""
        import pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-x",
                              "-o", "addopts=--import-mode=importlib",
                              "-k", "every_pattern or backward_pairs or dtype_kept or python_scalars",
                              {__file__!r}]))
    """)
    r = run_python(code)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout


@pytest.mark.fresh_interpreter
def test_import_does_not_import_ml_dtypes() -> None:
    r = run_python("import sys, nprelu\nprint('ml_dtypes' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_python_int_promotion_keeps_numpy_dtypes_alive() -> None:
    """Why the NumPy floor is 2.1.2: before it, promoting a Python int beside
    a user dtype released one reference too many to NumPy's uint8 DType per
    call (numpy/numpy#27478; ml_dtypes 0.5/0.6 take that path, 0.7 answers
    first), which the reference's and the promoter's promotion exercise, and
    which crashed the suite on NumPy 2.0.2 with ml_dtypes 0.5.4 (the floor is
    now 2.2, past it)."""
    u8 = type(np.dtype(np.uint8))
    t = dtype_of("bfloat16")
    before = sys.getrefcount(u8)
    for _ in range(200):
        reference.relu_backward(np.ones(2, t), 1)
        np.result_type(t, 1)
    assert sys.getrefcount(u8) >= before
