#!/usr/bin/env python3
"""The leaky family on ml_dtypes types: against a copy and against the idiom.

For bfloat16 and float8_e4m3fn: `leaky_relu(x, a, out=o)` time / `np.copyto`
of the same bytes (as unsigned integers), at n = 1e5 and 1e7 (goal <= 1.25),
and the speedup over `np.where(x > 0, x, a * x)` on the same array at 1e5
(goal >= 10), each SIMD target the CPU supports run in a subprocess
(NPRELU_CPU_TARGET), timed interleaved, best of several rounds.

    python bench/leaky_ml.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
from _timing import best  # bench/ is on the path when run as a script

COPY_GOAL = 1.25
IDIOM_GOAL = 10.0


def measure(quick: bool) -> list[dict[str, object]]:
    import ml_dtypes

    import nprelu

    rounds = 3 if quick else 7
    rows: list[dict[str, object]] = []
    for name in ("bfloat16", "float8_e4m3fn"):
        t = np.dtype(getattr(ml_dtypes, name))
        a = t.type(0.01)
        for n in (100_000, 10_000_000):
            rng = np.random.default_rng(0)
            x = rng.standard_normal(n).astype(np.float32).astype(t)
            o = np.empty_like(x)
            xu, ou = x.view(f"u{t.itemsize}"), o.view(f"u{t.itemsize}")
            number = max(1, 20_000_000 // n // (10 if quick else 1))
            ours = theirs = float("inf")
            for _ in range(rounds):
                ours = min(ours, best(lambda: nprelu.leaky_relu(x, a, out=o), number, 1))
                theirs = min(theirs, best(lambda: np.copyto(ou, xu), number, 1))
            row: dict[str, object] = {"dtype": name, "n": n, "vs_copyto": round(ours / theirs, 3)}
            if n == 100_000:
                idiom = float("inf")
                for _ in range(rounds):
                    idiom = min(idiom, best(lambda: np.where(x > 0, x, a * x), max(1, number // 10), 1))
                row["speedup_vs_where"] = round(idiom / ours, 1)
            row["target"] = nprelu.cpu_targets()["active"]
            rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", help="write the rows here")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        print(json.dumps(measure(args.quick)))
        return 0
    import nprelu

    rows: list[dict[str, object]] = []
    for target in nprelu.cpu_targets()["supported"]:
        env = dict(os.environ, NPRELU_CPU_TARGET=target)
        cmd = [sys.executable, __file__, "--inner"] + (["--quick"] if args.quick else [])
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        rows += json.loads(r.stdout)
    print(f"leaky_relu(x, 0.01, out=o) on ml_dtypes types (goals: <= {COPY_GOAL} x np.copyto, "
          f">= {IDIOM_GOAL}x faster than np.where(x > 0, x, a * x) at 1e5)")
    for row in rows:
        extra = f"  {row['speedup_vs_where']:6.1f}x faster than np.where" if "speedup_vs_where" in row else ""
        print(f"  {row['target']:8s} {row['dtype']:14s} n={row['n']:>10,d}  "
              f"{row['vs_copyto']:5.2f} x np.copyto{extra}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
