"""Sphinx configuration of the nprelu documentation.

Build:  sphinx-build -W -b html docs docs/_build
Nothing is fetched from the network (no intersphinx): references to NumPy's
documentation are plain links.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

import nprelu

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "nprelu"
author = "The nprelu developers"
copyright = "the nprelu developers"  # noqa: A001 - Sphinx's name
release = version = nprelu.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "numpydoc",
    "benchgoals",
]

html_theme = "furo"
html_title = f"nprelu {release}"
html_static_path: list[str] = []
exclude_patterns = ["_build"]
# The ufuncs are documented once, on the API page; autodoc must not look
# for members or guess a signature it cannot inspect.
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every ">>>" block, in the pages and in the docstrings, runs under the
# doctest builder (sphinx-build -b doctest), as the test suite runs them.
# Nothing is imported for the examples: each page imports what it uses in its
# first example, so a reader can paste the examples of a page in order into a
# fresh interpreter (tests/test_docs.py checks the same without Sphinx).
doctest_global_setup = """
import numpy as _numpy
_numpy.set_printoptions(legacy=False)
del _numpy
"""
doctest_default_flags = 0x4 | 0x8  # NORMALIZE_WHITESPACE | ELLIPSIS

# NumPy prepends the call signature to a ufunc's docstring; before NumPy 2.2,
# which lets nprelu replace it, that line names the inputs x1, x2, ...: show
# the names the Parameters section documents instead.
_PARAM = re.compile(r"^(\w+) : ", re.MULTILINE)


def ufunc_signature(app: Any, what: str, name: str, obj: Any, options: Any,
                    signature: str | None, return_annotation: str | None) -> tuple[str, str | None] | None:
    if not isinstance(obj, np.ufunc) or not signature or "/" not in signature:
        return None
    doc = obj.__doc__ or ""
    params = doc[doc.index("Parameters\n----------"):] if "Parameters\n----------" in doc else ""
    names = _PARAM.findall(params)[: obj.nin]
    if len(names) != obj.nin:
        return None
    # NumPy's own names: x for one input, x1, x2, ... for more.
    auto = ["x"] if obj.nin == 1 else [f"x{i}" for i in range(1, obj.nin + 1)]
    head, tail = signature.split("/", 1)
    for numpy_name, name in zip(auto, names):
        head = re.sub(rf"\b{numpy_name}\b", name, head)
    return f"{head}/{tail}", return_annotation


def check_api_page(app: Any) -> None:
    """Every ufunc of ``nprelu.__all__`` is on the API page."""
    from sphinx.util import logging

    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. autofunction:: nprelu\.(\w+)$", text, re.MULTILINE))
    ufuncs = {n for n in nprelu.__all__ if isinstance(getattr(nprelu, n), np.ufunc)}
    missing = sorted(ufuncs - documented)
    if missing:
        logging.getLogger(__name__).warning("api.rst does not document the ufuncs %s", ", ".join(missing))


def setup(app: Any) -> None:
    # Before numpydoc's own signature hook, which would answer first.
    app.connect("autodoc-process-signature", ufunc_signature, priority=400)
    app.connect("builder-inited", check_api_page)
