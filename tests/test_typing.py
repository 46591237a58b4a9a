"""The stubs (src/nprelu/__init__.pyi) checked by ``mypy --strict``.

``tests/typing/reveal_nprelu.py`` states, with ``assert_type``, what each call is
typed as; mypy must accept it without a single error.  A second file, written here,
holds deliberate type errors, one per line, and mypy must report every one of them:
that proves the check can fail, so a silent pass means the stubs are right.

mypy checks the installed package (the one this interpreter imports), as a user's
type checker would.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REVEAL = Path(__file__).parent / "typing" / "reveal_nprelu.py"

# (source line, mypy error code it must produce)
NEGATIVE_CASES = [
    ("two: Literal[2] = nprelu.relu.nout", "assignment"),
    ("one: Literal[1] = nprelu.relu_and_grad.nout", "assignment"),
    ("name: Literal['relu'] = nprelu.relu_grad.__name__", "assignment"),
    ("assert_type(nprelu.relu(f32), npt.NDArray[np.float64])", "assert-type"),
    ("assert_type(nprelu.relu_grad(i16), npt.NDArray[np.float32])", "assert-type"),
    ("assert_type(nprelu.relu(np.float64(1)), np.float32)", "assert-type"),
    ("assert_type(nprelu.relu_and_grad(f32), npt.NDArray[np.float32])", "assert-type"),
    ("nprelu.relu(f32, casting='sometimes')", "call-overload"),
    ("nprelu.relu(f32, f32, f32)", "call-overload"),
    ("nprelu.relu_backward(f32)", "call-overload"),
    ("nprelu.not_there(f32)", "attr-defined"),
]

NEGATIVE_HEADER = """\
from typing import Literal

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import nprelu

f32: npt.NDArray[np.float32] = np.zeros(3, dtype=np.float32)
i16: npt.NDArray[np.int16] = np.zeros(3, dtype=np.int16)
"""


def _mypy(*files: Path, cache: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--no-color-output",
            "--hide-error-context",
            "--cache-dir", str(cache),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture(scope="module")
def mypy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, dict[int, str]]:
    """One mypy run over both files (the numpy stubs are analysed once)."""
    tmp = tmp_path_factory.mktemp("typing")
    negative = tmp / "negative_nprelu.py"
    lines = NEGATIVE_HEADER.splitlines()
    expected: dict[int, str] = {}
    for source, code in NEGATIVE_CASES:
        lines.append(source)
        expected[len(lines)] = code
    negative.write_text("\n".join(lines) + "\n")
    proc = _mypy(REVEAL, negative, cache=tmp / ".mypy_cache", cwd=tmp)
    return proc, negative, expected


def _errors(output: str, path: Path) -> dict[int, list[str]]:
    """``{line: [error codes]}`` of the errors mypy reported in ``path``."""
    found: dict[int, list[str]] = {}
    pattern = re.compile(r"^(?P<file>.+?):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
    for row in output.splitlines():
        m = pattern.match(row)
        if m and Path(m["file"]).name == path.name:
            found.setdefault(int(m["line"]), []).append(m["code"])
    return found


def test_mypy_ran(mypy_run: tuple[subprocess.CompletedProcess[str], Path, dict[int, str]]) -> None:
    proc, _, _ = mypy_run
    # 1 = type errors found (the negative file); 2 would be a crash or bad usage.
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "error:" in proc.stdout


def test_stubs_pass_strict(mypy_run: tuple[subprocess.CompletedProcess[str], Path, dict[int, str]]) -> None:
    proc, _, _ = mypy_run
    reported = [row for row in proc.stdout.splitlines() if REVEAL.name in row]
    assert not reported, "\n".join(reported)


def test_deliberate_errors_are_caught(
    mypy_run: tuple[subprocess.CompletedProcess[str], Path, dict[int, str]],
) -> None:
    proc, negative, expected = mypy_run
    found = _errors(proc.stdout, negative)
    missed = {
        line: (NEGATIVE_CASES[line - len(NEGATIVE_HEADER.splitlines()) - 1][0], code)
        for line, code in expected.items()
        if code not in found.get(line, [])
    }
    assert not missed, f"mypy accepted deliberate errors: {missed}\n{proc.stdout}"
    unexpected = {line: codes for line, codes in found.items() if line not in expected}
    assert not unexpected, f"errors outside the deliberate lines: {unexpected}\n{proc.stdout}"


def test_reveal_file_alone_exits_zero(
    mypy_run: tuple[subprocess.CompletedProcess[str], Path, dict[int, str]],
) -> None:
    proc, negative, _ = mypy_run  # reuse the warm cache of the first run
    alone = _mypy(REVEAL, cache=negative.parent / ".mypy_cache", cwd=negative.parent)
    assert alone.returncode == 0, alone.stdout + alone.stderr


@pytest.mark.skipif(int(np.__version__.split(".")[0]) < 2,
                    reason="the package is typed against NumPy 2's stubs; 1.x stubs differ")
def test_package_files_pass_strict(
    mypy_run: tuple[subprocess.CompletedProcess[str], Path, dict[int, str]],
) -> None:
    """The installed package itself (its stub, reference.py, __main__.py) is clean
    under --strict; errors inside an installed package are hidden from the checks
    above."""
    _, negative, _ = mypy_run
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--show-error-codes",
         "--cache-dir", str(negative.parent / ".mypy_cache"), "-p", "nprelu"],
        capture_output=True, text=True, cwd=negative.parent, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout
