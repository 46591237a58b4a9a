"""Throughput plot of a bench run: GB/s against n, one panel per function,
and relu's time over a copy's for every dtype.

Used by run.py; can also redraw a saved run:

    python bench/plot.py bench/results/latest.json [out.png]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The NumPy peer drawn in each panel, next to the limit.
PLOT_PEER = {"relu": "maximum", "relu_grad": "(x>0).ast",
             "relu_backward": "grad*dy out", "relu_and_grad": "r+g out",
             "leaky_relu": "where", "leaky_relu_grad": "where dt",
             "leaky_relu_backward": "grad*dy out"}
FUNCS = ("relu", "relu_grad", "relu_backward", "relu_and_grad",
         "leaky_relu", "leaky_relu_grad", "leaky_relu_backward")
COLORS = {"float32": "tab:blue", "float64": "tab:orange", "float16": "tab:green",
          "bfloat16": "tab:red", "float8_e4m3fn": "tab:purple"}


def draw(result: dict, path: Path) -> str:
    """Draw the PNG; returns a message (also when matplotlib is missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        return f"plot SKIPPED: matplotlib is not installed ({exc})"

    rows = [r for r in result.get("table", []) if r["mode"] == "out"]
    if not rows:
        return "plot SKIPPED: no table rows"
    meta = result.get("meta", {})
    funcs = [f for f in FUNCS if any(r["func"] == f for r in rows)]
    ncols = (len(funcs) + 2) // 2
    fig, axes = plt.subplots(2, ncols, figsize=(6 * ncols, 8.5), sharex=True,
                             squeeze=False)
    for ax, func in zip(axes.flat, funcs):
        fr = [r for r in rows if r["func"] == func]
        for dtype in ("float32", "float64", "bfloat16", "float8_e4m3fn"):
            c = COLORS[dtype]

            def series(layout, get, _dtype=dtype):
                pts = sorted((r["n"], get(r)) for r in fr
                             if r["dtype"] == _dtype and r["layout"] == layout)
                pts = [(n, v) for n, v in pts if v is not None]
                return [p[0] for p in pts], [p[1] for p in pts]

            xs, ys = series("contig", lambda r: r["gbps"])
            if not xs:
                continue
            ax.plot(xs, ys, "-o", color=c, lw=2, label=f"nprelu {dtype}")
            xs, ys = series("stride2", lambda r: r["gbps"])
            if xs:
                ax.plot(xs, ys, ":s", color=c, lw=1.2, ms=4,
                        label=f"nprelu {dtype}, x[::2]")
            xs, ys = series("contig", lambda r: r["limit"]["gbps"])
            lim = next(r["limit"]["name"] for r in fr if r["dtype"] == dtype)
            ax.plot(xs, ys, "--", color=c, lw=1.5, alpha=0.8,
                    label=f"limit {lim} {dtype}")
            peer = PLOT_PEER[func]
            xs, ys = series("contig",
                            lambda r: r["peers"].get(peer, {}).get("gbps"))
            if xs:
                stmt = fr[0]["peers"][peer]["stmt"]
                ax.plot(xs, ys, "-.", color=c, lw=1, alpha=0.6,
                        label=f"{stmt} {dtype}")
        ax.set_xscale("log")
        ax.set_title(f"{func} (out=)")
        ax.set_ylabel("GB/s (bytes read + written)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6.5, loc="upper left")
    # The last panel: relu(x, out=o) / np.copyto(o, x), every dtype; below 1
    # where the output is large enough for streaming stores.
    ax = axes.flat[len(funcs)] if len(funcs) < axes.size else None
    if ax is not None:
        relu_rows = [r for r in rows if r["func"] == "relu"
                     and r["layout"] == "contig" and r.get("copy")]
        for dtype, c in COLORS.items():
            pts = sorted((r["n"], r["copy"]["ratio"]) for r in relu_rows
                         if r["dtype"] == dtype)
            if pts:
                ax.plot(*zip(*pts), "-o", color=c, lw=1.5, label=dtype)
        ax.axhline(1.0, color="black", lw=1)
        ax.set_xscale("log")
        ax.set_title("relu(x, out=o) / np.copyto(o, x) "
                     "(ml_dtypes: copy of uint views)")
        ax.set_ylabel("time ratio (< 1: faster than the copy)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6.5, loc="upper left")
    for ax in axes.flat[len(funcs) + 1:]:
        ax.set_visible(False)
    for ax in axes[1]:
        ax.set_xlabel("n (elements)")
    cpu = meta.get("cpu", {}).get("model", "?")
    target = meta.get("nprelu_targets", {}).get("active", "?")
    fig.suptitle(f"nprelu {meta.get('nprelu', '')} throughput, target {target}, "
                 f"{cpu}, NumPy {meta.get('numpy', '')}, {meta.get('date', '')}",
                 fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot written to {path}"


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else
               Path(__file__).parent / "results" / "latest.json")
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_suffix(".png")
    print(draw(json.loads(src.read_text(encoding="utf-8")), dst))
