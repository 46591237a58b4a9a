"""All four ufuncs called from several threads at once.

NumPy releases the GIL around a numeric ufunc loop, so these loops really run in
parallel (and under free-threaded CPython there is no GIL at all).  Shared inputs
are only read; every thread writes its own outputs.  Any shared mutable state in
the kernels or the dispatch (a static buffer, a lazily initialised table) would
show up as a wrong bit here.  References are computed before the threads start.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

N = 1_000_000
THREADS = 4
ROUNDS = 3


def make(dtype: type, seed: int) -> np.ndarray:
    """N values of ``dtype``; floats carry signed zeros, infinities, NaNs, subnormals."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, N, dtype=dt, endpoint=True)
    x = rng.standard_normal(N).astype(dt)
    fi = np.finfo(dt)
    specials = np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, fi.smallest_subnormal, -fi.smallest_subnormal],
        dtype=dt,
    )
    x[::5] = np.resize(specials, x[::5].shape)
    return x


CASES = [np.float32, np.float64, np.float16, np.int16, np.uint8]


@pytest.fixture(scope="module")
def data() -> dict[type, dict[str, object]]:
    """Shared read-only inputs and their references, per dtype and layout."""
    out: dict[type, dict[str, object]] = {}
    for i, dtype in enumerate(CASES):
        x, dy = make(dtype, seed=2 * i), make(dtype, seed=2 * i + 1)
        x.flags.writeable = dy.flags.writeable = False  # any write would raise
        layouts = {"contiguous": (x, dy), "strided": (x[1::3], dy[2::3])}
        refs = {}
        for layout, (xi, dyi) in layouts.items():
            refs[layout] = {
                "relu": reference.relu(xi),
                "relu_grad": reference.relu_grad(xi),
                "relu_and_grad": reference.relu_and_grad(xi),
                "relu_backward": (
                    reference.relu_backward(dyi, xi) if np.dtype(dtype).kind == "f" else None
                ),
            }
        out[dtype] = {"layouts": layouts, "refs": refs, "x_copy": x.copy(), "dy_copy": dy.copy()}
    return out


def _work(tid: int, barrier: threading.Barrier, data: dict[type, dict[str, object]],
          assert_same: Any) -> int:
    """One thread's share: every ufunc, every dtype, both layouts, ROUNDS times."""
    barrier.wait()
    checked = 0
    for rnd in range(ROUNDS):
        # Threads walk the dtypes in different orders so that different
        # loops (and SIMD paths) run at the same moment.
        order = CASES[tid % len(CASES):] + CASES[: tid % len(CASES)]
        for dtype in order:
            entry = data[dtype]
            for layout, (x, dy) in entry["layouts"].items():  # type: ignore[attr-defined]
                ref = entry["refs"][layout]  # type: ignore[index]
                o = np.empty_like(x)
                o2 = np.empty_like(x)
                assert nprelu.relu(x, out=o) is o
                assert_same(o, ref["relu"])
                assert nprelu.relu_grad(x, out=o) is o
                assert_same(o, ref["relu_grad"])
                y, g = nprelu.relu_and_grad(x, out=(o, o2))
                assert y is o and g is o2
                assert_same(o, ref["relu_and_grad"][0])
                assert_same(o2, ref["relu_and_grad"][1])
                assert_same(nprelu.relu(x), ref["relu"])  # freshly allocated
                if ref["relu_backward"] is not None:
                    assert nprelu.relu_backward(dy, x, out=o) is o
                    assert_same(o, ref["relu_backward"])
                    assert_same(nprelu.relu_backward(dy, x), ref["relu_backward"])
                # In place on a private copy.
                mine = x.copy()
                nprelu.relu(mine, out=mine)
                assert_same(mine, ref["relu"])
                checked += 1
    return checked


def test_threads_bit_exact(data: dict[type, dict[str, object]], assert_same: Any) -> None:
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_work, tid, barrier, data, assert_same) for tid in range(THREADS)]
        done = [f.result(timeout=300) for f in futures]  # re-raises a thread's failure
    assert done == [ROUNDS * len(CASES) * 2] * THREADS
    # The shared inputs were only read.
    for entry in data.values():
        x, dy = entry["layouts"]["contiguous"]  # type: ignore[index]
        assert_same(x, entry["x_copy"])
        assert_same(dy, entry["dy_copy"])


def test_threads_share_one_output_disjointly(data: dict[type, dict[str, object]], assert_same: Any) -> None:
    """Each thread fills its own slice of one big output array, at the same time."""
    x, _ = data[np.float32]["layouts"]["contiguous"]  # type: ignore[index]
    want = data[np.float32]["refs"]["contiguous"]["relu"]  # type: ignore[index]
    out = np.full_like(x, np.float32(-7))
    bounds = np.linspace(0, x.size, 4 * THREADS + 1).astype(int)
    barrier = threading.Barrier(THREADS)

    def fill(tid: int) -> None:
        barrier.wait()
        for k in range(tid, len(bounds) - 1, THREADS):
            lo, hi = bounds[k], bounds[k + 1]
            nprelu.relu(x[lo:hi], out=out[lo:hi])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for f in [pool.submit(fill, t) for t in range(THREADS)]:
            f.result(timeout=300)
    assert_same(out, want)
