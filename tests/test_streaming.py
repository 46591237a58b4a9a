"""Streaming (non-temporal) stores for large outputs, proven bit-exact.

A contiguous out-of-place loop whose output in one call is at least
``nprelu._ufuncs.STREAM_THRESHOLD`` bytes stores plainly up to a 64-byte line,
streams whole blocks of lines from there, and stores the tail plainly
(``relu_and_grad``'s second output is streamed only when it sits at the first
one's offset within a line).  The edges are where such code goes wrong, so
every loop is run here with unaligned output starts (``out = buf[k:k + n]``,
``buf`` on a line, for k = 1, 3, 7, ... 63 elements), both outputs of
``relu_and_grad`` at the same and at different offsets, lengths that are not
a multiple of any vector width, the bytes around the output checked
untouched, and the results compared with ``nprelu.reference``.

The threshold is read at import, so each case runs in a subprocess per
supported SIMD target (``NPRELU_CPU_TARGET``) and per threshold:

``zero``
    ``NPRELU_STREAM_THRESHOLD=0``: every contiguous out-of-place call streams,
    so every length 0..70 goes through the streaming path;
``low``
    ``NPRELU_STREAM_THRESHOLD=4096``: lengths just above (and one just below)
    4096 bytes of output;
``default``
    the threshold derived from the last-level cache: one large case per loop
    above it (memory bounded).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

from .conftest import line_aligned

MODE_VAR = "NPRELU_TEST_STREAMING_MODE"
MODE = os.environ.get(MODE_VAR, "")
THRESHOLDS = {"zero": "0", "low": "4096", "default": None}
X86_64 = platform.machine().lower() in ("x86_64", "amd64")

try:
    import ml_dtypes
except ImportError:
    ml_dtypes = None


# =========================================================================== outer: one subprocess per case


if not MODE:
    TARGETS = nprelu.cpu_targets()["supported"]

    @pytest.mark.parametrize("mode", THRESHOLDS)
    @pytest.mark.parametrize("target", TARGETS)
    def test_streaming_exact(target: str, mode: str) -> None:
        env = dict(os.environ, NPRELU_CPU_TARGET=target, **{MODE_VAR: mode})
        env.pop("NPRELU_STREAM_THRESHOLD", None)
        if THRESHOLDS[mode] is not None:
            env["NPRELU_STREAM_THRESHOLD"] = str(THRESHOLDS[mode])
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "-o", "addopts=-ra --strict-markers --import-mode=importlib", __file__],
            env=env, capture_output=True, text=True, timeout=1800,
            cwd=Path(__file__).parent.parent)
        assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
        assert " passed" in r.stdout and " failed" not in r.stdout
        if " skipped" in r.stdout:  # say so rather than pass silently
            reasons = [line for line in r.stdout.splitlines() if line.startswith("SKIPPED")]
            pytest.skip("some cases skipped in the subprocess: " + "; ".join(reasons))

    @pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
    def test_bad_threshold_fails_import(value: str) -> None:
        env = dict(os.environ, NPRELU_STREAM_THRESHOLD=value)
        r = subprocess.run([sys.executable, "-c", "import nprelu"], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode != 0
        assert "ImportError" in r.stderr and "NPRELU_STREAM_THRESHOLD" in r.stderr

    def test_threshold_is_derived_without_the_variable() -> None:
        if "NPRELU_STREAM_THRESHOLD" in os.environ:
            pytest.skip("NPRELU_STREAM_THRESHOLD is set for this run")
        from nprelu import _ufuncs

        assert _ufuncs.LAST_LEVEL_CACHE >= 0
        assert _ufuncs.STREAM_THRESHOLD is None or _ufuncs.STREAM_THRESHOLD > 0
        assert isinstance(_ufuncs.STREAMING_STORES, bool)


# =========================================================================== inner: the checks, in the subprocess


def data(dtype: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """n values of dtype: random, with every special value spread through."""
    dtype = np.dtype(dtype)
    if getattr(dtype.type, "__module__", "") == "ml_dtypes":
        # every storage pattern, sub-byte bytes with high bits set included
        width = 8 * dtype.itemsize
        return rng.integers(0, 1 << width, n).astype(f"u{dtype.itemsize}").view(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True).view(dtype)
    x = rng.standard_normal(n).astype(dtype)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-310, -1e-310,
                         np.finfo(dtype).max, -np.finfo(dtype).max,
                         np.finfo(dtype).smallest_subnormal], dtype)
    spread = x[::7]
    spread[...] = np.resize(specials, spread.size)
    return x


def ml_names() -> list[str]:
    if ml_dtypes is None:
        return []
    return [n for n in ("bfloat16", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e5m3fnu",
                        "float6_e2m3fn", "float4_e2m1fn", "int4", "uint2")
            if hasattr(ml_dtypes, n)]


def ml_dtype(name: str) -> np.dtype[Any]:
    return np.dtype(getattr(ml_dtypes, name))


# (ufunc name, dtype, slope kind) for every loop that streams
CASES: list[tuple[str, Any, str]] = []
for _c in "bBhHiIlLqQefdg":
    for _name in ("relu", "relu_grad", "relu_and_grad"):
        CASES.append((_name, np.dtype(_c), ""))
for _c in "efdg":
    CASES.append(("relu_backward", np.dtype(_c), ""))
    for _name in ("leaky_relu", "leaky_relu_grad", "leaky_relu_backward"):
        CASES.append((_name, np.dtype(_c), "scalar"))
        CASES.append((_name, np.dtype(_c), "array"))
for _m in ml_names():
    for _name in ("relu", "relu_grad", "relu_and_grad", "relu_backward"):
        CASES.append((_name, ml_dtype(_m), ""))
    if not _m.startswith(("int", "uint")):  # the leaky family's one-slope loops
        CASES.append(("leaky_relu", ml_dtype(_m), "scalar"))
        CASES.append(("leaky_relu_grad", ml_dtype(_m), "scalar"))

# Above the default threshold the arrays are tens of megabytes: one case per
# ufunc and storage width rather than every type.
LARGE_CASES = [c for c in CASES if (c[1].char, c[0], c[2]) in {
    ("b", "relu", ""), ("e", "relu", ""), ("h", "relu_grad", ""), ("Q", "relu_and_grad", ""),
    ("f", "relu", ""), ("f", "relu_grad", ""), ("f", "relu_and_grad", ""),
    ("f", "relu_backward", ""), ("d", "relu", ""), ("d", "relu_backward", ""),
    ("d", "relu_and_grad", ""), ("f", "leaky_relu", "scalar"), ("d", "leaky_relu", "array"),
    ("f", "leaky_relu_grad", "array"), ("f", "leaky_relu_backward", "scalar"),
    ("d", "leaky_relu_backward", "array")}]
LARGE_CASES += [c for c in CASES if c[1].name in ("bfloat16", "float8_e4m3fn")
                and c[0] in ("relu", "relu_backward", "leaky_relu")]


def case_id(case: tuple[str, Any, str]) -> str:
    name, dt, slope = case
    return f"{name}-{dt.name}[{dt.char}]" + (f"-{slope}" if slope else "")


def inputs(name: str, dtype: np.dtype[Any], slope: str, n: int, seed: int,
           offset: int = 0) -> tuple[Any, ...]:
    """The input operands, each of length n, starting `offset` elements into
    a larger buffer."""
    rng = np.random.default_rng(seed)

    def operand() -> np.ndarray:
        return data(dtype, n + offset, rng)[offset:]

    if name in ("relu", "relu_grad", "relu_and_grad"):
        return (operand(),)
    if name == "relu_backward":
        return operand(), operand()
    if slope == "scalar":
        a: Any = dtype.type(0.2)
    else:  # finite slopes, of both signs, with zeros (no NaN * NaN choice)
        a = np.resize(np.array([0.0, -0.0, 0.01, 0.2, -1.0, 3.0, 1e4, -1e-3], dtype),
                      n + offset)[offset:][rng.permutation(n)]
    if name == "leaky_relu_backward":
        return operand(), operand(), a
    return operand(), a


def expected(name: str, args: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
    with np.errstate(all="ignore"):
        r = getattr(reference, name)(*[np.copy(a) if isinstance(a, np.ndarray) else a
                                       for a in args])
    return r if isinstance(r, tuple) else (r,)


SENTINEL = 0x5A


def run_into(name: str, args: tuple[Any, ...], dtype: np.dtype[Any], n: int,
             offsets: tuple[int, ...]) -> tuple[tuple[np.ndarray, ...], list[np.ndarray]]:
    """Call the ufunc with each output at buf[k:k + n] of a buffer filled with
    a sentinel byte, each buffer starting on a 64-byte line; return the
    outputs and the buffers."""
    bufs = [line_aligned((k + n + 64) * dtype.itemsize, SENTINEL).view(dtype) for k in offsets]
    outs = tuple(b[k : k + n] for b, k in zip(bufs, offsets))
    f = getattr(nprelu, name)
    with np.errstate(all="ignore"):  # products may flag, as np.multiply's
        r = f(*args, out=outs)
    got = r if isinstance(r, tuple) else (r,)
    assert all(g is o for g, o in zip(got, outs))
    return outs, bufs


def check_case(name: str, dtype: np.dtype[Any], slope: str, n: int, k: int, seed: int,
               assert_same: Any, in_offset: int = 0) -> None:
    args = inputs(name, dtype, slope, n, seed, in_offset)
    want = expected(name, args)
    # two outputs: at different offsets within a line, and at the same one
    # (only then are both streamed)
    if getattr(nprelu, name).nout == 1:
        layouts: list[tuple[int, ...]] = [(k,)]
    else:
        layouts = [(k, (k + 5) % 64 or 1), (k, k)]
    for offsets in layouts:
        outs, bufs = run_into(name, args, dtype, n, offsets)
        for o, w, b, kk in zip(outs, want, bufs, offsets, strict=True):
            assert_same(o, w)
            raw = b.view(np.uint8)
            size = dtype.itemsize
            assert (raw[: kk * size] == SENTINEL).all(), f"written before out (k={kk}, n={n})"
            assert (raw[(kk + n) * size :] == SENTINEL).all(), \
                f"written after out (k={kk}, n={n})"


if MODE:
    from nprelu import _ufuncs

    OFFSETS = (1, 3, 7, 15, 31, 63)

    def test_threshold_from_environment() -> None:
        forced = THRESHOLDS[MODE]
        if forced is not None:
            assert _ufuncs.STREAM_THRESHOLD == int(forced)
        else:
            assert "NPRELU_STREAM_THRESHOLD" not in os.environ
            assert _ufuncs.STREAM_THRESHOLD is None or _ufuncs.STREAM_THRESHOLD > 0
        assert nprelu.cpu_targets()["active"] == os.environ["NPRELU_CPU_TARGET"]

    def test_streaming_stores_compiled() -> None:
        if X86_64:
            assert _ufuncs.STREAMING_STORES is True
        else:
            assert isinstance(_ufuncs.STREAMING_STORES, bool)

    if MODE == "zero":

        @pytest.mark.parametrize("case", CASES, ids=case_id)
        def test_every_length_streams(case: tuple[str, Any, str], assert_same: Any) -> None:
            """Threshold 0: lengths 0..70 and a few longer ones, unaligned starts."""
            name, dtype, slope = case
            for n in list(range(71)) + [127, 128, 129, 1000, 4099]:
                for k in ((0, 1, 7) if n <= 70 else (0,) + OFFSETS):
                    check_case(name, dtype, slope, n, k, seed=n * 64 + k,
                               assert_same=assert_same, in_offset=k % 3)

    if MODE == "low":

        @pytest.mark.parametrize("case", CASES, ids=case_id)
        def test_above_threshold(case: tuple[str, Any, str], assert_same: Any) -> None:
            """Just above 4096 bytes of output (and one just below), unaligned."""
            name, dtype, slope = case
            t = _ufuncs.STREAM_THRESHOLD // dtype.itemsize
            for extra in (-1, 0, 1, 13, 63, 71, 1000):
                for k in OFFSETS:
                    check_case(name, dtype, slope, t + extra, k, seed=(extra + 1) * 64 + k,
                               assert_same=assert_same, in_offset=k % 2)

    if MODE == "default":
        # inputs + outputs of the largest case, at most this many bytes
        MEMORY_BOUND = 600 * 2**20

        @pytest.mark.parametrize("case", LARGE_CASES, ids=case_id)
        def test_large_above_default_threshold(case: tuple[str, Any, str],
                                               assert_same: Any) -> None:
            name, dtype, slope = case
            threshold = _ufuncs.STREAM_THRESHOLD
            if threshold is None:
                pytest.skip("no last-level cache size known: nothing streams")
            n = threshold // dtype.itemsize + 13
            arrays = 8  # inputs, outputs, the reference's copies and results
            if n * dtype.itemsize * arrays > MEMORY_BOUND:
                pytest.skip(f"threshold {threshold} bytes: a case above it needs more "
                            f"than {MEMORY_BOUND} bytes")
            check_case(name, dtype, slope, n, 7, seed=1, assert_same=assert_same)
