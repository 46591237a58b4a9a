"""Every ufunc called from eight threads at once, checked bit for bit.

NumPy releases the GIL around a numeric ufunc loop, so these loops really run
in parallel (and under free-threaded CPython there is no GIL at all).  Shared
inputs are only read; each thread writes either its own outputs or its own
disjoint rows of one shared output.  Any shared mutable state in the kernels
or the dispatch (a static buffer, a lazily initialised table) or a store past
the end of a slice would show up as a wrong bit here.  The expected results
come from ``nprelu.reference`` and are computed before the threads start.
Each test runs with plain stores and again with streaming (non-temporal)
stores forced on every contiguous output.

The table below names every ufunc of the package; a ufunc that nprelu exports
and the table does not know fails ``test_table_covers_every_ufunc``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import _ufuncs, reference

try:
    import ml_dtypes
except ImportError:
    ML_DTYPES: tuple[type, ...] = ()
else:  # one 16-bit and one 8-bit format of the format-table kernels
    ML_DTYPES = (ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn)

THREADS = 8
ROUNDS = 3
# Rows of CHANNELS elements; an odd row length puts every row boundary at an
# unaligned element, so a vector store past a slice's end would hit a neighbour.
ROWS, CHANNELS = 4096, 37
LEAKY_SLOPE = 0.01  # a Python float: a weak scalar, cast to the array's dtype

ALL_DTYPES = (np.float32, np.float64, np.float16, np.int16, np.uint8, *ML_DTYPES)
FLOAT_DTYPES = (np.float32, np.float64, np.float16)

Operands = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[Any, ...]]

# ufunc name -> (dtypes, [(variant, operands from (x, dy, per-channel slope))]).
# The first array operand is the one written in place.
TABLE: dict[str, tuple[Sequence[type], list[tuple[str, Operands]]]] = {
    "relu": (ALL_DTYPES, [("x", lambda x, dy, s: (x,))]),
    "relu_grad": (ALL_DTYPES, [("x", lambda x, dy, s: (x,))]),
    "relu_and_grad": (ALL_DTYPES, [("x", lambda x, dy, s: (x,))]),
    "relu_backward": (FLOAT_DTYPES + ML_DTYPES, [("dy,x", lambda x, dy, s: (dy, x))]),
    "leaky_relu": (FLOAT_DTYPES, [
        ("x,0.01", lambda x, dy, s: (x, LEAKY_SLOPE)),
        ("x,channel-slope", lambda x, dy, s: (x, s)),
    ]),
    "leaky_relu_grad": (FLOAT_DTYPES, [
        ("x,0.01", lambda x, dy, s: (x, LEAKY_SLOPE)),
        ("x,channel-slope", lambda x, dy, s: (x, s)),
    ]),
    "leaky_relu_backward": (FLOAT_DTYPES, [
        ("dy,x,0.01", lambda x, dy, s: (dy, x, LEAKY_SLOPE)),
        ("dy,x,channel-slope", lambda x, dy, s: (dy, x, s)),
    ]),
}
UFUNCS = [name for name in TABLE if hasattr(nprelu, name)]


def make(dtype: type, seed: int, channels: int) -> np.ndarray:
    """ROWS x channels values; floats carry signed zeros, infinities, NaNs,
    subnormals; ml_dtypes formats are random bit patterns (all of them)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    shape = (ROWS, channels)
    if dtype in ML_DTYPES:
        return rng.integers(0, 256**dt.itemsize, shape, dtype=f"u{dt.itemsize}").view(dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
    x = rng.standard_normal(shape).astype(dt)
    fi = np.finfo(dt)
    specials = np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, fi.smallest_subnormal,
         -fi.smallest_subnormal, fi.max, -fi.max],
        dtype=dt,
    )
    flat = x.reshape(-1)
    flat[::5] = np.resize(specials, flat[::5].shape)
    return x


