"""Shared helpers of the nprelu test suite, exposed as fixtures.

The tests run with ``--import-mode=importlib``, so test modules cannot import
each other or this file; everything shared is a fixture here:

``assert_same``
    ``assert_same(got, want)``: same dtype (down to the type character, so
    ``long`` and ``longlong`` differ), same shape, same bits.  Never a
    tolerance; the sign of zero and NaN payloads are compared through the bits.
``bits``
    The meaningful bytes of each element (for ``longdouble``, the value bytes
    only, not the padding).
``fmt``
    ``fmt(dtype)`` -> :class:`FloatFormat`, the bit layout of a float dtype:
    builds values from (sign, exponent, fraction) and classifies bit patterns
    without any floating-point arithmetic, so it is an oracle independent of
    both the package and ``nprelu.reference``.
``assert_same_products``
    ``assert_same_products(got, want, first, second, product)``: as
    ``assert_same``, except where ``product`` is True and both factors are
    NaN: there the result must be one of the two NaNs, quieted.  IEEE 754
    leaves that choice to the platform, and ``np.multiply`` itself picks the
    first factor's NaN in some positions of an array and the second's in
    others (x86-64, AVX-512 tails), so no bit-exact answer exists.
``layouts``
    ``layouts[name](pool, n)``: n items of ``pool`` in a memory layout
    (contiguous, strided, reversed, transposed, Fortran, offset, unaligned).
``float_dtype``, ``int_dtype``, ``unary_dtype``
    Parametrised over the loop types: ``e f d g``; ``b B h H i I l L q Q``; and
    all of these plus ``?`` (which computes in int8).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np
import pytest

FLOAT_CHARS = "efdg"
INT_CHARS = "bBhHiIlLqQ"
FLOAT_DTYPES = [np.dtype(c) for c in FLOAT_CHARS]
INT_DTYPES = [np.dtype(c) for c in INT_CHARS]
UNARY_DTYPES = INT_DTYPES + FLOAT_DTYPES + [np.dtype(np.bool_)]


def dtype_id(dt: Any) -> str:
    """A readable test id that keeps ``l`` and ``q`` apart."""
    dt = np.dtype(dt)
    return f"{dt.name}[{dt.char}]"


# --------------------------------------------------------------------------- bits


def value_nbytes(dtype: np.dtype[Any]) -> int:
    """Bytes of an element that hold its value (x87 long double: 10 of 16)."""
    if dtype == np.longdouble and np.finfo(np.longdouble).nmant == 63:
        return 10
    return dtype.itemsize


def bits(a: object) -> np.ndarray:
    """The meaningful bytes of each element, for an exact comparison."""
    a = np.ascontiguousarray(np.asarray(a))
    if a.dtype == np.longdouble:
        raw = a.view(np.uint8).reshape(a.shape + (a.itemsize,))
        return raw[..., : value_nbytes(a.dtype)]
    return a.view(f"u{a.itemsize}")


def _describe(a: np.ndarray, i: int) -> str:
    flat = np.ascontiguousarray(a).reshape(-1)
    b = bits(flat[i : i + 1])
    return f"{flat[i]!r} (bits {b.tobytes()[::-1].hex() if sys.byteorder == 'little' else b.tobytes().hex()})"


def assert_same(got: object, want: object) -> None:
    """Same dtype (and type character), same shape, same bits; no tolerance."""
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype and g.dtype.char == w.dtype.char, (
        f"dtype {g.dtype} [{g.dtype.char}] != {w.dtype} [{w.dtype.char}]")
    assert g.shape == w.shape, f"shape {g.shape} != {w.shape}"
    gb, wb = bits(g), bits(w)
    if np.array_equal(gb, wb):
        return
    if gb.ndim > g.ndim:  # long double: compare byte rows
        differ = np.any(gb != wb, axis=-1)
    else:
        differ = gb != wb
    bad = np.flatnonzero(differ)
    if bad.size:
        i = int(bad[0])
        raise AssertionError(
            f"{bad.size} of {g.size} elements differ; first at flat index {i}: "
            f"got {_describe(g, i)}, want {_describe(w, i)}")


# --------------------------------------------------------------------------- float layout


class FloatFormat:
    """Bit layout of a binary floating-point dtype (IEEE 754, or x87 extended).

    Values are Python ints holding the value bits (no padding).  ``x87`` has an
    explicit integer bit, set here for every nonzero exponent, so that only
    valid encodings are built.
    """

    KNOWN = {(5, 10), (8, 23), (11, 52), (15, 63), (15, 112)}

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        info = np.finfo(self.dtype)
        self.nexp, self.nmant = int(info.nexp), int(info.nmant)
        if (self.nexp, self.nmant) not in self.KNOWN:
            pytest.skip(f"unknown floating-point format of {self.dtype}: "
                        f"nexp={self.nexp}, nmant={self.nmant}")
        self.explicit = (self.nexp, self.nmant) == (15, 63)
        self.exp_shift = self.nmant + int(self.explicit)
        self.sign_shift = self.exp_shift + self.nexp
        self.width = self.sign_shift + 1
        self.emax = (1 << self.nexp) - 1  # exponent field of inf and NaN
        self.bias = (1 << (self.nexp - 1)) - 1
        self.frac_mask = (1 << self.nmant) - 1
        self.quiet = 1 << (self.nmant - 1)  # the quiet bit of a NaN
        self.nbytes = value_nbytes(self.dtype)
        assert 8 * self.nbytes >= self.width

    # building values

    def encode(self, sign: int, exp: int, frac: int) -> int:
        assert sign in (0, 1) and 0 <= exp <= self.emax and 0 <= frac <= self.frac_mask
        v = (sign << self.sign_shift) | (exp << self.exp_shift) | frac
        if self.explicit and exp != 0:
            v |= 1 << self.nmant
        return v

    def from_ints(self, ints: Iterable[int]) -> np.ndarray:
        size = self.dtype.itemsize
        raw = b"".join(int(v).to_bytes(size, sys.byteorder) for v in ints)
        return np.frombuffer(raw, dtype=self.dtype).copy()

    def array(self, triples: Iterable[tuple[int, int, int]]) -> np.ndarray:
        return self.from_ints(self.encode(*t) for t in triples)

    def scalar_bits(self, name: str) -> int:
        """Bits of a named constant: zero, negzero, one, inf, qnan."""
        return {
            "zero": self.encode(0, 0, 0),
            "negzero": self.encode(1, 0, 0),
            "one": self.encode(0, self.bias, 0),
            "inf": self.encode(0, self.emax, 0),
            "qnan": self.encode(0, self.emax, self.quiet),
        }[name]

    def full(self, shape: int | tuple[int, ...], name: str) -> np.ndarray:
        n = int(np.prod(shape))
        return self.from_ints([self.scalar_bits(name)] * n).reshape(shape)

    # reading values

    def to_ints(self, a: np.ndarray) -> np.ndarray:
        """Value bits of every element, as an object array of Python ints."""
        a = np.ascontiguousarray(a, dtype=self.dtype)
        raw = a.view(np.uint8).reshape(a.shape + (a.itemsize,))
        mask = (1 << self.width) - 1
        out = np.empty(a.shape, dtype=object)
        flat = raw.reshape(-1, a.itemsize)
        out.reshape(-1)[...] = [int.from_bytes(r.tobytes(), sys.byteorder) & mask
                                for r in flat] if flat.size else []
        return out

    def classify(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(negative sign bit, NaN, zero) masks, from the bits alone."""
        u = self.to_ints(a)
        sign = (u >> self.sign_shift) & 1
        exp = (u >> self.exp_shift) & self.emax
        frac = u & self.frac_mask
        nan = (exp == self.emax) & (frac != 0)
        zero = (exp == 0) & (frac == 0)
        return sign.astype(bool), np.asarray(nan, bool), np.asarray(zero, bool)

    # the spec, from the bits alone

    def expect_relu(self, x: np.ndarray) -> np.ndarray:
        """x (same bits) if x > 0 or NaN, else +0."""
        sign, nan, _ = self.classify(x)
        drop = sign & ~nan
        out = np.array(x, dtype=self.dtype, copy=True)
        out[drop] = self.full(int(drop.sum()), "zero")
        return out

    def positive(self, x: np.ndarray) -> np.ndarray:
        sign, nan, zero = self.classify(x)
        return ~sign & ~nan & ~zero

    def expect_grad(self, x: np.ndarray) -> np.ndarray:
        """1 where x > 0, else +0."""
        pos = self.positive(np.asarray(x))
        out = self.full(pos.shape, "zero")
        out[pos] = self.full(int(pos.sum()), "one")
        return out

    def expect_backward(self, dy: np.ndarray, x: np.ndarray) -> np.ndarray:
        """dy (same bits) where x > 0, else +0."""
        dy, x = np.broadcast_arrays(np.asarray(dy, self.dtype), np.asarray(x, self.dtype))
        pos = self.positive(x)
        out = self.full(pos.shape, "zero")
        out[pos] = dy[pos]
        return out

    # named test values

    def cases(self) -> dict[str, list[tuple[str, np.ndarray]]]:
        """The rows of the SPEC's table: row -> [(label, 1-element array)]."""
        e, m, q = self.emax, self.frac_mask, self.quiet
        magnitudes = {
            "min_subnormal": (0, 1),
            "max_subnormal": (0, m),
            "min_normal": (1, 0),
            "one": (self.bias, 0),
            "1.5": (self.bias, q),
            "max": (e - 1, m),
            "inf": (e, 0),
        }
        nans = {
            "qnan": (e, q),
            "qnan_payload": (e, q | 0x5),
            "qnan_all_ones": (e, m),
            "snan_1": (e, 1),
            "snan_max_payload": (e, q - 1),
            "snan_mid": (e, q >> 1),
        }

        def one(t: tuple[int, int, int]) -> np.ndarray:
            return self.array([t])

        return {
            "positive": [(f"+{k}", one((0, *v))) for k, v in magnitudes.items()],
            "zero": [("+0", one((0, 0, 0))), ("-0", one((1, 0, 0)))],
            "negative": [(f"-{k}", one((1, *v))) for k, v in magnitudes.items()],
            "nan": [(f"{s}{k}", one((sb, *v))) for k, v in nans.items()
                    for s, sb in (("+", 0), ("-", 1))],
        }

    def specials(self) -> np.ndarray:
        """Every value of :meth:`cases`, as one array."""
        return np.concatenate([v for rows in self.cases().values() for _, v in rows])

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Random valid encodings: uniform signs and fractions, exponents
        weighted towards 0 (zero, subnormal) and the maximum (inf, NaN)."""
        exps = rng.integers(0, self.emax + 1, n)
        pick = rng.random(n)
        exps[pick < 0.15] = 0
        exps[pick > 0.85] = self.emax
        signs = rng.integers(0, 2, n)
        fracs = [sum(int(w) << (32 * k) for k, w in
                     enumerate(rng.integers(0, 1 << 32, (self.nmant + 31) // 32, dtype=np.uint64)))
                 & self.frac_mask for _ in range(n)]
        zero_frac = rng.random(n) < 0.1
        return self.array((int(s), int(x), 0 if z else f)
                          for s, x, f, z in zip(signs, exps, fracs, zero_frac))


# --------------------------------------------------------------------------- values


def sample(dtype: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` values of ``dtype``: floats mix normals, every special value and
    random encodings; integers cover the full range with min, max, -1, 0, 1
    mixed in."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(n) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        edge = np.array([v for v in (info.min, info.max, -1, 0, 1, 2)
                         if info.min <= v <= info.max], dtype=dtype)
        k = min(n, 2 * len(edge))
        x[rng.choice(n, k, replace=False)] = np.resize(edge, k)
        return x
    f = FloatFormat(dtype)
    # normals and random encodings (at most 256 distinct: they are slow to build)
    x = rng.standard_normal(n).astype(dtype)
    k = n // 4
    x[rng.choice(n, k, replace=False)] = np.resize(f.random(rng, min(k, 256)), k)
    # every special value at least once when n allows, at random places
    sv = f.specials()
    k = min(n, max(len(sv), n // 8))
    x[rng.choice(n, k, replace=False)] = np.resize(rng.permutation(sv), k)
    return x


def quieted(a: np.ndarray) -> np.ndarray:
    """``a`` with each NaN quieted as an arithmetic operation quiets it (the
    NaN is the only NaN operand of a product with one, so its payload is kept)."""
    a = np.asarray(a)
    with np.errstate(all="ignore"):
        return np.multiply(a, np.ones((), a.dtype))


def assert_same_products(got: object, want: object, first: object, second: object,
                         product: object) -> None:
    """``assert_same``, but where ``product`` holds and both factors are NaN
    the result may be either factor's NaN, quieted."""
    g, w = np.asarray(got), np.asarray(want)
    f1, f2, p = np.broadcast_arrays(np.asarray(first, g.dtype), np.asarray(second, g.dtype),
                                    np.asarray(product, bool))
    f1, f2 = np.broadcast_to(f1, g.shape), np.broadcast_to(f2, g.shape)
    both = np.broadcast_to(p, g.shape) & np.isnan(f1) & np.isnan(f2)
    if not both.any():
        assert_same(g, w)
        return
    assert g.dtype == w.dtype and g.dtype.char == w.dtype.char, (
        f"dtype {g.dtype} [{g.dtype.char}] != {w.dtype} [{w.dtype.char}]")
    assert g.shape == w.shape, f"shape {g.shape} != {w.shape}"
    assert_same(g[~both], w[~both])
    gb = bits(g[both])
    q1, q2 = bits(quieted(f1[both])), bits(quieted(f2[both]))
    if gb.ndim > 1:  # long double: byte rows
        ok = np.all(gb == q1, axis=-1) | np.all(gb == q2, axis=-1)
    else:
        ok = (gb == q1) | (gb == q2)
    bad = np.flatnonzero(~ok)
    if bad.size:
        i = int(bad[0])
        raise AssertionError(
            f"{bad.size} NaN * NaN products are neither factor's NaN; first: got "
            f"{_describe(g[both], i)}, factors {_describe(f1[both], i)} and "
            f"{_describe(f2[both], i)}")


