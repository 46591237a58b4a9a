"""The element kernels and the loop driver's choice, under small C unit tests.

``tests/c/test_elements.c`` includes ``src/nprelu/elements.h`` alone and
compares each kernel with the C library's own view of the value
(``isgreater``, ``isnan``, the compiler's ``_Float16`` conversion, a plain
multiply): float16 over all 65,536 patterns, float32 and float64 over every
sign and exponent, float16 rounding over 4 M float32 values.
``tests/c/test_plan.c`` checks ``plan_loop`` (``loops.h``), which picks the
layout variant of every loop: named layouts, and 400,000 random ones whose
chosen variant is checked against the bytes each operand covers.  Both are
compiled with each SIMD target's flags that this CPU can run, because the
kernels have per-target forms.

They need the sources and a C compiler (``CC``, else ``cc``): a source
checkout with build tools.  Where either is missing (an installed wheel in a
tree without them) the tests are skipped and say why.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

import nprelu

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "nprelu"
TEST = Path(__file__).resolve().parent / "c" / "test_elements.c"
PLAN_TEST = TEST.with_name("test_plan.c")
CC = os.environ.get("CC", "cc")

# the flags of meson.build's x86-64 targets, by nprelu's target name
X86_FLAGS = {"baseline": ["-march=x86-64"], "avx2": ["-march=x86-64-v3"],
             "avx512": ["-march=x86-64-v4", "-mprefer-vector-width=512"]}


def targets() -> list[tuple[str, list[str]]]:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return [("baseline", [])]
    supported = nprelu.cpu_targets()["supported"]
    return [(t, f) for t, f in X86_FLAGS.items() if t in supported]


def build_and_run(source: Path, flags: list[str], tmp_path: Path) -> str:
    """Compile one C test with a target's flags, run it, return its output."""
    if not (SRC / "elements.h").exists():
        pytest.skip("no source tree beside the tests")
    if shutil.which(CC) is None:
        pytest.skip(f"no C compiler ({CC})")
    exe = tmp_path / source.stem
    build = subprocess.run(
        [CC, "-O2", "-std=c11", "-fno-strict-aliasing", *flags, f"-I{SRC}", str(source),
         "-lm", "-o", str(exe)],
        capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    return r.stdout


@pytest.mark.parametrize(("target", "flags"), targets(), ids=[t for t, _ in targets()])
def test_element_kernels_in_c(target: str, flags: list[str], tmp_path: Path) -> None:
    out = build_and_run(TEST, flags, tmp_path)
    assert out.splitlines()[-1] == "all element kernels agree", out
    assert "float16 classification: 393216 checks" in out


@pytest.mark.parametrize(("target", "flags"), targets(), ids=[t for t, _ in targets()])
def test_loop_plan_in_c(target: str, flags: list[str], tmp_path: Path) -> None:
    out = build_and_run(PLAN_TEST, flags, tmp_path)
    assert out.splitlines()[-1] == "every layout plan is right", out
    assert "random layouts: 400000 checks" in out
