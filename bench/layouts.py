#!/usr/bin/env python3
"""Every memory layout against the NumPy builtin that moves the same bytes.

Each row times an nprelu call and the NumPy ufunc with the same operand
layout (strided outputs, strided input and output, in place on a strided
view, a 0-stride operand, transposed operands), interleaved in one process,
best of several rounds; the ratio is nprelu time / NumPy time (goal: at most
1.00).  `np.negative` is not used as a limit where NumPy 2.4 reads the wrong
elements (the input's stride in elements equal to the item size in bytes with
a strided output, e.g. float32 x[::4] with out=o[::2]); no row here has that
layout.

    python bench/layouts.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import best  # bench/ is on the path when run as a script

import nprelu

GOAL = 1.00


def rows(n: int, dtype: Any) -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2 * n).astype(dtype)
    o = np.empty(2 * n, dtype)
    o2 = np.empty(2 * n, dtype)
    x1 = x[:n].copy()
    xi = x.copy()
    side = int(np.sqrt(n))
    A = rng.standard_normal((side, side)).astype(dtype)
    B = np.empty_like(A)
    one = dtype(1)
    a = dtype(0.1)
    a0 = np.array(a)
    s = rng.uniform(0.05, 0.3, 2 * n).astype(dtype)
    o1 = np.empty(n, dtype)
    return [
        ("relu(x, out=o[::2])",
         lambda: nprelu.relu(x1, out=o[::2]), lambda: np.negative(x1, out=o[::2])),
        ("relu(x[::2], out=o[::2])",
         lambda: nprelu.relu(x[::2], out=o[::2]), lambda: np.negative(x[::2], out=o[::2])),
        ("relu(x[::2], out=x[::2]) in place",
         lambda: nprelu.relu(xi[::2], out=xi[::2]), lambda: np.negative(xi[::2], out=xi[::2])),
        ("relu_grad(x, out=o[::2])",
         lambda: nprelu.relu_grad(x1, out=o[::2]), lambda: np.negative(x1, out=o[::2])),
        # two outputs against two calls of the builtin, each writing one
        ("relu_and_grad(x, out=(o[::2], o2[::2])) / 2 np.negative",
         lambda: nprelu.relu_and_grad(x1, out=(o[::2], o2[::2])),
         lambda: (np.negative(x1, out=o[::2]), np.negative(x1, out=o2[::2]))),
        ("relu_backward(dy, x, out=o[::2])",
         lambda: nprelu.relu_backward(x1, x1, out=o[::2]), lambda: np.add(x1, x1, out=o[::2])),
        ("relu_backward(dt(1), A, out=B) 0-stride dy",
         lambda: nprelu.relu_backward(one, A, out=B), lambda: np.add(one, A, out=B)),
        ("relu_backward(A.T, A.T, out=B) transposed",
         lambda: nprelu.relu_backward(A.T, A.T, out=B), lambda: np.add(A.T, A.T, out=B)),
        ("leaky_relu(x, a, out=o[::2])",
         lambda: nprelu.leaky_relu(x1, a, out=o[::2]), lambda: np.multiply(x1, a, out=o[::2])),
        ("leaky_relu(A.T, a, out=B)",
         lambda: nprelu.leaky_relu(A.T, a, out=B), lambda: np.multiply(A.T, a, out=B)),
        # PReLU with a slope array that is a strided view
        ("leaky_relu(x, s[::2], out=o) strided slope",
         lambda: nprelu.leaky_relu(x1, s[::2], out=o1), lambda: np.multiply(x1, s[::2], out=o1)),
        ("leaky_relu_backward(A.T, A.T, a, out=B) / np.add",
         lambda: nprelu.leaky_relu_backward(A.T, A.T, a, out=B), lambda: np.add(A.T, A.T, out=B)),
        # the same with the slope already an array: NumPy converts a scalar
        # operand to one on every call (about 0.2 us, which np.multiply pays
        # too), a cost np.add, given no scalar, does not have
        ("leaky_relu_backward(A.T, A.T, a0, out=B) 0-d slope / np.add",
         lambda: nprelu.leaky_relu_backward(A.T, A.T, a0, out=B), lambda: np.add(A.T, A.T, out=B)),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()
    sizes = [1000, 1_000_000]
    rounds = 3 if args.quick else 9
    out = []
    target = nprelu.cpu_targets()["active"]
    print(f"layouts, target {target}: nprelu time / NumPy builtin time (goal <= {GOAL:.2f})")
    for dtype in (np.float32, np.float64):
        for n in sizes:
            number = max(1, 2_000_000 // n) if not args.quick else max(1, 200_000 // n)
            for label, ours, theirs in rows(n, dtype):
                t_ours = t_theirs = float("inf")
                for _ in range(rounds):  # interleaved
                    t_ours = min(t_ours, best(ours, number, 1))
                    t_theirs = min(t_theirs, best(theirs, number, 1))
                ratio = t_ours / t_theirs
                out.append({"row": label, "dtype": np.dtype(dtype).name, "n": n,
                            "ratio": round(ratio, 3), "target": target})
                print(f"  {np.dtype(dtype).name:8s} n={n:>9,d}  {label:45s} {ratio:5.2f}"
                      f"{'' if ratio <= GOAL else '  (above goal)'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