# --------------------------------------------------------------------------- layouts


def line_aligned(nbytes: int, fill: int = 0) -> np.ndarray:
    """``nbytes`` uint8 filled with ``fill``, starting on a 64-byte line."""
    raw = np.full(nbytes + 64, fill, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start : start + nbytes]


def unaligned(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` one byte off its natural alignment."""
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out = buf[1:].view(a.dtype)
    out[...] = a
    return out


# ``LAYOUTS[name](pool, n)``: n items of ``pool`` in that memory layout (the
# pool holds at least 3n + 1 items).
LAYOUTS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "contiguous": lambda p, n: p[:n],
    "stride2": lambda p, n: p[: 2 * n : 2],
    "stride3": lambda p, n: p[: 3 * n : 3],
    "reversed": lambda p, n: p[:n][::-1],
    "transposed": lambda p, n: p[: 3 * n].reshape(n, 3).T,
    "fortran": lambda p, n: np.asfortranarray(p[: 2 * n].reshape(2, n)),
    "offset1": lambda p, n: p[1 : n + 1],
    "unaligned": lambda p, n: unaligned(p[:n]),
}


@contextmanager
def strict_fp(what: str) -> Iterator[None]:
    """Every FP error raises and every warning is an error, reported with ``what``."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            yield
        except FloatingPointError as e:
            pytest.fail(f"{what}: FloatingPointError: {e}")
        except Warning as e:
            pytest.fail(f"{what}: {type(e).__name__}: {e}")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(name="assert_same")
def _assert_same() -> Callable[[object, object], None]:
    return assert_same


@pytest.fixture(name="assert_same_products")
def _assert_same_products() -> Callable[[object, object, object, object, object], None]:
    return assert_same_products


@pytest.fixture(name="layouts")
def _layouts() -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    return LAYOUTS


@pytest.fixture(name="strict_fp")
def _strict_fp() -> Callable[[str], AbstractContextManager[None]]:
    return strict_fp


@pytest.fixture(name="bits")
def _bits() -> Callable[[object], np.ndarray]:
    return bits


@pytest.fixture(name="fmt")
def _fmt() -> Callable[[Any], FloatFormat]:
    return FloatFormat


@pytest.fixture(name="sample")
def _sample() -> Callable[[Any, int, np.random.Generator], np.ndarray]:
    return sample


@pytest.fixture(params=FLOAT_DTYPES, ids=dtype_id)
def float_dtype(request: pytest.FixtureRequest) -> np.dtype[Any]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=INT_DTYPES, ids=dtype_id)
def int_dtype(request: pytest.FixtureRequest) -> np.dtype[Any]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=UNARY_DTYPES, ids=dtype_id)
def unary_dtype(request: pytest.FixtureRequest) -> np.dtype[Any]:
    return request.param  # type: ignore[no-any-return]
