"""Arrays of more than 2**31 elements: no 32-bit index or count anywhere.

``N = 2**31 + 67`` elements go through one inner-loop call (a 1-d array is not
split by NumPy's iterator), so a loop counting in ``int`` would stop, wrap, or
write out of bounds.  Covered:

* the contiguous in-place paths, on a float32 array of N elements (8.6 GB):
  ``relu(x, out=x)``, ``relu_grad(x, out=x)`` and ``relu_backward(x, x, out=x)``;
* the stride-0 paths, on ``np.broadcast_to`` of a scalar: the gather path
  (``relu`` of int8 into a fresh array), the generic strided loops
  (``relu_and_grad`` of float16 into two fresh arrays, ``relu_grad`` into a
  reversed ``out``, ``relu_backward`` of two stride-0 operands).

Each result is checked at the first and last elements, in windows around
index 2**31 (and 2**31 - 1), at random positions, and over the whole array
(the background value of the input would survive anywhere the loop did not
reach, and is counted).  The tests skip only if the machine lacks the memory,
saying how much is needed and how much is available; every array is freed as
soon as it is checked.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

N = 2**31 + 67
B = 2**31
GiB = 2**30
MARGIN = GiB  # for the interpreter, the small arrays and the page cache's needs

pytestmark = pytest.mark.skipif(np.intp(0).itemsize < 8 or sys.maxsize < 2**32,
                                reason="needs a 64-bit platform")


def available_bytes() -> int:
    """MemAvailable from /proc/meminfo, else the free physical pages."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def need_memory(nbytes: int) -> None:
    gc.collect()
    avail = available_bytes()
    if avail < nbytes + MARGIN:
        pytest.skip(f"arrays of 2**31 + 67 elements: needs {(nbytes + MARGIN) / GiB:.1f} GiB of "
                    f"available memory ({nbytes / GiB:.1f} GiB of arrays + {MARGIN / GiB:.1f} GiB "
                    f"margin), {avail / GiB:.1f} GiB available")




def positions(seed: int) -> np.ndarray:
    """Sorted distinct indices: the head, both sides of 2**31 up to the end
    (N = 2**31 + 67), around 2**30, and random ones."""
    rng = np.random.default_rng(seed)
    parts = [np.arange(0, 160), np.arange(B - 200, N), np.arange(2**30 - 40, 2**30 + 40),
             rng.integers(0, N, 2000, dtype=np.int64)]
    return np.unique(np.concatenate(parts))


def pattern(dtype: Any, idx: np.ndarray) -> np.ndarray:
    """Distinct values of alternating sign for the positions ``idx``, with the
    special values (signed zeros, infinities, NaNs, subnormals) right at the
    2**31 boundary and at the head."""
    k = np.arange(idx.size)
    v = (((k % 2) * 2 - 1) * (k + 1.5)).astype(dtype)  # -1.5, 2.5, -3.5, 4.5, ...
    tiny = np.finfo(dtype).smallest_subnormal
    special = np.array([-0.0, 0.0, np.inf, -np.inf, np.nan, -np.nan, tiny, -tiny], dtype=dtype)
    for start in (B - 4, 3):
        at = np.searchsorted(idx, start)
        assert np.array_equal(idx[at:at + special.size], np.arange(start, start + special.size))
        v[at:at + special.size] = special
    return v


def test_positions_cover_the_boundary() -> None:
    p = positions(0)
    for i in (0, 1, B - 2, B - 1, B, B + 1, N - 2, N - 1):
        assert i in p
    assert p.max() == N - 1 and p.min() == 0


# --------------------------------------------------------------------------- contiguous, in place


