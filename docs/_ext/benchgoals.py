"""Benchmark results on the documentation's pages, read from ``bench/results/``.

``.. bench-goals:: path/to/latest.json``
    The goal rows of a saved run, from the JSON that ``bench/run.py`` writes,
    with its date, CPU and versions: the numbers of one real run, never numbers
    typed in by hand.
``.. bench-summary:: path/to/latest.json``
    A short table of the same run: one line per group of goal rows, how many
    were met and which missed, with a link to the full table.
``.. bench-plots:: path/to/results``
    Every PNG plot in that folder, in name order, each shown at half its pixel
    size (the plots are drawn at twice the screen resolution), in a frame that
    scrolls sideways when the page is narrower, linked to the full-size image
    and captioned.  The directive's content gives each plot's caption, one
    ``name.png: caption`` line per plot; a plot without a caption, or a
    caption without a plot, is an error.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


NBSP = "\u00a0"  # keeps "<= 1.10" on one line in narrow columns
STATIC = Path(__file__).resolve().parent / "static"

# What each group of goal rows compares (bench/README.md, "Goal rows").
GROUPS = {
    "limit": "``relu``, ``relu_grad`` against ``np.negative`` (the same bytes moved)",
    "strided": "the same on a strided input, ``x[::2]``",
    "backward": "``relu_backward`` against ``np.add``, and its speedup over "
                "``np.multiply(dy, relu_grad(x))``",
    "and_grad": "``relu_and_grad`` against ``relu`` + ``relu_grad``",
    "peers": "speedup over ``np.maximum(x, 0)`` and ``(x > 0).astype(x.dtype)``",
    "overhead": "call overhead at n = 1 and 1e3 against NumPy's own ufuncs",
    "beyond": "streaming stores out of cache, and in cache, against ``np.copyto`` / ``np.add``",
    "leaky": "the leaky family against ``np.multiply``, ``np.add`` and the ``np.where`` idioms",
    "ml": "bfloat16 and float8_e4m3fn against a copy of the same bytes and the idioms",
}


def _goal(g: dict[str, Any]) -> str:
    if g["kind"] == "speedup":
        return f">={NBSP}{g['threshold']:g}x"
    return f"<={NBSP}{g['threshold']:g}"


def _measured(g: dict[str, Any]) -> str:
    return f"{g['value']:.2f}x" if g["kind"] == "speedup" else f"{g['value']:.2f}"


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path.name} is not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _size(n: int) -> str:
    return f"1e{len(str(n)) - 1}" if n >= 1000 and str(n).strip("0") == "1" else str(n)


class BenchGoals(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        meta, goals = data["meta"], data["goals"]
        targets = meta.get("nprelu_targets", {})
        lines = [
            f"Run of {meta['date'][:10]}: {meta['cpu'].get('model', '?')}, "
            f"{meta['cpu'].get('logical_cpus', '?')} logical CPUs, target ``{targets.get('active', '?')}``, "
            f"Python {meta['python']}, NumPy {meta['numpy']}, nprelu {meta['nprelu']}. "
            f"{data['summary']['pass']} of {data['summary']['rows']} goal rows met.",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - row",
            "     - dtype",
            "     - n",
            "     - layout",
            "     - measured",
            "     - goal",
            "     - met",
        ]
        for g in goals:
            measured, goal = _measured(g), _goal(g)
            lines += [
                f"   * - {g['desc']}",
                f"     - {g['dtype']}",
                f"     - {_size(g['n'])}",
                f"     - {g['layout']}",
                f"     - {measured}",
                f"     - {goal}",
                f"     - {'yes' if g['passed'] else '**no**'}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=path), self.content_offset, container)
        return container.children


class BenchSummary(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        groups: dict[str, list[dict[str, Any]]] = {}
        for g in data["goals"]:
            groups.setdefault(g["group"], []).append(g)
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 12 44 10 34",
            "",
            "   * - group",
            "     - what is compared",
            "     - met",
            "     - missed (measured, goal)",
        ]
        for name, rows in groups.items():
            ran = [g for g in rows if g.get("passed") is not None]
            met = sum(1 for g in ran if g["passed"])
            missed = [g for g in ran if not g["passed"]]
            miss = "; ".join(f"{g['desc']}, {g['dtype']} {_size(g['n'])}: {_measured(g)}"
                             f" ({_goal(g)})" for g in missed) or "none"
            not_run = len(rows) - len(ran)
            count = f"{met}{NBSP}of{NBSP}{len(ran)}" + (f" ({not_run} not run)" if not_run else "")
            lines += [
                f"   * - {name}",
                f"     - {GROUPS.get(name, name)}",
                f"     - {count}",
                f"     - {miss}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=path), self.content_offset, container)
        return container.children


class BenchPlots(SphinxDirective):
    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        plots = sorted(Path(path).glob("*.png"))
        if not plots:
            raise self.error(f"no PNG plot in {rel}")
        captions: dict[str, str] = {}
        for line in self.content:
            if line.strip():
                name, sep, text = line.partition(":")
                if not sep or not text.strip():
                    raise self.error(f"bench-plots: not 'name.png: caption': {line!r}")
                captions[name.strip()] = text.strip()
        names = {png.name for png in plots}
        if set(captions) - names:
            raise self.error(f"bench-plots: captions for missing plots {sorted(set(captions) - names)}")
        if names - set(captions):
            raise self.error(f"bench-plots: no caption for {sorted(names - set(captions))}")
        lines: list[str] = []
        for png in plots:
            self.env.note_dependency(str(png))
            width, height = _png_size(png)
            uri = f"{self.arguments[0].rstrip('/')}/{png.name}"
            # A width makes Sphinx link the image to its full-size file.
            lines += [f".. figure:: {uri}", f"   :alt: {captions[png.name]}",
                      f"   :width: {width // 2}px", "   :figclass: bench-plot", "",
                      f"   {captions[png.name]} Select the plot for the full-size image "
                      f"({width} x {height} pixels, ``{png.name}``).", ""]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=path), self.content_offset, container)
        return container.children


def _add_static(app: Any) -> None:
    if app.builder.format == "html":
        app.config.html_static_path.append(str(STATIC))


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("bench-goals", BenchGoals)
    app.add_directive("bench-summary", BenchSummary)
    app.add_directive("bench-plots", BenchPlots)
    app.add_css_file("benchplots.css")
    app.connect("builder-inited", _add_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
