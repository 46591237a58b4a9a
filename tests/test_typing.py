"""The stubs (src/nprelu/__init__.pyi) checked by ``mypy --strict``.

``tests/typing/reveal_*.py`` state, with ``assert_type``, what each valid call is
typed as; mypy must accept them without a single error, and they are executed
here too, so every call they type is also valid at run time (and each function
they type ``NoReturn`` does raise).  ``tests/typing/fail_nprelu.py`` holds calls
the stubs must reject: every line marked ``# E: <code>`` must get an error with
that code, and no other line any error, which proves the check can fail.

mypy checks the package this interpreter imports, as a user's type checker
would (for an editable install, whose import hook mypy cannot follow, the
source directory it imports from).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import site
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import _ufuncs

# Both come with the test extra (pip install ".[test]"); without them the
# checks cannot run, and say so.
pytest.importorskip("mypy", reason="mypy is not installed (it is in the test extra)")
pytest.importorskip("typing_extensions",
                    reason="typing_extensions is not installed (it is in the test extra)")

TYPING = Path(__file__).parent / "typing"
REVEAL = sorted(TYPING.glob("reveal_*.py"))
FAIL = TYPING / "fail_nprelu.py"
MARKER = re.compile(r"#\s*E:\s*(?P<code>[a-z-]+)\s*$")
ERROR = re.compile(r"^(?P<file>.+?):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")

Run = subprocess.CompletedProcess[str]


def _mypy_env() -> dict[str, str]:
    env = dict(os.environ)
    parent = Path(nprelu.__file__).resolve().parent.parent
    site_dirs = {Path(p).resolve() for p in [*site.getsitepackages(), site.getusersitepackages(),
                                             sysconfig.get_path("purelib"),
                                             sysconfig.get_path("platlib")]}
    if parent not in site_dirs:
        env["MYPYPATH"] = str(parent)
    return env


def _mypy(*args: str, cache: Path) -> Run:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes",
         "--no-color-output", "--hide-error-context", "--cache-dir", str(cache), *args],
        capture_output=True, text=True, cwd=cache.parent, env=_mypy_env(), timeout=600)


def _errors(output: str, path: Path) -> dict[int, list[str]]:
    """``{line: [error codes]}`` of the errors mypy reported in ``path``."""
    found: dict[int, list[str]] = {}
    for row in output.splitlines():
        m = ERROR.match(row)
        if m and Path(m["file"]).name == path.name:
            found.setdefault(int(m["line"]), []).append(m["code"])
    return found


def _markers(path: Path) -> dict[int, str]:
    """``{line: code}`` of the ``# E: code`` markers in ``path``."""
    return {i: m["code"] for i, line in enumerate(path.read_text().splitlines(), 1)
            if (m := MARKER.search(line))}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("typing") / ".mypy_cache"


@pytest.fixture(scope="module")
def mypy_run(cache: Path) -> Run:
    """One mypy run over all the files (NumPy's stubs are analysed once)."""
    return _mypy(*map(str, REVEAL), str(FAIL), cache=cache)


def test_files_found() -> None:
    assert {p.name for p in REVEAL} >= {"reveal_nprelu.py", "reveal_leaky.py"}
    assert len(_markers(FAIL)) >= 20


def test_mypy_ran(mypy_run: Run) -> None:
    # 1 = type errors found (the fail file); 2 would be a crash or bad usage.
    assert mypy_run.returncode == 1, mypy_run.stdout + mypy_run.stderr
    assert "error:" in mypy_run.stdout


@pytest.mark.parametrize("path", REVEAL, ids=lambda p: p.name)
def test_valid_calls_pass_strict(mypy_run: Run, path: Path) -> None:
    reported = [row for row in mypy_run.stdout.splitlines() if path.name in row]
    assert not reported, "\n".join(reported)


def test_invalid_calls_are_each_rejected(mypy_run: Run) -> None:
    expected = _markers(FAIL)
    found = _errors(mypy_run.stdout, FAIL)
    lines = FAIL.read_text().splitlines()
    missed = {n: lines[n - 1].strip() for n, code in expected.items() if code not in found.get(n, [])}
    assert not missed, f"mypy accepted calls marked as errors: {missed}\n{mypy_run.stdout}"
    unexpected = {n: codes for n, codes in found.items() if n not in expected}
    assert not unexpected, f"errors on unmarked lines: {unexpected}\n{mypy_run.stdout}"


def test_valid_files_alone_exit_zero(mypy_run: Run, cache: Path) -> None:
    alone = _mypy(*map(str, REVEAL), cache=cache)  # reuses the warm cache
    assert alone.returncode == 0, alone.stdout + alone.stderr


@pytest.mark.skipif(int(np.__version__.split(".")[0]) < 2,
                    reason="the package is typed against NumPy 2's stubs; 1.x stubs differ")
def test_package_files_pass_strict(mypy_run: Run, cache: Path) -> None:
    """The package itself (its stub, reference.py, __main__.py) is clean under
    --strict; errors inside an installed package are hidden from the checks
    above."""
    proc = _mypy("-p", "nprelu", cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- run time


def _needs(path: Path) -> list[str]:
    """The nprelu ufuncs a reveal file calls that this build lacks."""
    used = set(re.findall(r"nprelu\.(\w+)", path.read_text()))
    return sorted(n for n in used if n.startswith(("relu", "leaky")) and not hasattr(_ufuncs, n))


@pytest.mark.parametrize("path", REVEAL, ids=lambda p: p.name)
def test_valid_calls_run(path: Path) -> None:
    """Executed, every call in the file is valid; each ``*_raises`` function
    (typed ``NoReturn``) raises ValueError."""
    missing = _needs(path)
    if missing:
        pytest.skip(f"this build has no {', '.join(missing)}")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("error")
        namespace: dict[str, Any] = runpy.run_path(str(path))
    raising = {k: v for k, v in namespace.items() if k.endswith("_raises") and callable(v)}
    assert raising, f"{path.name} types no method as NoReturn"
    for name, fn in raising.items():
        with pytest.raises(ValueError):
            fn()
