#!/usr/bin/env python3
"""Past one core with dask: a large array through dask.array, 1 and 2 workers.

    python bench/dask_scaling.py            n = 1e8 float32 (400 MB), ~1 min
    python bench/dask_scaling.py --quick    n = 2e7, fewer rounds

``nprelu.relu(dx)`` on a ``dask.array`` dispatches through
``__array_ufunc__`` to one call per chunk; so does ``np.maximum(dx, 0)``.
Each is stored with ``da.store`` into a preallocated NumPy array (so every
chunk is really computed and written, not left lazy), under dask's threaded
scheduler with 1 and with 2 workers.  The loops release the GIL, so the
workers run in parallel; nothing here is a thread pool of our own.

``da.store(dx, out)`` (a copy through the same graph, no computation) is
dask's own floor.  Rounds are interleaved (every (function, workers) pair
once per round) and the minimum is kept.  The plain single-threaded calls on
the NumPy array (``relu(x, out=out)``, ``np.maximum(x, 0, out=out)``,
``np.copyto(out, x)``) are timed alongside as the no-dask reference.
Output: results/dask_scaling.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import nprelu
from nprelu import reference

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import run as benchlib  # noqa: E402  (bench/run.py: metadata, JSON)

FUNCS = {
    "nprelu.relu": lambda a: nprelu.relu(a),
    "np.maximum(x, 0)": lambda a: np.maximum(a, 0),
    # dask's own floor: the same store with no computation.
    "copy (store dx)": lambda a: a,
}
PLAIN = {
    "nprelu.relu": lambda x, out: nprelu.relu(x, out=out),
    "np.maximum(x, 0)": lambda x, out: np.maximum(x, 0, out=out),
    "copy (store dx)": lambda x, out: np.copyto(out, x),
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="n = 2e7 and 3 rounds: a smoke run")
    ap.add_argument("--n", type=float, help="elements (default 1e8; quick 2e7)")
    ap.add_argument("--chunk", type=float, default=4e6,
                    help="elements per chunk (default 4e6: 16 MB float32)")
    ap.add_argument("--rounds", type=int, help="default 9 (quick 3)")
    ap.add_argument("--output-dir", metavar="DIR",
                    help="where dask_scaling.json goes (default bench/results)")
    ap.add_argument("--seed", type=int, default=20240501)
    cfg = ap.parse_args(argv)
    cfg.n = int(cfg.n or (2e7 if cfg.quick else 1e8))
    cfg.chunk = int(cfg.chunk)
    cfg.rounds = cfg.rounds or (3 if cfg.quick else 9)
    return cfg


def main(argv=None) -> int:
    cfg = parse_args(argv)
    started = time.perf_counter()
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        print(f"dask scaling: NOT RUN, dask is not installed ({exc}); "
              "pip install 'dask[array]'", file=sys.stderr)
        return 1

    rng = np.random.default_rng([cfg.seed, cfg.n])
    x = rng.standard_normal(cfg.n, dtype=np.float32)
    out = np.empty_like(x)
    dx = da.from_array(x, chunks=cfg.chunk)
    nbytes = 2 * x.nbytes  # read x, write out
    workers = (1, 2)
    print(f"nprelu {nprelu.__version__} through dask {dask.__version__}: "
          f"n = {cfg.n:.3g} float32 ({x.nbytes / 1e6:.0f} MB in, as much out), "
          f"{dx.numblocks[0]} chunks of {cfg.chunk:.3g}; threaded scheduler; "
          f"{os.cpu_count()} logical CPUs; target "
          f"{nprelu.cpu_targets()['active']}")

    def dask_run(name: str, k: int) -> float:
        t0 = time.perf_counter()
        da.store(FUNCS[name](dx), out, lock=False, scheduler="threads",
                 num_workers=k)
        return time.perf_counter() - t0

    def plain_run(name: str) -> float:
        t0 = time.perf_counter()
        PLAIN[name](x, out)
        return time.perf_counter() - t0

    # The answers, once, before timing: relu bit for bit against the
    # reference, np.maximum by value (it is the peer, not the product).
    want = reference.relu(x)
    for name in FUNCS:
        out.fill(np.nan)
        dask_run(name, 2)
        if name == "nprelu.relu":
            same = benchlib._same_bits(out, want)
        elif name == "np.maximum(x, 0)":
            same = np.array_equal(out, want)
        else:
            same = benchlib._same_bits(out, x)
        if not same:
            print(f"WRONG ANSWER: {name} through dask differs from "
                  "nprelu.reference.relu", file=sys.stderr)
            return 2
    del want

    cases = [("dask", name, k) for name in FUNCS for k in workers]
    cases += [("plain", name, 1) for name in PLAIN]
    samples: dict = {c: [] for c in cases}
    for r in range(cfg.rounds):
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for c in order:
            kind, name, k = c
            samples[c].append(dask_run(name, k) if kind == "dask"
                              else plain_run(name))
        benchlib.progress(f"round {r + 1}/{cfg.rounds}")

    best = {c: min(v) for c, v in samples.items()}
    rows = []
    for kind, name, k in cases:
        t = best[(kind, name, k)]
        row = {"engine": "dask threaded" if kind == "dask" else
               "NumPy array, no dask", "func": name, "workers": k,
               "time_s": t, "gbps": nbytes / t / 1e9,
               "samples": samples[(kind, name, k)]}
        if kind == "dask" and k == 2:
            row["scaling_2_vs_1"] = best[(kind, name, 1)] / t
        if name == "nprelu.relu":
            row["speedup_over_np_maximum"] = best[(kind, "np.maximum(x, 0)", k)] / t
        rows.append(row)

    print()
    print(f"{'engine':<22} {'function':<18} {'workers':>7} {'time':>9} "
          f"{'GB/s':>6} {'2 vs 1':>7} {'vs np.maximum':>14}")
    for r in rows:
        print(f"{r['engine']:<22} {r['func']:<18} {r['workers']:>7} "
              f"{benchlib.fmt_time(r['time_s']):>9} {r['gbps']:>6.1f} "
              f"{(format(r['scaling_2_vs_1'], '.2f') + 'x') if 'scaling_2_vs_1' in r else '':>7} "
              f"{(format(r['speedup_over_np_maximum'], '.2f') + 'x') if 'speedup_over_np_maximum' in r else '':>14}")

    meta = {k: v for k, v in benchlib.metadata(
        argparse.Namespace(quick=cfg.quick, dtypes=["float32"], sizes=[cfg.n],
                           ml_dtypes=[], ml_sizes=[], rounds=cfg.rounds,
                           goal_rounds=None, goal_time=None, goal_max=None,
                           sample_ms=None, budget=None, seed=cfg.seed),
        {}, started).items() if k not in ("peers", "config")}
    meta.update({"dask": dask.__version__, "n": cfg.n, "dtype": "float32",
                 "chunk": cfg.chunk, "chunks": dx.numblocks[0],
                 "bytes_moved": nbytes, "rounds": cfg.rounds,
                 "statements": {
                     "nprelu.relu": "da.store(nprelu.relu(dx), out, lock=False, "
                                    "scheduler='threads', num_workers=k)",
                     "np.maximum(x, 0)": "da.store(np.maximum(dx, 0), out, "
                                         "lock=False, scheduler='threads', "
                                         "num_workers=k)",
                     "copy (store dx)": "da.store(dx, out, lock=False, "
                                        "scheduler='threads', num_workers=k)",
                     "plain": "nprelu.relu(x, out=out); "
                              "np.maximum(x, 0, out=out); np.copyto(out, x)"},
                 "seconds": round(time.perf_counter() - started, 1)})
    out_dir = Path(cfg.output_dir) if cfg.output_dir else BENCH_DIR / "results"
    stem = "dask_scaling-quick" if cfg.quick else "dask_scaling"
    benchlib.write_json(out_dir / f"{stem}.json", {"meta": meta, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
