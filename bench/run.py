#!/usr/bin/env python3
"""Benchmark nprelu against the memory-traffic limit and against its peers.

    python bench/run.py                  full run: table, goal rows, JSON, PNG
    python bench/run.py --quick          smoke run for CI (under a minute)
    python bench/run.py --all-targets    goal rows under every SIMD target
    python bench/run.py --target avx2    the whole run under one forced target

Timing: every comparison is measured interleaved (A, B, A, B, ...; a table
cell rotates through all its statements the same way), each sample is a
``timeit`` loop of at least ``--sample-ms`` milliseconds, and the minimum of
the samples is kept.  Ratios are formed from those minima.  Before anything is
timed, every nprelu call is checked bit for bit against ``nprelu.reference``
on the bench data; a wrong answer exits with status 2.  Goals that miss do not
change the exit status.  See bench/README.md for the columns.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np

import nprelu
from nprelu import reference

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import peers as peerlib  # noqa: E402  (bench/peers.py)

RELU_FUNCS = ("relu", "relu_grad", "relu_backward", "relu_and_grad")
LEAKY_FUNCS = ("leaky_relu", "leaky_relu_grad", "leaky_relu_backward")
FUNCS = RELU_FUNCS + LEAKY_FUNCS
DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
# Formats of the optional ml_dtypes package that the bench times; bench
# rows on them need ml_dtypes and nprelu loops of their own for them.
ML_DTYPES = ("bfloat16", "float8_e4m3fn")
# The slope of the leaky family: a Python float, as users write it (a weak
# scalar: the array keeps its dtype).
SLOPE = 0.01

# Elements moved per element of n: array inputs read + outputs written.
TRAFFIC = {"relu": 2, "relu_grad": 2, "relu_backward": 3, "relu_and_grad": 3,
           "leaky_relu": 2, "leaky_relu_grad": 2, "leaky_relu_backward": 3}

# The nprelu statement of each function: (with out=, allocating).
NPRELU_STMT = {
    "relu": ("relu(x, out=o)", "relu(x)"),
    "relu_grad": ("relu_grad(x, out=o)", "relu_grad(x)"),
    "relu_backward": ("relu_backward(dy, x, out=o)", "relu_backward(dy, x)"),
    "relu_and_grad": ("relu_and_grad(x, out=(o, o2))", "relu_and_grad(x)"),
    "leaky_relu": ("leaky_relu(x, a, out=o)", "leaky_relu(x, a)"),
    "leaky_relu_grad": ("leaky_relu_grad(x, a, out=o)", "leaky_relu_grad(x, a)"),
    "leaky_relu_backward": ("leaky_relu_backward(dy, x, a, out=o)",
                            "leaky_relu_backward(dy, x, a)"),
}
# Where the answer of the out= form is.
OUT_RESULT = {f: ("(o, o2)" if f == "relu_and_grad" else "o") for f in FUNCS}

# The limit: a ufunc that moves the same bytes and computes nothing.
# (column heading, stmt with out=, allocating stmt)
LIMIT = {
    "relu": ("np.negative", "np.negative(x, out=o)", "np.negative(x)"),
    "relu_grad": ("np.negative", "np.negative(x, out=o)", "np.negative(x)"),
    "relu_backward": ("np.add", "np.add(dy, x, out=o)", "np.add(dy, x)"),
    # Reads x twice, so it moves one pass more than relu_and_grad needs.
    "relu_and_grad": ("2x np.negative",
                      "np.negative(x, out=o); np.negative(x, out=o2)",
                      "np.negative(x); np.negative(x)"),
    # A scalar operand, like the slope: the same call machinery and traffic.
    "leaky_relu": ("np.multiply", "np.multiply(x, a, out=o)",
                   "np.multiply(x, a)"),
    "leaky_relu_grad": ("np.multiply", "np.multiply(x, a, out=o)",
                        "np.multiply(x, a)"),
    "leaky_relu_backward": ("np.add", "np.add(dy, x, out=o)", "np.add(dy, x)"),
}
COPY = {
    "relu": ("np.copyto", "np.copyto(o, x)", "x.copy()"),
    "relu_grad": ("np.copyto", "np.copyto(o, x)", "x.copy()"),
    "relu_backward": None,
    "relu_and_grad": ("2x np.copyto", "np.copyto(o, x); np.copyto(o2, x)",
                      "x.copy(); x.copy()"),
    "leaky_relu": ("np.copyto", "np.copyto(o, x)", "x.copy()"),
    "leaky_relu_grad": ("np.copyto", "np.copyto(o, x)", "x.copy()"),
    "leaky_relu_backward": None,
}


def on_uint_views(stmt: str) -> str:
    """The statement on unsigned-integer views of the same bytes.

    NumPy's arithmetic on ml_dtypes types converts every element through
    float32, so for them the limit is the integer ufunc on the same memory.
    """
    return re.sub(r"\b(x|dy|o|o2)\b", lambda m: m.group(1) + "u", stmt)


def limit_of(func: str, dtype: str) -> tuple[str, str, str]:
    name, out_stmt, alloc_stmt = LIMIT[func]
    if dtype in ML_DTYPES:
        return (f"{name} (uint view)", on_uint_views(out_stmt),
                on_uint_views(alloc_stmt))
    return name, out_stmt, alloc_stmt


def copy_of(func: str, dtype: str) -> tuple[str, str, str] | None:
    c = COPY[func]
    if c is None or dtype not in ML_DTYPES:
        return c
    return (f"{c[0]} (uint view)", on_uint_views(c[1]), on_uint_views(c[2]))


# ---------------------------------------------------------------------------
# What this installation can run.
# ---------------------------------------------------------------------------


def _ml_dtypes_module():
    try:
        import ml_dtypes
    except ImportError:
        return None
    return ml_dtypes


def dtype_of(name: str) -> np.dtype:
    if name in DTYPES:
        return np.dtype(DTYPES[name])
    ml = _ml_dtypes_module()
    if ml is None or not hasattr(ml, name):
        raise KeyError(name)
    return np.dtype(getattr(ml, name))


def _tiny_args(func: str, dt: np.dtype) -> tuple:
    x = np.array([-1.0, 0.0, 2.0]).astype(dt)
    if func in ("relu_backward",):
        return (x, x)
    if func in ("leaky_relu", "leaky_relu_grad"):
        return (x, SLOPE)
    if func == "leaky_relu_backward":
        return (x, x, SLOPE)
    return (x,)


_SUPPORT: dict = {}


def unsupported(func: str, dtype: str) -> str | None:
    """Why ``func`` on ``dtype`` cannot be benchmarked here, or None.

    The bench needs nprelu's ufunc with a loop of this very dtype (not a
    detour through float32 casts) and ``nprelu.reference``'s definition to
    check it against.
    """
    key = (func, dtype)
    if key in _SUPPORT:
        return _SUPPORT[key]
    why = None
    try:
        dt = dtype_of(dtype)
    except KeyError:
        why = ("ml_dtypes is not installed" if _ml_dtypes_module() is None
               else f"ml_dtypes {_ml_dtypes_module().__version__} has no {dtype}")
    if why is None and not hasattr(nprelu, func):
        why = f"nprelu {nprelu.__version__} has no {func}"
    if why is None and not hasattr(reference, func):
        why = f"nprelu.reference has no {func}"
    if why is None:
        for mod, label in ((nprelu, "nprelu"), (reference, "nprelu.reference")):
            try:
                got = getattr(mod, func)(*_tiny_args(func, dt))
            except Exception as exc:  # noqa: BLE001
                why = f"{label}.{func} on {dtype}: {type(exc).__name__}"
                break
            got_t = got if isinstance(got, tuple) else (got,)
            bad = [g.dtype for g in got_t if np.asarray(g).dtype != dt]
            if bad:
                why = (f"{label}.{func} has no {dtype} loop ({dtype} in, "
                       f"{bad[0]} out)")
                break
    _SUPPORT[key] = why
    return why


def runnable(dtype: str, funcs=FUNCS) -> list[str]:
    return [f for f in funcs if unsupported(f, dtype) is None]


def streaming_info() -> dict:
    """What nprelu reports about streaming stores (absent before 0.2)."""
    mod = getattr(nprelu, "_ufuncs", None)
    info = {}
    for name in ("STREAMING_STORES", "STREAM_THRESHOLD", "LAST_LEVEL_CACHE"):
        info[name] = getattr(mod, name, None)
    info["NPRELU_STREAM_THRESHOLD"] = os.environ.get("NPRELU_STREAM_THRESHOLD")
    return info


class WrongAnswer(Exception):
    """An nprelu call disagreed with nprelu.reference."""


# ---------------------------------------------------------------------------
# Timing core.
# ---------------------------------------------------------------------------


class Timed:
    """One statement, timed by ``timeit`` in the namespace of its arrays."""

    def __init__(self, key: str, stmt: str, ns: dict):
        self.key = key
        self.stmt = stmt
        self.timer = timeit.Timer(stmt, globals=ns)
        self.inner = 1
        self.samples: list[float] = []
        self.spent = 0.0

    def calibrate(self, sample_s: float) -> None:
        """Warm up, then find the loop count that takes >= sample_s."""
        self.timer.timeit(1)  # first touch of fresh outputs, lazy setup
        n = 1
        while True:
            dt = self.timer.timeit(n)
            if dt >= sample_s or n >= 10**8:
                break
            grow = 1.25 * sample_s / dt if dt > 0 else 100.0
            n = int(min(max(2.0 * n, n * grow), 100.0 * n))
        self.inner = n

    def sample(self) -> None:
        dt = self.timer.timeit(self.inner)
        self.spent += dt
        self.samples.append(dt / self.inner)

    @property
    def best(self) -> float:
        return min(self.samples)


def interleave(items: list[Timed], rounds: int, sample_s: float,
               budget_s: float = math.inf, min_rounds: int = 3,
               min_time_s: float = 0.0, max_rounds: int = 0) -> None:
    """Each round times every item once, in turn; keeps all samples.

    Two items (A, B) are timed A, B, A, B, ...  A longer list (a table cell)
    starts each round one item later, so no statement always runs right
    after the same neighbour (e.g. a peer that flushed the cache).  An item
    that has used up ``budget_s`` (slow peers at large n) stops after
    ``min_rounds`` samples; the others continue.  With ``min_time_s``, more
    rounds follow (up to ``max_rounds``) until that much time has gone into
    the samples, so that short pairs are sampled over a window longer than
    a typical burst of noise on a shared machine.
    """
    for it in items:
        it.calibrate(sample_s)
    k = len(items)
    r = 0
    while r < rounds or (r < max_rounds
                         and sum(it.spent for it in items) < min_time_s):
        start = r % k if k > 2 else 0
        for it in items[start:] + items[:start]:
            if r >= min_rounds and it.spent >= budget_s:
                continue
            it.sample()
        r += 1


# ---------------------------------------------------------------------------
# Bench data and the correctness check.
# ---------------------------------------------------------------------------


def _normal(rng: np.random.Generator, size: int, dtype) -> np.ndarray:
    """Standard normal data: half the signs negative, in random order."""
    if dtype in (np.float32, np.float64):
        return rng.standard_normal(size, dtype=dtype)
    return rng.standard_normal(size).astype(dtype)


def _uint_view(a: np.ndarray) -> np.ndarray:
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def make_namespace(dtype_name: str, n: int, layout: str, seed: int,
                   packages: dict) -> dict:
    dtype = dtype_of(dtype_name)
    stride = 2 if layout == "stride2" else 1
    rng = np.random.default_rng([seed, n, stride, dtype.itemsize])
    x = _normal(rng, n * stride, dtype)[::stride]
    dy = _normal(rng, n * stride, dtype)[::stride]
    ns = {
        "np": np, "x": x, "dy": dy, "a": SLOPE,
        "o": np.empty(n, dtype), "o2": np.empty(n, dtype),
        "tmp": np.empty(n, dtype),
    }
    # The same bytes as unsigned integers: the copy limit of ml_dtypes types.
    for name in ("x", "dy", "o", "o2"):
        ns[name + "u"] = _uint_view(ns[name])
    for func in FUNCS:
        if hasattr(nprelu, func):
            ns[func] = getattr(nprelu, func)
    if dtype_name in DTYPES:  # the optional peers take IEEE types only
        peerlib.add_to_namespace(ns, packages)
    check_nprelu(ns, dtype_name, f"{dtype_name} n={n} {layout}")
    return ns


def _run(stmt: str, ns: dict, result: str | None = None):
    """Execute a statement once and return its answer."""
    if result is None:
        try:
            code = compile(stmt, "<bench>", "eval")
        except SyntaxError:
            code = None
        if code is not None:
            return eval(code, ns)  # noqa: S307 - our own statements
    exec(compile(stmt, "<bench>", "exec"), ns)  # noqa: S102
    return eval(result, ns)  # noqa: S307


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    u = np.dtype(f"u{a.dtype.itemsize}")
    return bool(np.array_equal(np.ascontiguousarray(a).view(u),
                               np.ascontiguousarray(b).view(u)))


def _expected(func: str, ns: dict):
    x, dy, a = ns["x"], ns["dy"], ns["a"]
    f = getattr(reference, func)
    if func == "relu_backward":
        return f(dy, x)
    if func in ("leaky_relu", "leaky_relu_grad"):
        return f(x, a)
    if func == "leaky_relu_backward":
        return f(dy, x, a)
    return f(x)


def check_nprelu(ns: dict, dtype: str, where: str) -> None:
    """Every nprelu statement of the bench, both forms, bit for bit."""
    for func in runnable(dtype):
        want = _expected(func, ns)
        want_t = want if isinstance(want, tuple) else (want,)
        out_stmt, alloc_stmt = NPRELU_STMT[func]
        ns["ou"].fill(0x55)  # a pattern no answer here has, NaN or not
        ns["o2u"].fill(0x55)
        got_out = _run(out_stmt, ns, OUT_RESULT[func])
        got_alloc = _run(alloc_stmt, ns)
        for form, got in (("out=", got_out), ("allocating", got_alloc)):
            got_t = got if isinstance(got, tuple) else (got,)
            if len(got_t) != len(want_t) or not all(
                    _same_bits(g, w) for g, w in zip(got_t, want_t)):
                raise WrongAnswer(
                    f"nprelu.{func} ({form}) differs from nprelu.reference "
                    f"on the bench data ({where}, target "
                    f"{nprelu.cpu_targets()['active']})")


def check_peer(peer: peerlib.Peer, func: str, ns: dict) -> str | None:
    """None if the peer runs and gives the right values, else why not."""
    try:
        got = peerlib.to_numpy(_run(peer.stmt, ns, peer.result))
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}: {str(exc)[:80]}"
    want = _expected(func, ns)
    want_t = want if isinstance(want, tuple) else (want,)
    got_t = got if isinstance(got, tuple) else (got,)
    if len(got_t) != len(want_t):
        return "wrong number of outputs"
    for g, w in zip(got_t, want_t):
        if peer.round_to_input:
            # e.g. np.where(x > 0, 1, a): float64 `a` for float32 x; the
            # values are right once rounded to x's dtype.
            g = g.astype(w.dtype)
        if g.shape != w.shape or not np.array_equal(
                g.astype(np.float64), w.astype(np.float64)):
            return "wrong values"
    return None


# ---------------------------------------------------------------------------
# The table.
# ---------------------------------------------------------------------------


def run_cell(func: str, dtype: str, n: int, layout: str, ns: dict,
             packages: dict, cfg: argparse.Namespace, skipped: dict) -> list:
    """Time one (function, dtype, n, layout): nprelu, limits and peers."""
    items: dict[str, Timed] = {}

    def add(key, stmt):
        items[key] = Timed(key, stmt, ns)

    out_stmt, alloc_stmt = NPRELU_STMT[func]
    lim_name, lim_out, lim_alloc = limit_of(func, dtype)
    copy = copy_of(func, dtype)
    add("nprelu:out", out_stmt)
    add("limit:out", lim_out)
    if copy:
        add("copy:out", copy[1])
    add("nprelu:alloc", alloc_stmt)
    add("limit:alloc", lim_alloc)
    if copy:
        add("copy:alloc", copy[2])

    peer_status: dict[str, str] = {}
    for p in peerlib.PEERS[func]:
        pkg = packages.get(p.package)
        if pkg is None or not pkg.available:
            peer_status[p.short] = (f"{p.package} {pkg.reason}" if pkg
                                    else f"{p.package} not loaded")
        elif dtype not in p.dtypes:
            peer_status[p.short] = f"no {dtype} in this peer"
        else:
            why = check_peer(p, func, ns)
            if why:
                peer_status[p.short] = why
                skipped.setdefault(f"{func}: {p.short} ({p.stmt})",
                                   set()).add(f"{dtype}: {why}")
            else:
                add("peer:" + p.short, p.stmt)

    rounds = cfg.rounds
    interleave(list(items.values()), rounds, cfg.sample_ms / 1e3,
               budget_s=cfg.budget, min_rounds=min(3, rounds))

    rows = []
    traffic = TRAFFIC[func] * n * dtype_of(dtype).itemsize
    for mode in ("out", "alloc"):
        t = items[f"nprelu:{mode}"].best
        lim = items[f"limit:{mode}"].best
        row = {
            "func": func, "dtype": dtype, "n": n, "layout": layout,
            "mode": mode, "stmt": items[f"nprelu:{mode}"].stmt,
            "time_s": t, "bytes": traffic, "gbps": traffic / t / 1e9,
            "samples": len(items[f"nprelu:{mode}"].samples),
            "limit": {"name": lim_name, "stmt": items[f"limit:{mode}"].stmt,
                      "time_s": lim, "gbps": traffic / lim / 1e9,
                      "ratio": t / lim},
            "copy": None, "peers": {},
        }
        if copy:
            c = items[f"copy:{mode}"].best
            row["copy"] = {"name": copy[0],
                           "stmt": items[f"copy:{mode}"].stmt,
                           "time_s": c, "ratio": t / c}
        for p in peerlib.PEERS[func]:
            it = items.get("peer:" + p.short)
            if it is None:
                row["peers"][p.short] = {"stmt": p.stmt, "package": p.package,
                                         "skipped": peer_status[p.short]}
            else:
                row["peers"][p.short] = {
                    "stmt": p.stmt, "package": p.package, "time_s": it.best,
                    "gbps": traffic / it.best / 1e9, "speedup": it.best / t}
        rows.append(row)
    return rows


def fmt_time(t: float) -> str:
    if t < 1e-6:
        return f"{t * 1e9:.0f}ns"
    if t < 1e-3:
        return f"{t * 1e6:.3g}us"
    if t < 1:
        return f"{t * 1e3:.3g}ms"
    return f"{t:.3g}s"


def fmt_n(n: int) -> str:
    """1e7, 3e7; other numbers as they are."""
    if n < 1000:
        return str(n)
    e = int(math.floor(math.log10(n)))
    k, rest = divmod(n, 10**e)
    return f"{k}e{e}" if rest == 0 else str(n)


def print_table(func: str, rows: list) -> None:
    peers = peerlib.PEERS[func]
    lim = LIMIT[func][0]
    has_copy = COPY[func] is not None
    print()
    print(f"== {func}  (limit: {lim}" + (f", copy: {COPY[func][0]}" if has_copy else "")
          + "; peer columns: peer time / nprelu time, > 1 means nprelu is faster)")
    if any(r["dtype"] in ML_DTYPES for r in rows):
        print("     ml_dtypes rows: limit and copy are the same calls on "
              "unsigned-integer views of the same bytes")
    for p in peers:
        why = {r["peers"][p.short].get("skipped") for r in rows}
        skip = (f"   [SKIPPED: {why.pop()}]"
                if len(why) == 1 and None not in why else "")
        print(f"     {p.short:<11} = {p.stmt}"
              + (f"   [{p.note}]" if p.note else "") + skip)
    head = ["dtype", "layout", "n", "mode", "time", "GB/s", "t/limit"]
    if has_copy:
        head.append("t/copy")
    head += [p.short for p in peers]
    dw = max([7] + [len(r["dtype"]) for r in rows])
    widths = [dw, 7, 4, 5, 8, 6, 7] + ([6] if has_copy else []) \
        + [max(len(p.short), 6) for p in peers]
    print("  ".join(h.rjust(w) if i > 3 else h.ljust(w)
                    for i, (h, w) in enumerate(zip(head, widths))))
    for r in rows:
        cells = [r["dtype"], r["layout"], fmt_n(r["n"]), r["mode"],
                 fmt_time(r["time_s"]), f"{r['gbps']:.1f}",
                 f"{r['limit']['ratio']:.2f}"]
        if has_copy:
            cells.append(f"{r['copy']['ratio']:.2f}")
        for p in peers:
            pr = r["peers"][p.short]
            cells.append(f"{pr['speedup']:.1f}x" if "speedup" in pr else "-")
        print("  ".join(c.rjust(w) if i > 3 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(cells, widths))))


def run_table(cfg, packages) -> tuple[list, dict, dict]:
    """All table cells; also returns the excluded peers and what did not run."""
    rows: list = []
    skipped: dict = {}
    not_run: dict = {}
    cells = [(d, n, lay) for d in cfg.dtypes for n in cfg.sizes
             for lay in ("contig", "stride2")]
    cells += [(d, n, "contig") for d in cfg.ml_dtypes for n in cfg.ml_sizes]
    for i, (d, n, lay) in enumerate(cells, 1):
        funcs = runnable(d)
        for f in FUNCS:
            if f not in funcs:
                not_run.setdefault(f"{f} {d}", unsupported(f, d))
        if not funcs:
            continue
        t0 = time.perf_counter()
        ns = make_namespace(d, n, lay, cfg.seed, packages)
        for func in funcs:
            rows += run_cell(func, d, n, lay, ns, packages, cfg, skipped)
        del ns
        progress(f"table {i}/{len(cells)}: {d} n={fmt_n(n)} {lay} "
                 f"({time.perf_counter() - t0:.1f} s)")
    order = {d: i for i, d in enumerate(cfg.dtypes + cfg.ml_dtypes)}
    rows.sort(key=lambda r: (FUNCS.index(r["func"]), order[r["dtype"]],
                             r["layout"], r["n"], r["mode"] != "out"))
    return rows, {k: sorted(v) for k, v in skipped.items()}, not_run


# ---------------------------------------------------------------------------
# Goal rows.
# ---------------------------------------------------------------------------


def goal_specs() -> list[dict]:
    """The goals of SPEC.md, section Performance, one row per measurement.

    ``quick`` marks the rows a ``--quick`` run keeps; ``requires`` names the
    nprelu functions a row times, so that a row this installation cannot run
    is reported as not run (with the reason), never as a pass.
    """
    g: list[dict] = []

    def add(group, dtype, n, layout, a, b, kind, threshold, desc, *,
            quick=True, requires=None, c=None):
        if requires is None:
            requires = [f for f in FUNCS if re.search(rf"\b{f}\(", a)]
        g.append({"group": group, "dtype": dtype, "n": n, "layout": layout,
                  "a": a, "b": b, "c": c, "kind": kind, "threshold": threshold,
                  "desc": desc, "quick": quick, "requires": requires})

    for d in ("float32", "float64"):
        for n in (10**3, 10**5, 10**7):
            for f in ("relu", "relu_grad"):
                add("limit", d, n, "contig", f"{f}(x, out=o)",
                    "np.negative(x, out=o)", "ratio", 1.10,
                    f"{f} / np.negative")
            for f in ("relu", "relu_grad"):
                add("strided", d, n, "stride2", f"{f}(x, out=o)",
                    "np.negative(x, out=o)", "ratio", 1.25,
                    f"{f} / np.negative, x[::2]")
            add("backward", d, n, "contig", "relu_backward(dy, x, out=o)",
                "np.add(dy, x, out=o)", "ratio", 1.15,
                "relu_backward / np.add")
            add("backward", d, n, "contig", "relu_backward(dy, x, out=o)",
                "relu_grad(x, out=tmp); np.multiply(dy, tmp, out=o)",
                "speedup", 1.4, "relu_backward vs relu_grad+multiply")
        # SPEC: <= 0.90 at n = 1e5 and <= 0.85 at n >= 1e7 (no goal in cache
        # at 1e3, where two calls cost little more than one).
        for n, t in ((10**5, 0.90), (10**7, 0.85)):
            add("and_grad", d, n, "contig", "relu_and_grad(x, out=(o, o2))",
                "relu(x, out=o); relu_grad(x, out=o2)", "ratio", t,
                "relu_and_grad / (relu + relu_grad)")
        # An idiom sits a machine-dependent factor above the limit (a
        # ufunc moving the same bytes), and relu runs at the limit, so a
        # fixed speedup only holds where that factor is large.  Where it is
        # not (measured: np.maximum float64, astype float32), the goal is a
        # share of it: speedup over the idiom / (idiom time / np.negative(x)
        # time) >= 0.90, i.e. relu(x) within 1.11x of np.negative(x); both
        # speedups are reported.
        if d == "float32":
            add("peers", d, 10**5, "contig", "relu(x)", "np.maximum(x, 0)",
                "speedup", 3.0, "relu vs np.maximum(x, 0)")
            add("peers", d, 10**5, "contig", "relu_grad(x)",
                "(x > 0).astype(x.dtype)", "capped", 0.90,
                "relu_grad vs (x > 0).astype(x.dtype), share",
                c="np.negative(x)")
        else:
            add("peers", d, 10**5, "contig", "relu(x)", "np.maximum(x, 0)",
                "capped", 0.90, "relu vs np.maximum(x, 0), share",
                c="np.negative(x)")
        for n in (1, 10**3):
            for f in ("relu", "relu_grad"):
                add("overhead", d, n, "contig", f"{f}(x, out=o)",
                    "np.negative(x, out=o)", "ratio", 1.00,
                    f"{f} / np.negative (call overhead)")
            add("overhead", d, n, "contig", "relu_backward(dy, x, out=o)",
                "np.add(dy, x, out=o)", "ratio", 1.00,
                "relu_backward / np.add (call overhead)")
        add("overhead", d, 1, "contig", "relu_and_grad(x, out=(o, o2))",
            "np.modf(x, out=(o, o2))", "ratio", 1.00,
            "relu_and_grad / np.modf (1-in-2-out call overhead)")

    # Beyond the copy: outputs far larger than the last-level cache.
    copy2 = "np.copyto(o, x); np.copyto(o2, x)"
    for d in ("float32", "float64"):
        for n in (10**7, 3 * 10**7):
            q = d == "float32" and n == 10**7
            add("beyond", d, n, "contig", "relu(x, out=o)", "np.copyto(o, x)",
                "ratio", 0.85, "relu / np.copyto", quick=q)
            add("beyond", d, n, "contig", "relu_backward(dy, x, out=o)",
                "np.add(dy, x, out=o)", "ratio", 0.90,
                "relu_backward / np.add", quick=False)
            add("beyond", d, n, "contig", "relu_and_grad(x, out=(o, o2))",
                copy2, "ratio", 0.65, "relu_and_grad / 2x np.copyto",
                quick=False)
            add("beyond", d, n, "contig", "leaky_relu(x, a, out=o)",
                "np.copyto(o, x)", "ratio", 0.85, "leaky_relu / np.copyto",
                quick=False)
            add("beyond", d, n, "contig",
                "leaky_relu_backward(dy, x, a, out=o)", "np.add(dy, x, out=o)",
                "ratio", 0.90, "leaky_relu_backward / np.add", quick=False)
        # ... and no slower in cache, where outputs keep plain stores.  C is
        # the same bytes through a NumPy loop (np.negative), shown beside:
        # np.copyto is memcpy, which in L2 and L3 (glibc: `rep movsb`) writes
        # whole lines without first reading them, as no vector loop can.
        neg = "np.negative(x, out=o)"
        for n in (10**3, 10**5):
            q = d == "float32" and n == 10**5
            for f in ("relu", "relu_grad"):
                add("beyond", d, n, "contig", f"{f}(x, out=o)",
                    "np.copyto(o, x)", "ratio", 1.10,
                    f"{f} / np.copyto (in cache)", quick=q, c=neg)
        # (At 1e3 a 1-in-2-out ufunc call costs more than two np.copyto
        # calls whatever the loop does; the np.modf row covers that.)
        add("beyond", d, 10**5, "contig", "relu_and_grad(x, out=(o, o2))",
            copy2, "ratio", 1.10, "relu_and_grad / 2x np.copyto (in cache)",
            quick=False, c=f"{neg}; np.negative(x, out=o2)")

    # The leaky family; `a` is the Python float SLOPE.
    for d in ("float32", "float64"):
        for n in (10**3, 10**5, 10**7):
            q = d == "float32" and n == 10**5
            add("leaky", d, n, "contig", "leaky_relu(x, a, out=o)",
                "np.multiply(x, a, out=o)", "ratio", 1.15,
                "leaky_relu / np.multiply", quick=q)
            add("leaky", d, n, "contig", "leaky_relu_backward(dy, x, a, out=o)",
                "np.add(dy, x, out=o)", "ratio", 1.20,
                "leaky_relu_backward / np.add", quick=q)
        add("leaky", d, 10**5, "contig", "leaky_relu(x, a)",
            "np.where(x > 0, x, a * x)", "speedup", 3.0,
            "leaky_relu vs np.where(x > 0, x, a * x)", quick=d == "float32")
        # As users write it: with a Python float `a` this idiom returns
        # float64 even for float32 x (and so writes twice the bytes).
        add("leaky", d, 10**5, "contig", "leaky_relu_grad(x, a)",
            "np.where(x > 0, 1, a)", "speedup", 2.0,
            "leaky_relu_grad vs np.where(x > 0, 1, a)", quick=d == "float32")

    # ml_dtypes formats: the limit is a copy of the same bytes as uints.
    # np.maximum(x, 0) keeps these dtypes (the 0 is a weak Python int), and
    # so does (x > 0).astype(x.dtype); both convert through float32.
    for d in ML_DTYPES:
        for n in (10**5, 10**7):
            add("ml", d, n, "contig", "relu(x, out=o)", "np.copyto(ou, xu)",
                "ratio", 1.25, "relu / np.copyto of uint views",
                quick=n == 10**5)
        add("ml", d, 10**5, "contig", "relu(x)", "np.maximum(x, 0)",
            "speedup", 10.0, "relu vs np.maximum(x, 0)")
        add("ml", d, 10**5, "contig", "relu_grad(x)",
            "(x > 0).astype(x.dtype)", "speedup", 10.0,
            "relu_grad vs (x > 0).astype(x.dtype)")
    return g


GROUP_ORDER = ("limit", "strided", "backward", "and_grad", "peers", "overhead",
               "beyond", "leaky", "ml")
GROUP_TITLE = {
    "limit": "relu, relu_grad vs the copy limit (contiguous, out=)",
    "strided": "strided input x[::2] (out= contiguous)",
    "backward": "relu_backward (out=)",
    "and_grad": "relu_and_grad (out=) vs relu + relu_grad (both out=)",
    "peers": "speedup over pure-NumPy answers (both allocating); 'share' = "
             "speedup / the limit's speedup (idiom time / np.negative(x) time)",
    "overhead": "call overhead at n <= 1000 (out=)",
    "beyond": "beyond the copy: large outputs vs np.copyto / np.add (out=), "
              "and no slower in cache",
    "leaky": f"leaky family, a = {SLOPE} (Python float)",
    "ml": "ml_dtypes formats (relu out=; speedups allocating)",
}


def _passed(kind: str, value: float, threshold: float) -> bool:
    return value <= threshold if kind == "ratio" else value >= threshold


def run_goals(cfg, packages) -> list[dict]:
    specs = [s for s in goal_specs() if s["quick"] or not cfg.quick]
    by_data: dict = {}
    for s in specs:
        why = next((w for w in (unsupported(f, s["dtype"])
                                for f in s["requires"]) if w), None)
        if why:
            s.update({"status": "not run", "reason": why, "passed": None,
                      "value": None})
            continue
        by_data.setdefault((s["n"], s["dtype"], s["layout"]), []).append(s)
    measured: dict = {}
    for i, (key, group) in enumerate(sorted(by_data.items()), 1):
        n, d, lay = key
        t0 = time.perf_counter()
        ns = make_namespace(d, n, lay, cfg.seed, packages)
        for s in group:
            stmts = (s["a"], s["b"]) + ((s["c"],) if s["c"] else ())
            mkey = (key, stmts)
            if mkey not in measured:  # the n=1e3 rows share their pair
                items = [Timed(k, st, ns) for k, st in zip("ABC", stmts)]
                # A capped row's triple rotates its start each round, as
                # a table cell does; a pair alternates A, B.
                interleave(items, cfg.goal_rounds, cfg.sample_ms / 1e3,
                           min_rounds=cfg.goal_rounds,
                           min_time_s=cfg.goal_time, max_rounds=cfg.goal_max)
                measured[mkey] = ([it.best for it in items],
                                  len(items[0].samples))
            times, k = measured[mkey]
            ta, tb = times[0], times[1]
            s.update({"status": "run", "a_time_s": ta, "b_time_s": tb,
                      "rounds": k})
            if s["kind"] == "ratio":
                value = ta / tb
                if s["c"]:  # shown beside, no part of the verdict
                    s.update({"c_time_s": times[2],
                              "c_ratio": times[2] / tb})
            elif s["kind"] == "speedup":
                value = tb / ta
            else:  # capped: the speedup as a share of the copy's speedup
                tc = times[2]
                s.update({"c_time_s": tc, "speedup": tb / ta,
                          "cap": tb / tc})
                value = tc / ta
            s.update({"value": value,
                      "passed": _passed(s["kind"], value, s["threshold"])})
        del ns
        progress(f"goals {i}/{len(by_data)}: {d} n={fmt_n(n)} {lay} "
                 f"({time.perf_counter() - t0:.1f} s)")
    specs.sort(key=lambda s: GROUP_ORDER.index(s["group"]))
    return specs


def goal_text(s: dict) -> str:
    if s["kind"] == "ratio":
        return f"<= {s['threshold']:.2f}"
    if s["kind"] == "capped":
        return f">= {s['threshold']:.2f}"
    return f">= {s['threshold']:g}x"


def value_text(s: dict) -> str:
    """The value, with a third decimal when two would hide the verdict."""
    if s.get("value") is None:
        return "-"
    v = f"{s['value']:.2f}"
    if v == f"{s['threshold']:.2f}":
        v = f"{s['value']:.3f}"
    return v + ("x" if s["kind"] == "speedup" else "")


def mark_text(s: dict) -> str:
    if s["passed"] is None:
        return "not run"
    return "PASS" if s["passed"] else "MISS"


def print_goals(goals: list[dict], target: str) -> None:
    print()
    print(f"== goal rows (SPEC.md, Performance), nprelu target {target}; "
          "ratio = A time / B time, speedup = B time / A time")
    w = max(len(s["desc"]) for s in goals)
    dw = max(7, *(len(s["dtype"]) for s in goals))
    hdr = (f"{'goal':<{w}}  {'dtype':<{dw}}  {'n':>4}  {'layout':<7}  "
           f"{'A time':>8}  {'B time':>8}  {'value':>6}  {'goal':>8}  mark")
    group = None
    for s in goals:
        if s["group"] != group:
            group = s["group"]
            print(f"-- {GROUP_TITLE[group]}")
            print(hdr)
        run = s["passed"] is not None
        line = (f"{s['desc']:<{w}}  {s['dtype']:<{dw}}  {fmt_n(s['n']):>4}  "
                f"{s['layout']:<7}  "
                f"{fmt_time(s['a_time_s']) if run else '-':>8}  "
                f"{fmt_time(s['b_time_s']) if run else '-':>8}  "
                f"{value_text(s):>6}  {goal_text(s):>8}  {mark_text(s)}")
        if run and s["kind"] == "ratio" and s["c"]:
            line += (f"  (same bytes through np.negative: "
                     f"{fmt_time(s['c_time_s'])}, {s['c_ratio']:.2f} of B)")
        if run and s["kind"] == "capped":
            line += (f"  (speedup {s['speedup']:.2f}x of a possible "
                     f"{s['cap']:.2f}x; np.negative(x) "
                     f"{fmt_time(s['c_time_s'])})")
        print(line)


def goal_summary(goals: list[dict]) -> dict:
    missed = [s for s in goals if s["passed"] is False]
    not_run = [s for s in goals if s["passed"] is None]
    reasons: dict = {}
    for s in not_run:
        reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
    return {"rows": len(goals), "pass": len(goals) - len(missed) - len(not_run),
            "miss": len(missed), "not_run": len(not_run),
            "missed": [f"{s['desc']} {s['dtype']} n={fmt_n(s['n'])} "
                       f"{s['layout']}: {value_text(s)} (goal {goal_text(s)})"
                       for s in missed],
            "not_run_reasons": reasons}


def print_summary(summary: dict, target: str) -> None:
    print()
    print(f"== goal summary (target {target}): {summary['pass']} of "
          f"{summary['rows']} goal rows PASS, {summary['miss']} MISS, "
          f"{summary['not_run']} not run")
    for m in summary["missed"]:
        print(f"   MISS  {m}")
    for why, k in summary["not_run_reasons"].items():
        print(f"   not run ({k} rows): {why}")


# ---------------------------------------------------------------------------
# Environment, output, targets.
# ---------------------------------------------------------------------------


def progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    return [f for f in ("sse2", "avx", "avx2", "fma", "avx512f",
                                        "avx512bw", "avx512vl") if f in have]
    except OSError:
        pass
    return []


def metadata(cfg, packages, started: float) -> dict:
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if cfg.quick else "full",
        # options only: file paths of this machine stay out of the results
        "argv": [a for a in sys.argv[1:] if not os.path.isabs(a)],
        "seconds": round(time.perf_counter() - started, 1),
        "cpu": {"model": cpu_model(), "flags": cpu_flags(),
                "logical_cpus": os.cpu_count(), "machine": platform.machine()},
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "nprelu": nprelu.__version__,
        "nprelu_targets": {k: (list(v) if isinstance(v, tuple) else v)
                           for k, v in nprelu.cpu_targets().items()},
        "NPRELU_CPU_TARGET": os.environ.get("NPRELU_CPU_TARGET"),
        "streaming": streaming_info(),
        "ml_dtypes": getattr(_ml_dtypes_module(), "__version__", None),
        "peers": {name: {"available": p.available, "version": p.version,
                         "detail": p.detail, "reason": p.reason,
                         "setup_s": round(p.setup_seconds, 2)}
                  for name, p in packages.items()},
        "config": {"dtypes": cfg.dtypes, "sizes": cfg.sizes,
                   "ml_dtypes": cfg.ml_dtypes, "ml_sizes": cfg.ml_sizes,
                   "slope": SLOPE,
                   "rounds": cfg.rounds, "goal_rounds": cfg.goal_rounds,
                   "goal_min_time_s": cfg.goal_time,
                   "goal_max_rounds": cfg.goal_max,
                   "sample_ms": cfg.sample_ms, "budget_s": cfg.budget,
                   "seed": cfg.seed},
    }


def print_header(cfg, packages) -> None:
    t = nprelu.cpu_targets()
    print(f"nprelu {nprelu.__version__} bench ({'quick' if cfg.quick else 'full'}): "
          f"target {t['active']} (compiled {', '.join(t['compiled'])}; "
          f"supported {', '.join(t['supported'])})")
    print(f"CPU {cpu_model()} ({os.cpu_count()} logical); Python "
          f"{platform.python_version()}, NumPy {np.__version__}")
    st = streaming_info()
    if st["STREAMING_STORES"] is None:
        print("streaming stores: not in this nprelu")
    else:
        print(f"streaming stores: {'on' if st['STREAMING_STORES'] else 'off'} "
              f"(threshold {st['STREAM_THRESHOLD']} bytes of output; "
              f"last-level cache {st['LAST_LEVEL_CACHE']} bytes)")
    ml = _ml_dtypes_module()
    print(f"ml_dtypes {ml.__version__}" if ml else "ml_dtypes: not installed")
    for name, p in packages.items():
        if name == "numpy":
            continue
        if p.available:
            print(f"peer {name} {p.version} ({p.detail}; set up in "
                  f"{p.setup_seconds:.1f} s)")
        else:
            print(f"peer {name}: SKIPPED, {p.reason}")
    print(f"timing: interleaved, min of {cfg.rounds} rounds per table cell; "
          f"goal rows {cfg.goal_rounds} to {cfg.goal_max} rounds (until "
          f"{cfg.goal_time:g} s sampled); samples >= {cfg.sample_ms:g} ms; "
          "data: standard normal (half negative)")


def output_paths(cfg) -> tuple[Path, Path]:
    out_dir = Path(cfg.output_dir) if cfg.output_dir else BENCH_DIR / "results"
    stem = "quick" if cfg.quick else "latest"
    if cfg.all_targets:
        stem = "targets" + ("-quick" if cfg.quick else "")
    if cfg.tag:
        stem += f"-{cfg.tag}"
    js = Path(cfg.json) if cfg.json else out_dir / f"{stem}.json"
    png_stem = "throughput" + ("-quick" if cfg.quick else "") \
        + (f"-{cfg.tag}" if cfg.tag else "")
    return js, out_dir / f"{png_stem}.png"


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str) + "\n",
                   encoding="utf-8")
    tmp.replace(path)
    print(f"\nJSON written to {path}")


def child_args(argv: list[str]) -> list[str]:
    """argv without the target-selection and output-naming options."""
    with_value = ("--target", "--tag", "--json", "--output")
    flags = ("--all-targets",)
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        name = a.split("=", 1)[0]
        if name in flags:
            continue
        if name in with_value:
            skip = "=" not in a
            continue
        out.append(a)
    return out


def run_targets(cfg, targets: list[str], goals_only: bool) -> int:
    """Re-run this script under each target (NPRELU_CPU_TARGET)."""
    t = nprelu.cpu_targets()
    base = child_args(sys.argv[1:])
    results, status = {}, 0
    tmpdir = Path(tempfile.mkdtemp(prefix="nprelu-bench-"))
    for target in targets:
        if target not in t["compiled"] or target not in t["supported"]:
            why = "not compiled in" if target not in t["compiled"] \
                else "not supported by this CPU"
            print(f"\n#### target {target}: SKIPPED ({why})")
            results[target] = {"skipped": why}
            continue
        print(f"\n#### target {target} (NPRELU_CPU_TARGET={target})", flush=True)
        env = dict(os.environ, NPRELU_CPU_TARGET=target)
        args = [sys.executable, str(Path(__file__).resolve()), *base,
                "--tag", target]
        if goals_only:
            js = tmpdir / f"{target}.json"
            args += ["--goals-only", "--json", str(js)]
        rc = subprocess.call(args, env=env)
        if rc != 0:
            print(f"#### target {target}: exit status {rc}")
            status = status or rc
            results[target] = {"failed": rc}
            continue
        if goals_only:
            results[target] = json.loads(js.read_text(encoding="utf-8"))
    if goals_only:
        ran = [k for k, v in results.items() if "goals" in v]
        if ran:
            print_target_comparison(results, ran)
            js_path, _ = output_paths(cfg)
            write_json(js_path, {"targets": results})
    return status


def print_target_comparison(results: dict, ran: list[str]) -> None:
    print()
    print("== goal rows by SIMD target (value and mark per target)")
    goals = results[ran[0]]["goals"]
    w = max(len(s["desc"]) for s in goals)
    print(f"{'goal':<{w}}  {'dtype':<7}  {'n':>4}  {'layout':<7}  {'goal':>8}  "
          + "  ".join(f"{t:>13}" for t in ran))
    for i, s in enumerate(goals):
        cells = []
        for t in ran:
            r = results[t]["goals"][i]
            cells.append(f"{value_text(r):>7} {mark_text(r)}")
        print(f"{s['desc']:<{w}}  {s['dtype']:<7}  {fmt_n(s['n']):>4}  "
              f"{s['layout']:<7}  {goal_text(s):>8}  "
              + "  ".join(f"{c:>13}" for c in cells))
    print()
    for t in ran:
        sm = results[t]["summary"]
        print(f"   target {t:<9}: {sm['pass']} of {sm['rows']} PASS, "
              f"{sm['miss']} MISS, {sm.get('not_run', 0)} not run")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark nprelu against np.negative/np.add/np.copyto "
                    "(the memory-traffic limit) and its peers.")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run (< 60 s): float32/float64, n = 1e3, 1e5 in "
                         "the table, fewer rounds; goal rows are all run")
    ap.add_argument("--goals-only", action="store_true",
                    help="skip the big table, run only the goal rows")
    ap.add_argument("--target", metavar="NAME[,NAME]",
                    help="re-run the bench under these SIMD targets, each in a "
                         "subprocess with NPRELU_CPU_TARGET=NAME ('all' = "
                         "every compiled target)")
    ap.add_argument("--all-targets", action="store_true",
                    help="goal rows under every compiled target, side by side")
    ap.add_argument("--output-dir", metavar="DIR",
                    help="where JSON and PNG go (default bench/results)")
    ap.add_argument("--json", "--output", dest="json", metavar="FILE",
                    help="JSON path (default DIR/latest.json, quick: "
                         "DIR/quick.json)")
    ap.add_argument("--plot", dest="plot", action="store_true", default=None,
                    help="draw the PNG (default: on in full runs, off in quick)")
    ap.add_argument("--no-plot", dest="plot", action="store_false")
    ap.add_argument("--rounds", type=int, help="rounds per table cell")
    ap.add_argument("--goal-rounds", type=int, help="rounds per goal row")
    ap.add_argument("--sample-ms", type=float, default=2.0,
                    help="minimum duration of one timing sample (ms)")
    ap.add_argument("--skip-peer", action="append", default=[],
                    choices=("numexpr", "numba", "torch"),
                    help="do not import this optional peer")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--tag", help=argparse.SUPPRESS)
    cfg = ap.parse_args(argv)
    if cfg.quick:
        cfg.dtypes = ["float32", "float64"]
        cfg.sizes = [10**3, 10**5]
        cfg.ml_dtypes, cfg.ml_sizes = [], []
        cfg.rounds = cfg.rounds or 5
        cfg.goal_rounds = cfg.goal_rounds or 7
        cfg.goal_time, cfg.goal_max = 0.1, 21
        cfg.budget = 0.2
    else:
        cfg.dtypes = ["float32", "float64", "float16"]
        cfg.sizes = [1, 10**3, 10**5, 10**7]
        cfg.ml_dtypes, cfg.ml_sizes = list(ML_DTYPES), [10**3, 10**5, 10**7]
        cfg.rounds = cfg.rounds or 7
        cfg.goal_rounds = cfg.goal_rounds or 15
        cfg.goal_time, cfg.goal_max = 0.5, 61
        cfg.budget = 0.5
    if cfg.plot is None:
        cfg.plot = not cfg.quick
    return cfg


def main(argv=None) -> int:
    cfg = parse_args(argv)
    started = time.perf_counter()

    if cfg.all_targets or cfg.target:
        if cfg.target and cfg.target != "all":
            targets = [t.strip() for t in cfg.target.split(",") if t.strip()]
        else:
            targets = list(nprelu.cpu_targets()["compiled"])
        status = run_targets(cfg, targets, goals_only=cfg.all_targets)
        progress(f"done in {time.perf_counter() - started:.1f} s")
        return status

    packages = peerlib.load_packages(tuple(cfg.skip_peer))
    print_header(cfg, packages)
    active = nprelu.cpu_targets()["active"]
    result: dict = {}
    try:
        if not cfg.goals_only:
            rows, skipped, not_run = run_table(cfg, packages)
            for func in FUNCS:
                func_rows = [r for r in rows if r["func"] == func]
                if func_rows:
                    print_table(func, func_rows)
            for k, v in skipped.items():
                print(f"peer excluded: {k}: {'; '.join(v)}")
            for k, v in not_run.items():
                print(f"table rows not run: {k}: {v}")
            result["table"] = rows
            result["excluded_peers"] = skipped
            result["table_not_run"] = not_run
        goals = run_goals(cfg, packages)
    except WrongAnswer as exc:
        print(f"\nWRONG ANSWER: {exc}", file=sys.stderr)
        return 2
    summary = goal_summary(goals)
    print_goals(goals, active)
    print_summary(summary, active)
    result["goals"] = goals
    result["summary"] = summary
    result["meta"] = metadata(cfg, packages, started)

    js_path, png_path = output_paths(cfg)
    if cfg.plot and "table" in result:
        import plot as plotlib  # bench/plot.py

        print(plotlib.draw(result, png_path))
        result["meta"]["plot"] = png_path.name if png_path.exists() else None
    result["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    order = ("meta", "summary", "goals", "excluded_peers", "table_not_run",
             "table")
    write_json(js_path, {k: result[k] for k in order if k in result})
    progress(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
