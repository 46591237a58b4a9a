#!/usr/bin/env python3
"""Import cost: `import nprelu` over `import numpy`, with ml_dtypes installed.

nprelu registers its ml_dtypes loops when ml_dtypes is imported, never by
importing it itself, so a user who never touches an ML dtype does not pay
for ml_dtypes (about half a second).  Each round starts a fresh interpreter
with `python -X importtime -c "import nprelu"` and reads the cumulative
microseconds of the `numpy` and `nprelu` lines; the row is the median over
rounds of nprelu's cumulative time minus numpy's (what nprelu adds), beside
the same for `import ml_dtypes` for scale.  Goal: at most 20 ms.

    python bench/import_time.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys

GOAL_MS = 20.0


def cumulative_us(code: str) -> dict[str, int]:
    """Top-level module -> cumulative import time (us) of one fresh run."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                       capture_output=True, text=True, check=True)
    out: dict[str, int] = {}
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (p.strip() for p in line[len("import time:"):].split("|"))
        if cumulative.isdigit() and not name.startswith((" ", ".")) and "." not in name:
            out[name] = int(cumulative)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", help="write the row here")
    args = ap.parse_args()
    rounds = 5 if args.quick else 21
    if importlib.util.find_spec("ml_dtypes") is None:
        print("import_time: ml_dtypes is not installed; the row needs it installed", file=sys.stderr)
        return 1
    probe = subprocess.run([sys.executable, "-c", "import sys, nprelu; print('ml_dtypes' in sys.modules)"],
                           capture_output=True, text=True, check=True)
    if probe.stdout.strip() != "False":
        print("import_time: `import nprelu` imported ml_dtypes", file=sys.stderr)
        return 1
    added, ml = [], []
    for _ in range(rounds):
        t = cumulative_us("import numpy, nprelu")
        added.append((t["nprelu"]) / 1000)
        t = cumulative_us("import numpy, ml_dtypes")
        ml.append(t["ml_dtypes"] / 1000)
    row = {
        "row": "import nprelu over import numpy (ml_dtypes installed, not imported), ms",
        "median_ms": round(statistics.median(added), 2),
        "min_ms": round(min(added), 2),
        "import_ml_dtypes_ms": round(statistics.median(ml), 2),
        "goal_ms": GOAL_MS,
        "rounds": rounds,
    }
    row["met"] = row["median_ms"] <= GOAL_MS
    print(f"import nprelu after numpy: median {row['median_ms']} ms (min {row['min_ms']}), "
          f"goal <= {GOAL_MS} ms: {'met' if row['met'] else 'MISSED'}; "
          f"import ml_dtypes alone: {row['import_ml_dtypes_ms']} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(row, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