def channel_slope(dtype: type) -> np.ndarray:
    """One PReLU slope per channel, in (-1, 1) and never 0: no product overflows
    and ``inf * slope`` is never ``inf * 0``, so valid input raises no warning."""
    s = np.linspace(0.05, 0.95, CHANNELS)
    s[::2] *= -1
    return s.astype(dtype)


@dataclass
class Case:
    """One call: a ufunc on one dtype, layout and operand variant."""

    id: str
    name: str
    operands: tuple[Any, ...]
    expected: tuple[np.ndarray, ...]

    @property
    def ufunc(self) -> np.ufunc:
        uf: np.ufunc = getattr(nprelu, self.name)
        return uf

    def empty_outputs(self) -> tuple[np.ndarray, ...]:
        return tuple(np.empty_like(e) for e in self.expected)

    def check(self, got: Sequence[np.ndarray], assert_same: Any) -> None:
        """Bit-exact against the reference; a failure names the case."""
        assert len(got) == len(self.expected), self.id
        for g, w in zip(got, self.expected):
            try:
                assert_same(g, w)
            except AssertionError as e:
                raise AssertionError(f"{self.id}: {e}") from None

    def call(self, operands: Sequence[Any], out: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        got = self.ufunc(*operands, out=out)
        return got if isinstance(got, tuple) else (got,)


@pytest.fixture(scope="module")
def inputs() -> dict[type, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Shared read-only (x, dy, per-channel slope), per dtype, contiguous and strided."""
    out: dict[type, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for i, dtype in enumerate(ALL_DTYPES):
        layouts = {}
        for j, (layout, step) in enumerate([("contiguous", 1), ("strided", 3)]):
            seed = 4 * i + 2 * j
            x = make(dtype, seed, step * CHANNELS)[:, ::step]
            dy = make(dtype, seed + 1, step * CHANNELS)[:, step - 1::step]
            s = channel_slope(dtype) if np.dtype(dtype).kind == "f" else np.ones(CHANNELS, dtype)
            for a in (x, dy, s):
                a.flags.writeable = False  # any write raises
            layouts[layout] = (x, dy, s)
        out[dtype] = layouts
    return out


@pytest.fixture(scope="module")
def cases(inputs: dict[type, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]) -> list[Case]:
    """Every (ufunc, dtype, layout, operand variant), with its reference result."""
    found = []
    for name in UFUNCS:
        ref = getattr(reference, name)  # a ufunc without a reference is an error, not a skip
        dtypes, variants = TABLE[name]
        for dtype in dtypes:
            for layout, (x, dy, s) in inputs[dtype].items():
                for variant, operands in variants:
                    ops = operands(x, dy, s)
                    want = ref(*ops)
                    want = tuple(want) if isinstance(want, tuple) else (want,)
                    for w in want:
                        assert w.dtype == np.dtype(dtype) and w.shape == x.shape
                    found.append(Case(f"{name}({variant}) {np.dtype(dtype).name} {layout}",
                                      name, ops, want))
    return found


def test_table_covers_every_ufunc() -> None:
    exported = {n for n in dir(nprelu) if isinstance(getattr(nprelu, n), np.ufunc)}
    assert exported <= set(TABLE), f"not in the thread test's table: {exported - set(TABLE)}"
    assert {"relu", "relu_grad", "relu_backward", "relu_and_grad"} <= set(UFUNCS)


@contextmanager
def stores(kind: str) -> Iterator[None]:
    """``plain``: the threshold chosen at import (these arrays are below it);
    ``streaming``: threshold 0, so every contiguous out-of-place call uses
    non-temporal stores, whose partial cache lines at slice edges matter here."""
    if kind == "plain":
        yield
        return
    if not _ufuncs.STREAMING_STORES:
        pytest.skip("the active target has no streaming stores")
    previous = _ufuncs.set_stream_threshold(0)  # no loop runs while it changes
    try:
        yield
    finally:
        _ufuncs.set_stream_threshold(previous)


def _own_outputs(tid: int, barrier: threading.Barrier, cases: list[Case], assert_same: Any) -> int:
    """One thread: every case ROUNDS times, into outputs only this thread owns."""
    barrier.wait()
    checked = 0
    for _ in range(ROUNDS):
        # Each thread starts at a different case, so that different loops
        # (and SIMD paths) run at the same moment.
        start = tid * len(cases) // THREADS
        for case in cases[start:] + cases[:start]:
            out = case.empty_outputs()
            got = case.call(case.operands, out)
            assert all(g is o for g, o in zip(got, out)), case.id
            case.check(got, assert_same)
            # Freshly allocated outputs.
            fresh = case.ufunc(*case.operands)
            case.check(fresh if isinstance(fresh, tuple) else (fresh,), assert_same)
            # In place, on a private copy of the first operand.
            k = next(i for i, op in enumerate(case.operands) if isinstance(op, np.ndarray))
            mine = case.operands[k].copy()
            ops = case.operands[:k] + (mine,) + case.operands[k + 1:]
            got = case.call(ops, (mine,) + case.empty_outputs()[1:])
            assert got[0] is mine, case.id
            case.check(got, assert_same)
            checked += 1
    return checked


@pytest.mark.parametrize("store", ["plain", "streaming"])
def test_threads_own_outputs(inputs: Any, cases: list[Case], store: str, assert_same: Any) -> None:
    """Shared inputs, separate outputs: results bit-exact, inputs untouched."""
    assert {case.name for case in cases} == set(UFUNCS)
    saved = {dtype: {layout: tuple(a.copy() for a in arrays) for layout, arrays in lay.items()}
             for dtype, lay in inputs.items()}
    barrier = threading.Barrier(THREADS)
    with stores(store), ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_own_outputs, tid, barrier, cases, assert_same)
                   for tid in range(THREADS)]
        done = [f.result(timeout=600) for f in futures]  # re-raises a thread's failure
    assert done == [ROUNDS * len(cases)] * THREADS
    for dtype, lay in inputs.items():
        for layout, arrays in lay.items():
            for a, b in zip(arrays, saved[dtype][layout]):
                assert_same(a, b)


def _row_slice(op: Any, rows: slice) -> Any:
    """The operand for some rows: arrays by row; a scalar or per-channel slope as is."""
    return op[rows] if isinstance(op, np.ndarray) and op.ndim == 2 else op


@pytest.mark.parametrize("store", ["plain", "streaming"])
@pytest.mark.parametrize("split", ["blocks", "interleaved"])
def test_threads_share_one_output(cases: list[Case], split: str, store: str,
                                  assert_same: Any) -> None:
    """All threads write disjoint rows of one output array per case at the same
    time: uneven blocks of rows, or every THREADS-th row (neighbouring rows of
    different threads share cache lines)."""
    shared = {case.id: tuple(np.full_like(e, 7) for e in case.expected) for case in cases}
    if split == "blocks":
        bounds = np.linspace(0, ROWS, 4 * THREADS + 1).astype(int)
        bounds[1:-1] += np.arange(1, 4 * THREADS) % 3  # uneven
        pieces = [[slice(bounds[k], bounds[k + 1]) for k in range(t, 4 * THREADS, THREADS)]
                  for t in range(THREADS)]
    else:
        pieces = [[slice(t, None, THREADS)] for t in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def fill(tid: int) -> None:
        barrier.wait()
        for _ in range(ROUNDS):
            for case in cases:
                for rows in pieces[tid]:
                    ops = tuple(_row_slice(op, rows) for op in case.operands)
                    case.call(ops, tuple(o[rows] for o in shared[case.id]))

    with stores(store), ThreadPoolExecutor(max_workers=THREADS) as pool:
        for f in [pool.submit(fill, t) for t in range(THREADS)]:
            f.result(timeout=600)
    for case in cases:
        case.check(shared[case.id], assert_same)
