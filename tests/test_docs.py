"""Docstrings: NumPy-style sections, no repeated call signature, and every
example runs and prints what it says (doctest, NORMALIZE_WHITESPACE only)."""

from __future__ import annotations

import doctest
import pydoc
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import nprelu

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]
SECTIONS = ["Parameters", "Returns", "See Also", "Notes", "Examples"]


def doc(name: str) -> str:
    d = getattr(nprelu, name).__doc__
    assert isinstance(d, str) and d.strip()
    return d


def section(text: str, title: str) -> list[str]:
    """The lines of one section, up to the next section header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line == title and i + 1 < len(lines) and lines[i + 1] == "-" * len(title))
    body = []
    for i in range(start + 2, len(lines)):
        if i + 1 < len(lines) and lines[i + 1] and set(lines[i + 1]) == {"-"} and lines[i]:
            break
        body.append(lines[i])
    return body


def entries(body: list[str]) -> list[str]:
    """The unindented ``name : description`` / ``name`` lines of a section."""
    return [line for line in body if line and not line[0].isspace()]


def run_doctest(text: str, name: str, globs: dict[str, Any] | None = None) -> tuple[int, int, str]:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, dict(globs or {}), name, None, 0)
    runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    with np.printoptions(legacy=False):
        result = runner.run(test, out=report.append)
    return result.failed, result.attempted, "".join(report)


@pytest.mark.parametrize("name", NAMES)
def test_sections_in_order(name: str) -> None:
    text = doc(name)
    positions = []
    for title in SECTIONS:
        m = re.search(rf"^{re.escape(title)}\n-{{{len(title)}}}$", text, re.MULTILINE)
        assert m, f"{name}: no '{title}' section with a matching underline"
        positions.append(m.start())
    assert positions == sorted(positions), f"{name}: sections out of order"


@pytest.mark.parametrize("name", NAMES)
def test_signature_only_once(name: str) -> None:
    """NumPy prepends the call signature; the docstring must not repeat it."""
    text = doc(name)
    lines = text.splitlines()
    assert lines[0].startswith(f"{name}("), "NumPy's signature line comes first"
    sig_lines = [line for line in lines if re.match(rf"\s*{re.escape(name)}\s*\(", line)]
    assert sig_lines == [lines[0]], sig_lines
    summary = next(line for line in lines[1:] if line.strip())
    assert "(" not in summary.split()[0], f"summary looks like a signature: {summary!r}"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_match_signature(name: str) -> None:
    f = getattr(nprelu, name)
    text = doc(name)
    first = text.splitlines()[0]
    positional = re.sub(r"\[.*?\]", "", first[len(name) + 1 : first.index("/")])
    inputs = [p.strip() for p in positional.split(",") if p.strip()]
    assert len(inputs) == f.nin, first  # NumPy names them x or x1, x2
    params = [e.split(":")[0].strip() for e in entries(section(text, "Parameters"))]
    # the inputs are documented first, then the outputs and keywords
    assert not any(p.startswith(("out", "where", "*")) for p in params[: f.nin]), params
    assert params[f.nin].startswith("out"), params
    assert "where" in params
    returns = entries(section(text, "Returns"))
    assert len(returns) == f.nout, returns


@pytest.mark.parametrize("name", NAMES)
def test_see_also_targets_exist(name: str) -> None:
    names = []
    for e in entries(section(doc(name), "See Also")):
        names += [n.strip() for n in e.split(":")[0].split(",") if n.strip()]
    assert names
    for target in names:
        if target.startswith("numpy."):
            assert callable(getattr(np, target.removeprefix("numpy."))), target
        else:
            assert target in nprelu.__all__ and target != name, target


@pytest.mark.parametrize("name", NAMES)
def test_docstring_examples(name: str) -> None:
    failed, attempted, report = run_doctest(doc(name), f"nprelu.{name}")
    assert attempted >= 3, "the Examples section has examples"
    assert failed == 0, report


@pytest.mark.parametrize("module", [nprelu, nprelu.reference], ids=lambda m: m.__name__)
def test_module_doctests(module: ModuleType) -> None:
    tests = [t for t in doctest.DocTestFinder().find(module) if t.examples]
    assert tests, f"no doctest examples in {module.__name__}"
    runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for t in tests:
        runner.run(t, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


def test_doctest_harness_can_fail() -> None:
    failed, attempted, _ = run_doctest(">>> 1 + 1\n3\n", "harness")
    assert (failed, attempted) == (1, 1)


# --------------------------------------------------------------------------- call line

# The real parameter names of every ufunc with more than one input, as the
# docstrings' Parameters sections and the SPEC name them.
PARAMETERS = {
    "relu_backward": ("dy", "x"),
    "leaky_relu": ("x", "negative_slope"),
    "leaky_relu_grad": ("x", "negative_slope"),
    "leaky_relu_backward": ("dy", "x", "negative_slope"),
}
TAIL = "/, out=None, *, where=True, casting='same_kind', order='K', dtype=None, subok=True[, signature])"


def _ufunc_doc_writable() -> bool:
    """Whether this NumPy lets a ufunc's ``__doc__`` be set (NumPy >= 2.2)."""
    probe = np.frompyfunc(lambda a, b: a, 2, 1)
    try:
        probe.__doc__ = "probe"
    except (AttributeError, TypeError):
        return False
    return probe.__doc__ == "probe"


