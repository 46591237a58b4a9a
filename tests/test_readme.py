"""README.md: its ```python blocks, run as one doctest session, and the facts
it states that its examples do not show in full.

The blocks share one namespace, in order, as a reader would type them.  Lines
outside the blocks are blanked rather than removed, so a failure reports the line
number in README.md.
"""

from __future__ import annotations

import doctest
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\S*)\s*$")


def python_blocks_only(text: str) -> tuple[str, int]:
    """README text with everything outside ```python blocks blanked; block count."""
    kept: list[str] = []
    inside = False
    blocks = 0
    for line in text.splitlines():
        m = FENCE.match(line)
        if m and not inside:
            inside = m[1] == "python"
            blocks += inside
            kept.append("")
            continue
        if m and inside:
            inside = False
            kept.append("")
            continue
        kept.append(line if inside else "")
    assert not inside, "README.md: unterminated ```python block"
    return "\n".join(kept) + "\n", blocks


def test_readme_python_blocks() -> None:
    text, blocks = python_blocks_only(README.read_text(encoding="utf-8"))
    assert blocks > 0, "README.md has no ```python block"
    test = doctest.DocTestParser().get_doctest(
        text, globs={}, name="README.md", filename=str(README), lineno=0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS, verbose=False)
    report = io.StringIO()
    # The examples print NumPy arrays: pin the default print options.
    with np.printoptions(legacy=False):
        result = runner.run(test, out=report.write, clear_globs=True)
    assert result.failed == 0, report.getvalue()
    assert result.attempted > 0
    # Every block holds at least one example.
    assert result.attempted >= blocks


# --------------------------------------------------------------------------- what the README says

TEXT = README.read_text(encoding="utf-8")
FLOATS = [np.float16, np.float32, np.float64, np.longdouble]


def section(title: str) -> str:
    """The text of one '## ' section of README.md."""
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", TEXT, re.MULTILINE | re.DOTALL)
    assert m, f"README.md has no section '## {title}'"
    return m.group(1)


def bits(a: Any) -> np.ndarray:
    a = np.ascontiguousarray(a)
    if a.dtype == np.longdouble:  # the value bytes, not the padding
        n = 10 if np.finfo(np.longdouble).nmant == 63 else a.itemsize
        return a.view(np.uint8).reshape(a.shape + (a.itemsize,))[..., :n]
    return a.view(f"u{a.itemsize}")


def values(dtype: Any) -> np.ndarray:
    """Normal draws and every special value: signed zeros, infinities, NaNs
    of both signs, the smallest subnormals and the extremes."""
    f = np.finfo(dtype)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1.0, -1.0, f.tiny, -f.tiny,
                        f.smallest_subnormal, -f.smallest_subnormal, f.max, -f.max], dtype=dtype)
    normal = np.random.default_rng(7).standard_normal(2000).astype(dtype)
    return np.concatenate([special, normal, special[::-1]])


def test_quick_start_block_is_what_ci_runs() -> None:
    """.ci/run evaluates the two lines of the one block under '## Quick start'."""
    blocks = re.findall(r"^```sh\n(.*?)^```", section("Quick start"), re.MULTILINE | re.DOTALL)
    assert blocks[0].splitlines() == [
        "pip install . && python -m nprelu",
        'pip install ".[test]" && python -m pytest',
    ]


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_backward_from_output_equals_from_input(dtype: Any) -> None:
    """README: relu_backward gives the same result from relu's output as from
    its input, bit for bit, for every value (NaN, -0.0, inf included)."""
    x = values(dtype)
    dy = np.random.default_rng(8).permutation(values(dtype))
    want = reference.relu_backward(dy, x)
    assert np.array_equal(bits(nprelu.relu_backward(dy, x)), bits(want))
    assert np.array_equal(bits(nprelu.relu_backward(dy, nprelu.relu(x))), bits(want))
    # and after relu in place, as the README suggests
    h = x.copy()
    assert nprelu.relu(h, out=h) is h
    assert np.array_equal(bits(nprelu.relu_backward(dy, h)), bits(want))


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ["contiguous", "strided", "reversed"])
def test_backward_in_place(dtype: Any, layout: str) -> None:
    """README: relu_backward(dh, z, out=dh) works in place."""
    z = values(dtype)
    dh_all = np.random.default_rng(9).permutation(values(dtype))
    view = {"contiguous": slice(None), "strided": slice(None, None, 2),
            "reversed": slice(None, None, -1)}[layout]
    want = reference.relu_backward(dh_all[view].copy(), z[view])
    dh = dh_all[view]
    assert nprelu.relu_backward(dh, z[view], out=dh) is dh
    assert np.array_equal(bits(dh), bits(want))


def test_training_loop_one_buffer_is_the_same() -> None:
    """The README's training step, with relu in place and the backward pass
    fed the activation, trains to bit-identical weights."""

    def train(in_place: bool) -> list[np.ndarray]:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((256, 8), dtype=np.float32)
        t = np.abs(X[:, :1]) - X[:, 1:2] / 2
        W1 = rng.standard_normal((8, 64), dtype=np.float32) * np.float32(0.5)
        b1 = np.zeros(64, np.float32)
        W2 = rng.standard_normal((64, 1), dtype=np.float32) * np.float32(0.125)
        b2 = np.zeros(1, np.float32)
        z = np.empty((256, 64), np.float32)
        h = z if in_place else np.empty_like(z)
        dh = np.empty_like(z)
        for _ in range(50):
            np.matmul(X, W1, out=z)
            np.add(z, b1, out=z)
            nprelu.relu(z, out=h)
            y = h @ W2 + b2
            dy = (y - t) / len(X)
            np.matmul(dy, W2.T, out=dh)
            nprelu.relu_backward(dh, h if in_place else z, out=dh)
            grads = (X.T @ dh, dh.sum(axis=0), h.T @ dy, dy.sum(axis=0))
            for p, g in zip((W1, b1, W2, b2), grads):
                p -= np.float32(0.1) * g
        return [W1, b1, W2, b2]

    two, one = train(False), train(True)
    assert all(np.array_equal(bits(a), bits(b)) for a, b in zip(two, one))
    rng = np.random.default_rng(0)
    rng.standard_normal((256, 8), dtype=np.float32)
    assert not np.array_equal(two[0], rng.standard_normal((8, 64), dtype=np.float32) * np.float32(0.5))


