"""Benchmark results on the documentation's pages, read from ``bench/results/``.

``.. bench-goals:: path/to/latest.json``
    The goal rows of a saved run, from the JSON that ``bench/run.py`` writes,
    with its date, CPU and versions: the numbers of one real run, never numbers
    typed in by hand.
``.. bench-plots:: path/to/results``
    Every PNG plot in that folder, in name order, each with its file name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


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
            speedup = g["kind"] == "speedup"
            measured = f"{g['value']:.2f}x" if speedup else f"{g['value']:.2f}"
            goal = f">= {g['threshold']:g}x" if speedup else f"<= {g['threshold']:g}"
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


class BenchPlots(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        plots = sorted(Path(path).glob("*.png"))
        if not plots:
            raise self.error(f"no PNG plot in {rel}")
        lines: list[str] = []
        for png in plots:
            self.env.note_dependency(str(png))
            uri = f"{self.arguments[0].rstrip('/')}/{png.name}"
            lines += [f".. figure:: {uri}", f"   :alt: {png.stem}", "", f"   ``{png.name}``", ""]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=path), self.content_offset, container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("bench-goals", BenchGoals)
    app.add_directive("bench-plots", BenchPlots)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
