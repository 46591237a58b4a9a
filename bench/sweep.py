#!/usr/bin/env python3
"""Size sweep: how the cost of nprelu grows with n, against a copy.

    python bench/sweep.py              19 sizes, 1e2 to 1e8 float32 (~3 min)
    python bench/sweep.py --quick      12 sizes to 3e7, fewer repeats (< 30 s)

At each size, interleaved (one round times every statement once, starting
one statement later each round) and keeping the minimum over the rounds:

    relu(x, out=o)                   vs  np.copyto(o, x)
    relu(xi, out=xi)   (in place)        (reference: moves 2 bytes per byte)
    relu_backward(dy, x, out=o)      vs  np.add(dy, x, out=o)
    relu_and_grad(x, out=(o, o2))    vs  np.copyto(o, x); np.copyto(o2, x)
    leaky_relu(x, a, out=o)          vs  np.copyto(o, x)     (if nprelu has it)

Every nprelu answer is checked bit for bit against nprelu.reference first.
Writes results/sweep.json and, with matplotlib, results/sweep.png: GB/s
against the bytes each call touches, log-log, with the cache sizes marked,
and nprelu's time over its reference's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import nprelu
from nprelu import reference

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import run as benchlib  # noqa: E402  (bench/run.py: timing, metadata)

DTYPE = np.float32
SLOPE = benchlib.SLOPE

# key: (statement, arrays of n elements read, arrays written, distinct
#       arrays touched, the NumPy series that moves the same bytes)
SERIES = {
    "relu": ("relu(x, out=o)", 1, 1, 2, "copy"),
    "relu_inplace": ("relu(xi, out=xi)", 1, 1, 1, "copy"),
    "copy": ("np.copyto(o, x)", 1, 1, 2, None),
    "relu_backward": ("relu_backward(dy, x, out=o)", 2, 1, 3, "add"),
    "add": ("np.add(dy, x, out=o)", 2, 1, 3, None),
    "relu_and_grad": ("relu_and_grad(x, out=(o, o2))", 1, 2, 3, "copy2"),
    "copy2": ("np.copyto(o, x); np.copyto(o2, x)", 2, 2, 3, None),
    "leaky_relu": ("leaky_relu(x, a, out=o)", 1, 1, 2, "copy"),
}


def sizes(quick: bool) -> list[int]:
    """Log-spaced: 1e2 to 1e8, 3 per decade; quick: 1e2 to 3e7, 2 per decade."""
    per_decade, decades = (2, 5.5) if quick else (3, 6)
    k = int(decades * per_decade)
    return [int(round(10 ** (2 + i / per_decade))) for i in range(k + 1)]


# ---------------------------------------------------------------------------
# Cache sizes.
# ---------------------------------------------------------------------------


def _parse_size(text: str) -> int | None:
    text = text.strip().upper()
    mult = {"K": 1024, "M": 1024**2, "G": 1024**3}
    try:
        if text and text[-1] in mult:
            return int(text[:-1]) * mult[text[-1]]
        return int(text)
    except ValueError:
        return None


def cache_sizes() -> dict:
    """Data and unified caches of CPU 0, from sysfs, else from getconf.

    Returns {"levels": {"L1": bytes, ...}, "source": ..., "unknown": [...],
    "getconf": {...}} (getconf is kept as a cross-check: on some machines
    it reports a different L3 than the kernel's per-core view).
    """
    levels: dict[str, int] = {}
    source = None
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    for idx in sorted(root.glob("index*")):
        try:
            kind = (idx / "type").read_text().strip()
            level = int((idx / "level").read_text())
            size = _parse_size((idx / "size").read_text())
        except (OSError, ValueError):
            continue
        if kind in ("Data", "Unified") and size:
            levels[f"L{level}"] = size
            source = str(root).replace("cpu0", "cpuN") + "/index*/size"
    conf: dict[str, int | None] = {}
    for level, name in (("L1", "LEVEL1_DCACHE_SIZE"), ("L2", "LEVEL2_CACHE_SIZE"),
                        ("L3", "LEVEL3_CACHE_SIZE"), ("L4", "LEVEL4_CACHE_SIZE")):
        try:
            out = subprocess.run(["getconf", name], capture_output=True,
                                 text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        conf[level] = _parse_size(out) or None
    if not levels:
        levels = {k: v for k, v in conf.items() if v}
        source = "getconf" if levels else None
    unknown = [lv for lv in ("L1", "L2", "L3") if lv not in levels]
    return {"levels": levels, "source": source, "unknown": unknown,
            "getconf": conf}


# ---------------------------------------------------------------------------
# Measurement.
# ---------------------------------------------------------------------------


def namespace(n: int, seed: int) -> dict:
    rng = np.random.default_rng([seed, n])
    x = rng.standard_normal(n, dtype=DTYPE)
    ns = {"np": np, "x": x, "dy": rng.standard_normal(n, dtype=DTYPE),
          "xi": x.copy(), "o": np.empty(n, DTYPE), "o2": np.empty(n, DTYPE),
          "a": SLOPE}
    for f in ("relu", "relu_backward", "relu_and_grad", "leaky_relu"):
        if hasattr(nprelu, f):
            ns[f] = getattr(nprelu, f)
    return ns


def check(ns: dict, keys: list[str], n: int) -> None:
    """nprelu's answers on this size's data, bit for bit, before timing."""
    x, dy = ns["x"], ns["dy"]
    want = {"relu": (reference.relu(x),),
            "relu_inplace": (reference.relu(x),),
            "relu_backward": (reference.relu_backward(dy, x),),
            "relu_and_grad": reference.relu_and_grad(x)}
    if "leaky_relu" in keys:
        want["leaky_relu"] = (reference.leaky_relu(x, SLOPE),)
    got_of = {"relu_inplace": ("xi",), "relu_and_grad": ("o", "o2")}
    for key, w in want.items():
        ns["o"].fill(np.nan)
        ns["o2"].fill(np.nan)
        ns["xi"][...] = x
        exec(SERIES[key][0], ns)  # noqa: S102 - our own statements
        got = tuple(ns[name] for name in got_of.get(key, ("o",)))
        if not all(benchlib._same_bits(g, e) for g, e in zip(got, w)):
            raise benchlib.WrongAnswer(
                f"{SERIES[key][0]} differs from nprelu.reference at n={n}")
    ns["xi"][...] = x


def measure(n: int, keys: list[str], cfg) -> dict:
    ns = namespace(n, cfg.seed)
    check(ns, keys, n)
    items = [benchlib.Timed(k, SERIES[k][0], ns) for k in keys]
    benchlib.interleave(items, cfg.rounds, cfg.sample_ms / 1e3,
                        min_rounds=cfg.rounds, min_time_s=cfg.min_time,
                        max_rounds=cfg.max_rounds)
    item = DTYPE().itemsize
    out = {"n": n, "series": {}}
    for it in items:
        _, reads, writes, arrays, ref = SERIES[it.key]
        moved = (reads + writes) * n * item
        out["series"][it.key] = {
            "time_s": it.best, "ns_per_element": it.best / n * 1e9,
            "bytes_moved": moved, "footprint_bytes": arrays * n * item,
            "gbps": moved / it.best / 1e9, "rounds": len(it.samples)}
    for k, s in out["series"].items():
        ref = SERIES[k][4]
        if ref:
            s["ratio_to"] = ref
            s["ratio"] = s["time_s"] / out["series"][ref]["time_s"]
    return out


# ---------------------------------------------------------------------------
# Plot.
# ---------------------------------------------------------------------------

PANELS = (
    ("relu(x, out=o) vs np.copyto(o, x)",
     [("relu", "nprelu relu, out=o", "-o", "tab:blue"),
      ("leaky_relu", "nprelu leaky_relu, out=o", "-^", "tab:purple"),
      ("relu_inplace", "nprelu relu in place", ":s", "tab:cyan"),
      ("copy", "np.copyto(o, x)", "--", "black")]),
    ("relu_backward(dy, x, out=o) vs np.add(dy, x, out=o)",
     [("relu_backward", "nprelu relu_backward, out=o", "-o", "tab:orange"),
      ("add", "np.add(dy, x, out=o)", "--", "black")]),
    ("relu_and_grad(x, out=(o, o2)) vs two np.copyto",
     [("relu_and_grad", "nprelu relu_and_grad, out=(o, o2)", "-o", "tab:green"),
      ("copy2", "np.copyto(o, x); np.copyto(o2, x)", "--", "black")]),
)


def draw(result: dict, path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError as exc:
        return f"plot SKIPPED: matplotlib is not installed ({exc})"
    rows = result["sizes"]
    caches = result["meta"]["caches"]["levels"]
    threshold = result["meta"]["streaming"]["STREAM_THRESHOLD"]
    if not result["meta"]["streaming"]["STREAMING_STORES"]:
        threshold = None

    def stream_line(ax, arrays, label):
        # Streaming starts where one output array reaches the threshold,
        # i.e. at `arrays` times it in bytes touched.
        if threshold:
            ax.axvline(arrays * threshold, color="tab:red", lw=0.9, ls="--",
                       alpha=0.7)
            ax.text(arrays * threshold, 0.5, f" streaming stores: {label}",
                    transform=ax.get_xaxis_transform(), fontsize=7,
                    color="tab:red", rotation=90, va="center", ha="left")
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))

    def vlines(ax, label=True):
        for lv, size in sorted(caches.items()):
            ax.axvline(size, color="gray", lw=0.8, ls=":")
            if label:
                ax.text(size, 0.98, f"{lv} {size // 1024} KiB " if size < 2**20
                        else f"{lv} {size // 2**20} MiB ",
                        transform=ax.get_xaxis_transform(), fontsize=7,
                        color="gray", rotation=90, va="top", ha="right")

    for ax, (title, series) in zip(axes.flat, PANELS):
        for key, label, style, color in series:
            pts = [(r["series"][key]["footprint_bytes"], r["series"][key]["gbps"])
                   for r in rows if key in r["series"]]
            if pts:
                ax.plot(*zip(*pts), style, color=color, ms=3.5, lw=1.5,
                        label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("GB/s (bytes read + written per call / time)")
        ax.set_xlabel("bytes the call touches (all its arrays)")
        ax.grid(True, which="both", alpha=0.25)
        vlines(ax)
        stream_line(ax, SERIES[series[0][0]][3], "outputs from here")
        ax.legend(fontsize=7, loc="lower center")

    ax = axes[1, 1]
    ratios = (("relu", "relu / np.copyto", "tab:blue"),
              ("leaky_relu", "leaky_relu / np.copyto", "tab:purple"),
              ("relu_inplace", "relu in place / np.copyto", "tab:cyan"),
              ("relu_backward", "relu_backward / np.add", "tab:orange"),
              ("relu_and_grad", "relu_and_grad / 2x np.copyto", "tab:green"))
    for key, label, color in ratios:
        pts = [(r["series"][key]["footprint_bytes"], r["series"][key]["ratio"])
               for r in rows if key in r["series"]]
        if pts:
            ax.plot(*zip(*pts), "-o", color=color, ms=3.5, lw=1.5, label=label)
    ax.axhline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(0.3, 3.0)
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks([0.4, 0.5, 0.65, 0.8, 1.0, 1.25, 1.5, 2.0])
    ax.set_yticklabels(["0.4", "0.5", "0.65", "0.8", "1", "1.25", "1.5", "2"])
    ax.set_title("nprelu time / NumPy time moving the same bytes "
                 "(< 1: faster than NumPy)", fontsize=9)
    ax.set_xlabel("bytes the call touches (all its arrays)")
    ax.grid(True, which="both", alpha=0.25)
    vlines(ax)
    stream_line(ax, 2, "relu, leaky_relu")
    stream_line(ax, 3, "backward, and_grad")
    ax.legend(fontsize=7, loc="lower left")

    m = result["meta"]
    st = m["streaming"]
    stream = ("streaming stores: not in this nprelu"
              if st["STREAMING_STORES"] is None else
              f"streaming stores {'on' if st['STREAMING_STORES'] else 'off'}, "
              f"threshold {st['STREAM_THRESHOLD']} B of output")
    fig.suptitle(f"nprelu {m['nprelu']} size sweep, float32, target "
                 f"{m['nprelu_targets']['active']}, {m['cpu']['model']}, NumPy "
                 f"{m['numpy']}, {m['date']}; {stream}", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot written to {path}"


# ---------------------------------------------------------------------------


def print_table(result: dict) -> None:
    keys = result["meta"]["series"]
    print()
    print("ns per element (minimum over rounds); ratio columns: nprelu / NumPy "
          "moving the same bytes")
    head = f"{'n':>10}  " + "  ".join(f"{k:>13}" for k in keys) + \
        "  " + "  ".join(f"{k + '/':>15}" for k in keys if SERIES[k][4])
    print(head)
    for r in result["sizes"]:
        s = r["series"]
        line = f"{r['n']:>10}  " + "  ".join(
            f"{s[k]['ns_per_element']:>13.3f}" for k in keys)
        line += "  " + "  ".join(f"{s[k]['ratio']:>15.2f}" for k in keys
                                 if SERIES[k][4])
        print(line)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="12 sizes up to 3e7, fewer rounds (< 30 s)")
    ap.add_argument("--output-dir", metavar="DIR",
                    help="where sweep.json and sweep.png go "
                         "(default bench/results)")
    ap.add_argument("--no-plot", dest="plot", action="store_false")
    ap.add_argument("--max-n", type=float, default=1e8,
                    help="largest n (default 1e8: 400 MB per array)")
    ap.add_argument("--sample-ms", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=20240501)
    cfg = ap.parse_args(argv)
    if cfg.quick:
        cfg.rounds, cfg.min_time, cfg.max_rounds = 3, 0.02, 5
    else:
        cfg.rounds, cfg.min_time, cfg.max_rounds = 7, 1.0, 25
    return cfg


def main(argv=None) -> int:
    cfg = parse_args(argv)
    started = time.perf_counter()
    keys = [k for k in SERIES if k != "leaky_relu"]
    leaky = benchlib.unsupported("leaky_relu", "float32")
    if leaky is None:
        keys.append("leaky_relu")
    ns_sizes = [n for n in sizes(cfg.quick) if n <= cfg.max_n]
    caches = cache_sizes()
    t = nprelu.cpu_targets()
    print(f"nprelu {nprelu.__version__} size sweep "
          f"({'quick' if cfg.quick else 'full'}), float32, target {t['active']}; "
          f"{len(ns_sizes)} sizes {ns_sizes[0]}..{ns_sizes[-1]}")
    print("caches: " + ", ".join(f"{k} {v} B" for k, v in
                                 sorted(caches["levels"].items()))
          + f" (from {caches['source']})"
          + (f"; unknown: {', '.join(caches['unknown'])}" if caches["unknown"]
             else ""))
    if leaky:
        print(f"leaky_relu: not run ({leaky})")
    rows = []
    try:
        for i, n in enumerate(ns_sizes, 1):
            t0 = time.perf_counter()
            rows.append(measure(n, keys, cfg))
            benchlib.progress(f"sweep {i}/{len(ns_sizes)}: n={n} "
                              f"({time.perf_counter() - t0:.1f} s)")
    except benchlib.WrongAnswer as exc:
        print(f"\nWRONG ANSWER: {exc}", file=sys.stderr)
        return 2
    meta = {k: v for k, v in benchlib.metadata(
        argparse.Namespace(quick=cfg.quick, dtypes=["float32"], sizes=ns_sizes,
                           ml_dtypes=[], ml_sizes=[], rounds=cfg.rounds,
                           goal_rounds=None, goal_time=cfg.min_time,
                           goal_max=cfg.max_rounds, sample_ms=cfg.sample_ms,
                           budget=None, seed=cfg.seed),
        {}, started).items() if k not in ("peers", "config")}
    meta.update({"dtype": "float32", "series": keys,
                 "statements": {k: SERIES[k][0] for k in keys},
                 "not_run": {"leaky_relu": leaky} if leaky else {},
                 "caches": caches,
                 "timing": {"rounds_min": cfg.rounds,
                            "rounds_max": cfg.max_rounds,
                            "min_sampled_s": cfg.min_time,
                            "sample_ms": cfg.sample_ms}})
    result = {"meta": meta, "sizes": rows}
    print_table(result)
    out_dir = Path(cfg.output_dir) if cfg.output_dir else BENCH_DIR / "results"
    stem = "sweep-quick" if cfg.quick else "sweep"
    if cfg.plot:
        print(draw(result, out_dir / f"{stem}.png"))
    meta["seconds"] = round(time.perf_counter() - started, 1)
    benchlib.write_json(out_dir / f"{stem}.json", result)
    benchlib.progress(f"done in {meta['seconds']} s")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1].endswith(".json"):
        # python bench/sweep.py results/sweep.json [out.png]: redraw only
        import json

        src = Path(sys.argv[1])
        dst = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_suffix(".png")
        print(draw(json.loads(src.read_text(encoding="utf-8")), dst))
        sys.exit(0)
    sys.exit(main())