def test_huge_contiguous_inplace_float32(assert_same: Any, strict_fp: Any) -> None:
    need_memory(N * 4)
    background = np.float32(-1.5)  # relu and relu_grad both turn it into +0
    x = np.empty(N, np.float32)
    try:
        idx = positions(1)
        vals = pattern(np.float32, idx)
        # x[i] and x[i + 2**31] differ for every i near the boundary: a wrapped
        # 32-bit index would read or write the wrong one
        assert not np.array_equal(vals[:67], vals[np.searchsorted(idx, B):][:67])
        cases = [
            ("relu", lambda: nprelu.relu(x, out=x), reference.relu),
            ("relu_grad", lambda: nprelu.relu_grad(x, out=x), reference.relu_grad),
            ("relu_backward", lambda: nprelu.relu_backward(x, x, out=x),
             lambda v: reference.relu_backward(v, v)),
        ]
        for name, run, ref in cases:
            x.fill(background)
            x[idx] = vals
            with strict_fp(f"{name} on {N} elements"):
                r = run()
            assert r is x, name
            want = ref(vals)
            assert_same(x[idx], want)
            assert_same(x[[0, -1]], want[[0, -1]])
            # the rest of the array: all background turned into +0
            nonzero = np.count_nonzero(x)
            assert nonzero == np.count_nonzero(want), (
                f"{name}: {nonzero - np.count_nonzero(want)} elements outside the "
                f"checked positions are not +0 (the loop missed them)")
    finally:
        del x
        gc.collect()


# --------------------------------------------------------------------------- stride 0


def check_constant(a: np.ndarray, dtype: Any, value_bits: int, what: str) -> None:
    """Every element of the huge array ``a`` holds exactly ``value_bits``."""
    assert a.shape == (N,) and a.dtype == np.dtype(dtype), (what, a.shape, a.dtype)
    u = a.view(f"u{a.itemsize}")
    for i in (0, 1, B - 2, B - 1, B, B + 1, N - 2, N - 1):
        assert int(u[i]) == value_bits, (
            f"{what}: element {i} is {int(u[i]):#x}, want {value_bits:#x}")
    rng = np.random.default_rng(2)
    sample = u[rng.integers(0, N, 1000)]
    assert np.all(sample == value_bits), what
    lo, hi = int(u.min()), int(u.max())
    assert lo == hi == value_bits, (
        f"{what}: values range over {lo:#x}..{hi:#x}, want {value_bits:#x}")


def bits_of(x: Any) -> int:
    a = np.asarray(x)
    return int(a.view(f"u{a.itemsize}"))


def test_huge_broadcast_gather_int8(strict_fp: Any) -> None:
    """relu of a stride-0 int8 input into a fresh contiguous output."""
    need_memory(N)
    x = np.broadcast_to(np.int8(7), (N,))
    assert x.strides == (0,)
    with strict_fp(f"{N}-element call"):
        r = nprelu.relu(x)
    try:
        check_constant(r, np.int8, 7, "relu(int8 stride 0)")
    finally:
        del r
        gc.collect()
    x = np.broadcast_to(np.int8(-7), (N,))
    with strict_fp(f"{N}-element call"):
        r = nprelu.relu_grad(x, out=np.full(N, 5, np.int8))
    try:
        check_constant(r, np.int8, 0, "relu_grad(int8 stride 0)")
    finally:
        del r
        gc.collect()


def test_huge_broadcast_two_outputs_float16(strict_fp: Any) -> None:
    """relu_and_grad of a stride-0 float16 input: the generic strided loop."""
    need_memory(2 * N * 2)
    x = np.broadcast_to(np.float16(2.5), (N,))
    with strict_fp(f"{N}-element call"):
        r, g = nprelu.relu_and_grad(x)
    try:
        check_constant(r, np.float16, 0x4100, "relu_and_grad(float16 stride 0)[0]")
        check_constant(g, np.float16, 0x3C00, "relu_and_grad(float16 stride 0)[1]")
    finally:
        del r, g
        gc.collect()


def test_huge_broadcast_strided_out_float16(strict_fp: Any) -> None:
    """Stride-0 inputs into a reversed (negative-stride) out, and relu_backward
    with both operands stride 0: the generic strided loops."""
    need_memory(N * 2)
    buf = np.empty(N, np.float16)
    try:
        out = buf[::-1]
        buf.fill(np.float16(-4.0))  # the sentinel: nothing here produces it
        x = np.broadcast_to(np.float16(3.0), (N,))
        with strict_fp(f"{N}-element call"):
            assert nprelu.relu_grad(x, out=out) is out
        check_constant(buf, np.float16, 0x3C00, "relu_grad(float16 stride 0, out reversed)")
        buf.fill(np.float16(-4.0))
        dy = np.broadcast_to(np.float16(-0.0), (N,))  # its bits must pass through
        with strict_fp(f"{N}-element call"):
            assert nprelu.relu_backward(dy, x, out=out) is out
        check_constant(buf, np.float16, 0x8000, "relu_backward(stride 0, stride 0, out reversed)")
    finally:
        del buf
        gc.collect()