DOC_WRITABLE = _ufunc_doc_writable()


def test_multi_input_ufuncs_listed() -> None:
    multi = {n for n in nprelu.__all__
             if isinstance(getattr(nprelu, n), np.ufunc) and getattr(nprelu, n).nin > 1}
    assert multi == set(PARAMETERS)
    for name, params in PARAMETERS.items():
        assert getattr(nprelu, name).nin == len(params)
        documented = [e.split(":")[0].strip() for e in entries(section(doc(name), "Parameters"))]
        assert documented[: len(params)] == list(params), documented


@pytest.mark.skipif(not DOC_WRITABLE, reason="this NumPy (< 2.2) cannot set a ufunc's __doc__")
@pytest.mark.parametrize("name", PARAMETERS)
def test_call_line_names_the_parameters(name: str) -> None:
    """``help(relu_backward)`` shows ``relu_backward(dy, x, /, ...)``, not
    NumPy's ``x1, x2``, followed by the docstring itself."""
    f = getattr(nprelu, name)
    want = f"{name}({', '.join(PARAMETERS[name])}, {TAIL}"
    lines = doc(name).splitlines()
    assert lines[0] == want
    assert lines[1] == "" and lines[2].strip() and not lines[2].startswith(name)
    assert not re.search(r"\bx\d\b", doc(name)), "x1, x2, ... named somewhere"
    shown = pydoc.render_doc(f, renderer=pydoc.plaintext)
    assert want in shown and f"{name}(x1" not in shown


@pytest.mark.skipif(DOC_WRITABLE, reason="this NumPy (>= 2.2) lets the call line be replaced")
@pytest.mark.parametrize("name", PARAMETERS)
def test_call_line_default_on_older_numpy(name: str) -> None:
    """Where __doc__ is read-only, NumPy's own line stays (and import works)."""
    generic = ", ".join(f"x{i}" for i in range(1, len(PARAMETERS[name]) + 1))
    assert doc(name).splitlines()[0].startswith(f"{name}({generic}, /, out=None, *, where=True")


@pytest.mark.parametrize("name", ["relu", "relu_grad", "relu_and_grad"])
def test_one_input_call_line_is_numpys(name: str) -> None:
    """One input is already named ``x`` by NumPy; nothing is replaced."""
    assert doc(name).splitlines()[0].startswith(f"{name}(x")


# --------------------------------------------------------------------------- the module docstring


def test_module_docstring_lists_every_public_function() -> None:
    """``help(nprelu)`` shows each public function with its call."""
    text = nprelu.__doc__ or ""
    for name in nprelu.__all__:
        obj = getattr(nprelu, name)
        if isinstance(obj, np.ufunc):
            params = PARAMETERS.get(name, ("x",))
            assert re.search(rf"^{name}\({', '.join(params)}\)$", text, re.MULTILINE), name
        elif callable(obj):
            assert re.search(rf"^{name}\(\)$", text, re.MULTILINE), name
        else:
            assert f"nprelu.{name}" in text, name


@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad", "leaky_relu_backward"])
def test_leaky_docstring_says_first_that_the_slope_is_positional(name: str) -> None:
    """The first paragraph after the call line: the slope is positional, has no
    default, and the call is spelled out."""
    lines = doc(name).splitlines()
    first = " ".join(next(p for p in "\n".join(lines[1:]).split("\n\n") if p.strip()).split())
    assert "positional" in first and "no default" in first, first
    call = f"nprelu.{name}({', '.join(PARAMETERS[name][:-1])}, 0.01)"
    assert call in first, (call, first)
    f = getattr(nprelu, name)
    args = [np.ones(2)] * (f.nin - 1)
    with pytest.raises(TypeError, match="positional arguments"):
        f(*args, negative_slope=0.01)


# --------------------------------------------------------------------------- the pages' examples

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
WITH_EXAMPLES = [p for p in PAGES if ">>> " in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("page", WITH_EXAMPLES, ids=lambda p: p.name)
def test_page_examples_run_in_a_fresh_interpreter(page: Path) -> None:
    """Each page's ``>>>`` examples, in order, in an empty namespace: a page
    imports what it uses, so a reader can paste its examples as they stand.
    (The Sphinx doctest build runs them the same way.)"""
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    assert test.examples
    runner = doctest.DocTestRunner(
        verbose=False, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    report: list[str] = []
    with np.printoptions(legacy=False):
        result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)


def test_pages_examples_are_checked() -> None:
    """The pages the README links to have examples that the test above runs."""
    with_examples = {p.name for p in WITH_EXAMPLES}
    assert {"index.rst", "why.rst", "training.rst", "semantics.rst", "dtypes.rst"} <= with_examples


def test_training_page_is_in_the_toctree() -> None:
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    toctree = index[index.index(".. toctree::"):].split("\n\n")[1].split()
    assert {p.stem for p in PAGES} - {"index"} == set(toctree)
