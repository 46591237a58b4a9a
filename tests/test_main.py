"""``python -m nprelu``: the main job (versions, CPU target, self-check, timing)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import nprelu

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]
TARGETS = nprelu.cpu_targets()


def run_main(target: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if target is not None:
        env["NPRELU_CPU_TARGET"] = target
    # -W error: any warning (e.g. an FP RuntimeWarning) would be fatal
    return subprocess.run([sys.executable, "-W", "error", "-m", "nprelu"], env=env,
                          capture_output=True, text=True, timeout=300)


def check_output(r: subprocess.CompletedProcess[str], active: str) -> None:
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == ""
    out = r.stdout
    assert f"nprelu {nprelu.__version__}" in out
    assert f"NumPy {np.__version__}" in out
    m = re.search(r"^CPU targets: .*\bactive (\S+)$", out, re.MULTILINE)
    assert m, out
    assert m.group(1) == active
    for name in NAMES:
        assert re.search(rf"^\s+{name}\s+PASS$", out, re.MULTILINE), f"{name}: no PASS\n{out}"
    assert "FAIL" not in out
    assert re.search(r"^self-check: PASS$", out, re.MULTILINE)


def test_main_default_target() -> None:
    check_output(run_main(None), TARGETS["active"])


@pytest.mark.parametrize("target", TARGETS["supported"])
def test_main_every_target(target: str) -> None:
    check_output(run_main(target), target)