def test_function_table_lists_every_ufunc_with_its_signature() -> None:
    rows = re.findall(r"^\| `(\w+)\(([^)]*)\)` \|", section("The seven functions"), re.MULTILINE)
    ufuncs = sorted(n for n in nprelu.__all__ if isinstance(getattr(nprelu, n), np.ufunc))
    assert sorted(name for name, _ in rows) == ufuncs and len(rows) == 7
    for name, args in rows:
        params = [a.strip() for a in args.split(",")]
        assert len(params) == getattr(nprelu, name).nin, name
        # the names the docstrings document (and NumPy >= 2.2 shows in help())
        documented = re.findall(r"^(\w+) : ", getattr(nprelu, name).__doc__, re.MULTILINE)
        assert documented[: len(params)] == params, name


def test_leaky_slope_is_positional_as_the_readme_says() -> None:
    x = np.array([-2.0, 3.0], dtype=np.float32)
    # NumPy's wording ("was given", "were given" before 2.2) is NumPy's: not pinned
    with pytest.raises(TypeError, match=r"leaky_relu\(\) takes from 2 to 3 positional arguments"):
        nprelu.leaky_relu(x, negative_slope=0.01)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        nprelu.leaky_relu(x)  # type: ignore[call-arg]
    assert "TypeError: leaky_relu() takes from 2 to 3 positional arguments" in TEXT


def test_relative_links_exist() -> None:
    root = README.parent
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", TEXT)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert len(local) >= 8
    missing = [t for t in local if not (root / t).exists()]
    assert not missing, missing
    for page in ["docs/semantics.rst", "docs/dtypes.rst", "docs/benchmarks.rst", "docs/recipes.rst",
                 "docs/platforms.rst", "docs/training.rst", "bench/README.md"]:
        assert f"({page})" in TEXT, page
    for anchor in re.findall(r"\]\(#([^)]+)\)", TEXT):
        titles = [re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
                  for h in re.findall(r"^#+ (.*)$", TEXT, re.MULTILINE)]
        assert anchor in titles, anchor


def test_speed_table_matches_the_saved_run() -> None:
    """The README's headline ratios are the saved run's (bench/results/latest.json)."""
    run = json.loads((README.parent / "bench" / "results" / "latest.json").read_text(encoding="utf-8"))

    def value(desc: str, dtype: str, n: int) -> float:
        hits = [g["value"] for g in run["goals"] if (g["desc"], g["dtype"], g["n"]) == (desc, dtype, n)]
        assert len(hits) == 1, (desc, dtype, n)
        return float(hits[0])

    def span(desc: str, dtype: str, suffix: str = "") -> str:
        vs = [value(desc, dtype, n) for n in (1000, 100_000, 10_000_000)]
        return f"{min(vs):.2f}{suffix} to {max(vs):.2f}{suffix}"

    speed = section("Speed")
    rows = {
        "np.negative": [span("relu / np.negative", d) for d in ("float32", "float64")],
        "np.multiply(dy, relu_grad(x))": [span("relu_backward vs relu_grad+multiply", d, "x")
                                           for d in ("float32", "float64")],
        "np.maximum(x, 0)": [f"{value('relu vs np.maximum(x, 0)', 'float32', 100_000):.1f}x"],
        "np.where(x > 0, x, a * x)": [
            f"{value('leaky_relu vs np.where(x > 0, x, a * x)', d, 100_000):.0f}x"
            for d in ("float32", "float64")],
        "np.copyto(o, x)": [f"{value('relu / np.copyto', d, 10_000_000):.2f}" for d in ("float32", "float64")],
    }
    for key, cells in rows.items():
        line = next(line for line in speed.splitlines() if line.startswith("|") and key in line)
        got = [c.strip() for c in line.strip("|").split("|")[1:] if c.strip()]
        assert got == cells, (key, got, cells)
    s = run["summary"]
    assert f"{s['pass']} of that run's {s['rows']} goal rows were met" in speed
    assert f"`relu` is {value('relu vs np.maximum(x, 0)', 'bfloat16', 100_000):.0f}x faster" in speed


def test_main_help_prints_usage_without_the_self_check() -> None:
    r = subprocess.run([sys.executable, "-W", "error", "-m", "nprelu", "--help"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: python -m nprelu")
    assert "--no-timing" in r.stdout and "rough" in r.stdout
    assert "self-check:" not in r.stdout and "PASS" not in r.stdout


def test_main_timing_is_labelled_rough() -> None:
    r = subprocess.run([sys.executable, "-W", "error", "-m", "nprelu"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^Rough timing, float32, .*\n.*rough figure that varies between runs",
                     r.stdout, re.MULTILINE), r.stdout
    r = subprocess.run([sys.executable, "-W", "error", "-m", "nprelu", "--no-timing"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "Rough timing" not in r.stdout and "self-check: PASS" in r.stdout
