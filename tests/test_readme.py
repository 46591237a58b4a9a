"""README.md's ```python blocks, run as one doctest session.

The blocks share one namespace, in order, as a reader would type them.  Lines
outside the blocks are blanked rather than removed, so a failure reports the line
number in README.md.
"""

from __future__ import annotations

import doctest
import io
import re
from pathlib import Path

import numpy as np

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
