"""SIMD dispatch: target choice, introspection, and every supported target proven exact.

The loops are compiled once per target; the import picks one.  The exact
semantics and FP-flag tests are run again in a subprocess per supported target
(NPRELU_CPU_TARGET), so every kernel this machine can execute is checked, not
just the one chosen by default.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

import nprelu
from nprelu._ufuncs import choose_target

TESTS = Path(__file__).parent
TARGETS = nprelu.cpu_targets()


def run_python(code: str, target: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("NPRELU_CPU_TARGET", None)
    if target is not None:
        env["NPRELU_CPU_TARGET"] = target
    return subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=600)


def test_cpu_targets_shape() -> None:
    t = nprelu.cpu_targets()
    assert set(t) == {"compiled", "supported", "active"}
    assert t["compiled"][0] == "baseline"
    assert t["supported"][0] == "baseline"
    assert set(t["supported"]) <= set(t["compiled"])
    assert t["active"] in t["supported"]


def test_default_is_best_supported() -> None:
    if "NPRELU_CPU_TARGET" in os.environ:
        pytest.skip("NPRELU_CPU_TARGET is set for this run")
    assert TARGETS["active"] == TARGETS["supported"][-1]


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="x86-64 targets only")
def test_x86_targets_compiled() -> None:
    assert TARGETS["compiled"][:3] == ("baseline", "avx2", "avx512")
    # GCC and clang builds add the VBMI variant of the avx512 table
    assert TARGETS["compiled"][3:] in ((), ("avx512_vbmi",))


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists()
                    or platform.machine() != "x86_64",
                    reason="needs Linux /proc/cpuinfo on x86-64")
def test_cpuid_agrees_with_kernel() -> None:
    """CPUID detection in dispatch.c agrees with the flags the kernel reports."""
    flags: set[str] = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    v3 = {"avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "abm", "movbe",
          "sse4_1", "sse4_2", "ssse3", "popcnt", "cx16", "xsave", "lahf_lm"}
    v4 = v3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
    assert ("avx2" in TARGETS["supported"]) == (v3 <= flags)
    assert ("avx512" in TARGETS["supported"]) == (v4 <= flags)
    if "avx512_vbmi" in TARGETS["compiled"]:
        assert ("avx512_vbmi" in TARGETS["supported"]) == (v4 | {"avx512vbmi"} <= flags)


def test_show_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    nprelu.show_runtime()
    out = capsys.readouterr().out
    assert nprelu.__version__ in out
    assert f"active target:     {TARGETS['active']}" in out
    for name in TARGETS["compiled"]:
        assert name in out


class TestChooseTarget:
    compiled = ("baseline", "avx2", "avx512")

    def test_best_by_default(self) -> None:
        assert choose_target("", self.compiled, ("baseline", "avx2")) == "avx2"

    def test_forced_lower(self) -> None:
        assert choose_target(" Baseline ", self.compiled, self.compiled) == "baseline"

    def test_unsupported_by_cpu(self) -> None:
        with pytest.raises(ImportError, match="not supported by this CPU"):
            choose_target("avx512", self.compiled, ("baseline", "avx2"))

    def test_not_compiled(self) -> None:
        with pytest.raises(ImportError, match="no such target"):
            choose_target("avx2", ("baseline",), ("baseline",))


@pytest.mark.parametrize("target", TARGETS["supported"])
def test_forced_target_is_active(target: str) -> None:
    r = run_python("import nprelu; print(nprelu.cpu_targets()['active'])", target)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == target


def test_unknown_target_fails_import() -> None:
    r = run_python("import nprelu", "sse9")
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "no such target" in r.stderr


@pytest.mark.skipif(set(TARGETS["supported"]) == set(TARGETS["compiled"]),
                    reason="every compiled target runs on this CPU")
def test_unsupported_target_fails_import() -> None:
    missing = next(t for t in TARGETS["compiled"] if t not in TARGETS["supported"])
    r = run_python("import nprelu", missing)
    assert r.returncode != 0
    assert "not supported by this CPU" in r.stderr


@pytest.mark.parametrize("target", TARGETS["supported"])
def test_exact_under_every_target(target: str) -> None:
    """The bit-exact semantics and FP-flag tests (relu and leaky families, and
    the ml_dtypes types), under this target's kernels."""
    names = ("test_semantics.py", "test_fpflags.py", "test_leaky.py",
             "test_leaky_fpflags.py", "test_ml_dtypes.py", "test_leaky_ml.py",
             "test_layouts.py")
    if target == "avx512_vbmi":
        # the avx512 table but for the 8-bit leaky loops (kernels.c)
        names = ("test_leaky_ml.py",)
    files = [str(TESTS / name) for name in names]
    env = dict(os.environ, NPRELU_CPU_TARGET=target)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=-ra --strict-markers --import-mode=importlib", *files],
        env=env, capture_output=True, text=True, timeout=1200, cwd=TESTS.parent)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and " failed" not in r.stdout
