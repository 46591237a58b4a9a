"""No leaks: a million calls leave the process's resident memory where it was.

The calls are spread over the four ufuncs and over the ways they are called:
small arrays, NumPy and Python scalars, ``out=`` (array and tuple), ``where=``,
strided and mixed-dtype operands, ``.accumulate`` and ``.at``, and calls that
raise and are caught (complex input, wrongly shaped ``out``, read-only
``out``, an unsafe cast, shapes that do not broadcast).  After a warm-up the
resident set size (``/proc/self/statm``, the current RSS, not the peak) may
grow by at most a small bound; reference counts of the operands and of the
ufuncs must not change at all.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

import nprelu

TOTAL_CALLS = 1_000_000
WARMUP_CALLS = 100_000
MAX_GROWTH = 8 * 2**20  # bytes
MAX_TRACED_GROWTH = 64 * 2**10  # bytes
NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]


def rss_bytes() -> int:
    """Current resident set size."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - no procfs: the peak is all there is
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def raises(exc: type[BaseException], f: Callable[..., object], *args: object,
           **kwargs: object) -> Callable[[], None]:
    def call() -> None:
        try:
            f(*args, **kwargs)
        except exc:
            return
        raise AssertionError(f"{f} did not raise {exc.__name__}")
    return call


def build_calls() -> tuple[list[Callable[[], object]], list[object]]:
    """The calls of one round, and the objects whose refcounts must not move."""
    relu, grad, back, both = (getattr(nprelu, n) for n in NAMES)
    x = np.linspace(-2.0, 2.0, 16).astype(np.float32)
    x[3] = np.nan
    xd = x.astype(np.float64)
    xi = np.arange(-8, 8, dtype=np.int16)
    strided = np.linspace(-1, 1, 40)[::-3]
    o = np.empty_like(x)
    o2 = np.empty_like(x)
    od = np.empty_like(xd)
    mask = np.arange(16) % 3 == 0
    cplx = np.ones(4, np.complex128)
    wrong = np.empty(5, np.float32)
    ro = np.empty_like(x)
    ro.flags.writeable = False
    o_int = np.empty(16, np.int8)
    acc = np.empty_like(xd)
    at_target = np.linspace(-1, 1, 8)
    at_idx = np.array([0, 3, 3, 7])
    f32, f16 = np.float32(-1.5), np.float16(2.0)

    calls: list[Callable[[], object]] = []
    for f in (relu, grad):
        calls += [
            lambda f=f: f(x),
            lambda f=f: f(x, out=o),
            lambda f=f: f(xi),
            lambda f=f: f(strided),
            lambda f=f: f(f32),
            lambda f=f: f(-3.5),
            lambda f=f: f(7),
            lambda f=f: f(x, out=o, where=mask),
            lambda f=f: f.at(at_target, at_idx),
            raises(TypeError, f, cplx),
            raises(ValueError, f, x, out=wrong),
            raises(ValueError, f, x, out=ro),
            raises(TypeError, f, x, out=o_int),  # float -> int8: unsafe cast
        ]
    calls += [
        lambda: back(x, x),
        lambda: back(xd, x, out=od),
        lambda: back(x, x[::-1], out=o),
        lambda: back(xi, x),
        lambda: back(f16, -1.0),
        lambda: back(2.0, 3.0),
        lambda: back(x, x, out=o, where=mask),
        lambda: back.accumulate(xd, out=acc),
        raises(TypeError, back, cplx, cplx),
        raises(ValueError, back, x, wrong),
        raises(ValueError, back, x, x, out=ro),
        raises(TypeError, back, x, x, out=o_int),
    ]
    calls += [
        lambda: both(x),
        lambda: both(x, out=(o, o2)),
        lambda: both(xd, out=(od, None)),
        lambda: both(xi),
        lambda: both(f32),
        lambda: both(x, out=(o, o2), where=mask),
        raises(TypeError, both, cplx),
        raises(ValueError, both, x, out=(o, wrong)),
        raises(ValueError, both, x, out=(ro, o2)),
        raises(TypeError, both, x, out=(o, o_int)),
    ]
    watched: list[object] = [x, xd, xi, strided, o, o2, od, mask, cplx, wrong, ro, o_int,
                             acc, at_target, at_idx, f32, f16, relu, grad, back, both]
    return calls, watched


def run(calls: list[Callable[[], object]], n: int) -> int:
    rounds = -(-n // len(calls))
    for _ in range(rounds):
        for c in calls:
            c()
    return rounds * len(calls)


def test_every_call_kind_works() -> None:
    """The calls of a round do what they should (so the loop below measures them)."""
    calls, _ = build_calls()
    with np.errstate(all="raise"):
        for c in calls:
            c()


# Under AddressSanitizer (.ci/sanitize preloads its runtime) freed memory sits
# in ASan's quarantine, so RSS grows by design; the traced-allocation test
# below still runs there, and this one runs in every plain test run.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                    reason="needs /proc/self/statm for the current RSS")
@pytest.mark.skipif(UNDER_ASAN, reason="ASan's quarantine keeps freed memory resident")
def test_million_calls_do_not_grow_rss() -> None:
    calls, watched = build_calls()
    with np.errstate(all="raise"):
        done = run(calls, WARMUP_CALLS)
        gc.collect()
        refs = [sys.getrefcount(w) for w in watched]
        rss0 = rss_bytes()
        t0 = time.perf_counter()
        checkpoints = []
        while done < TOTAL_CALLS:
            done += run(calls, min(150_000, TOTAL_CALLS - done))
            checkpoints.append((done, rss_bytes() - rss0))
        elapsed = time.perf_counter() - t0
    gc.collect()
    growth = rss_bytes() - rss0
    trail = ", ".join(f"{n // 1000}k: {g / 2**20:+.2f} MiB" for n, g in checkpoints)
    assert done >= TOTAL_CALLS
    assert growth <= MAX_GROWTH, (
        f"RSS grew by {growth / 2**20:.2f} MiB over {done - WARMUP_CALLS} calls after a "
        f"{WARMUP_CALLS}-call warm-up (bound {MAX_GROWTH / 2**20:.0f} MiB); trail: {trail}")
    after = [sys.getrefcount(w) for w in watched]  # counted exactly as before
    moved = [(i, a, b) for i, (a, b) in enumerate(zip(refs, after)) if a != b]
    assert not moved, f"reference counts changed (index, before, after): {moved}"
    print(f"\n{done} calls ({len(calls)} kinds) in {elapsed:.1f} s; RSS growth after warm-up "
          f"{growth / 2**20:+.2f} MiB; trail: {trail}")


def test_traced_allocations_do_not_grow() -> None:
    """Finer than RSS: every Python object and every NumPy data buffer is seen
    by tracemalloc, so even one leaked result array per call kind adds up."""
    calls, _ = build_calls()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        with np.errstate(all="raise"):
            run(calls, 50_000)
            gc.collect()
            before, _ = tracemalloc.get_traced_memory()
            done = run(calls, 200_000)
            gc.collect()
            after, _ = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    growth = after - before
    # a leaked 16-element result per call of one kind would be ~4000 * 200 bytes
    assert growth <= MAX_TRACED_GROWTH, (
        f"traced memory grew by {growth} bytes over {done} calls "
        f"(bound {MAX_TRACED_GROWTH} bytes)")
    print(f"\ntracemalloc: {done} calls, traced memory growth {growth:+d} bytes")
