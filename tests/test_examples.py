"""The recipes in examples/, each run as its own program.

A recipe checks its own claim and exits with status 0 only if it holds, its
last line starting with "OK:".  A recipe whose library is not installed is
skipped with the reason; set ``NPRELU_REQUIRE_ALL_RECIPES=1`` to make that a
failure instead (the CI stage that installs the ``clients`` extra does).

The recipes run with RuntimeWarning as an error: nprelu raises no
floating-point warning on valid input, in client code either.  Other warnings
belong to the client libraries and their versions, and are left alone.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# recipe -> (modules it imports beyond NumPy and nprelu, where they come from)
RECIPES = {
    "sklearn_mlp.py": (["sklearn", "scipy", "threadpoolctl"], "the test extra: pip install '.[test]'"),
    "autograd_primitive.py": (["autograd"], "the test extra: pip install '.[test]'"),
    "torch_function.py": (["torch"], "the clients extra: pip install '.[clients]' (torch>=2.3, its CPU build)"),
    "jax_callback.py": (["jax", "jaxlib"], "the clients extra: pip install '.[clients]'"),
    "numba_objmode.py": (["numba"], "the clients extra: pip install '.[clients]'"),
}
REQUIRE_ALL = os.environ.get("NPRELU_REQUIRE_ALL_RECIPES", "") not in ("", "0")
TIMEOUT_S = 600


def run(script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", str(script)],
        cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
    )


def assert_holds(proc: subprocess.CompletedProcess[str]) -> None:
    report = f"exit status {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode == 0, report
    lines = proc.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("OK:"), report
    assert "FAILED" not in proc.stdout, report


def test_every_recipe_is_listed() -> None:
    on_disk = {p.name for p in EXAMPLES.glob("*.py")} - {"mlp.py"}  # mlp.py: its own demo, with options
    assert on_disk == set(RECIPES)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe(name: str, tmp_path: Path) -> None:
    modules, source = RECIPES[name]
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        reason = f"{name} not run: {', '.join(missing)} not installed (from {source})"
        if REQUIRE_ALL:
            pytest.fail(f"{reason}, and NPRELU_REQUIRE_ALL_RECIPES is set")
        pytest.skip(reason)
    assert_holds(run(EXAMPLES / name, tmp_path))


@pytest.mark.parametrize("body", [
    "print('OK: fine')\nraise SystemExit(1)",
    "print('FAILED: a check')\nprint('OK: nothing')",
    "print('all good')",
    "import numpy as np\nnp.float64(-1.0) ** 0.5\nprint('OK: fine')",  # RuntimeWarning is an error
])
def test_a_failing_recipe_fails(body: str, tmp_path: Path) -> None:
    script = tmp_path / "recipe.py"
    script.write_text(body + "\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        assert_holds(run(script, tmp_path))
