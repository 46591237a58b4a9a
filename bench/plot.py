"""Throughput plot of a bench run: GB/s against n, one panel per function.

Used by run.py; can also redraw a saved run:

    python bench/plot.py bench/results/latest.json [out.png]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The NumPy peer drawn in each panel, next to the limit.
PLOT_PEER = {"relu": "maximum", "relu_grad": "(x>0).ast",
             "relu_backward": "grad*dy out", "relu_and_grad": "r+g out"}
COLORS = {"float32": "tab:blue", "float64": "tab:orange", "float16": "tab:green"}


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
    funcs = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), sharex=True)
    for ax, func in zip(axes.flat, funcs):
        fr = [r for r in rows if r["func"] == func]
        for dtype in ("float32", "float64"):
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
            ax.plot(xs, ys, ":s", color=c, lw=1.2, ms=4,
                    label=f"nprelu {dtype}, x[::2]")
            xs, ys = series("contig", lambda r: r["limit"]["gbps"])
            ax.plot(xs, ys, "--", color=c, lw=1.5, alpha=0.8,
                    label=f"limit {fr[0]['limit']['name']} {dtype}")
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
