#!/usr/bin/env python3
"""Thread scaling: two threads against one, on in-cache arrays.

The loops run without the GIL, so two threads calling nprelu on separate
in-cache arrays should take about the time one thread takes for half the
work.  Each round times the same total work done by one thread and by two
(interleaved, minimum over rounds); the row is time(1 thread) / time(2).

    python bench/threads.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable

import numpy as np

import nprelu

N = 65_536  # float32: 256 KiB in + 256 KiB out per thread, in L2


def work(f: Callable[..., object], args: tuple[np.ndarray, ...], reps: int) -> None:
    for _ in range(reps):
        f(*args)


def timed_threads(jobs: list[tuple[Callable[..., object], tuple[np.ndarray, ...], int]]) -> float:
    start = threading.Barrier(len(jobs) + 1)

    def run(job: tuple[Callable[..., object], tuple[np.ndarray, ...], int]) -> None:
        start.wait()
        work(*job)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def calls(name: str, rng: np.random.Generator) -> tuple[Callable[..., object], tuple[np.ndarray, ...]]:
    x = rng.standard_normal(N).astype(np.float32)
    o = np.empty_like(x)
    if name == "relu_backward":
        return (lambda dy, x, o: nprelu.relu_backward(dy, x, out=o)), (x.copy(), x, o)
    f = getattr(nprelu, name)
    return (lambda x, o: f(x, out=o)), (x, o)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    opts = ap.parse_args()
    rounds, reps = (5, 400) if opts.quick else (15, 2000)
    rng = np.random.default_rng(0)
    cores = os.cpu_count() or 1
    print(f"thread scaling, float32, n = {N:,} per thread (in cache), {cores} CPUs, "
          f"target {nprelu.cpu_targets()['active']}")
    print(f"  {'ufunc':<15} {'1 thread':>10} {'2 threads':>10} {'speedup':>8}")
    rows = {}
    for name in ("relu", "relu_grad", "relu_backward"):
        (f, a), (g, b) = calls(name, rng), calls(name, rng)
        one = two = float("inf")
        for _ in range(rounds):  # same total work: 2 * reps calls
            one = min(one, timed_threads([(f, a, 2 * reps)]))
            two = min(two, timed_threads([(f, a, reps), (g, b, reps)]))
        rows[name] = {"one_thread_s": one, "two_threads_s": two, "speedup": one / two}
        print(f"  {name:<15} {one * 1e3:8.2f}ms {two * 1e3:8.2f}ms {one / two:7.2f}x")
    if opts.json:
        with open(opts.json, "w") as fh:
            json.dump({"n": N, "cpus": cores, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
