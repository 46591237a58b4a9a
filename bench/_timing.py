"""The timer the layout and ML-type benchmarks share."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(f: Callable[[], object], number: int, rounds: int) -> float:
    """Seconds per call of f: the best of `rounds` runs of `number` calls."""
    t = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            f()
        t = min(t, (time.perf_counter() - t0) / number)
    return t
