"""A py-spy profile of one process while wrk loads it: the hottest frames as text, and a flame graph."""

import collections
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def record(
    pid: int, load: Callable[[], Any], out_prefix: Path, seconds: float, rate: int = 250
) -> Path | None:
    """Records `pid` while `load()` runs; writes `<prefix>.svg` and `<prefix>.txt`; returns the text file."""
    beside = Path(sys.executable).parent / "py-spy"
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if py_spy is None:
        return None
    raw = out_prefix.with_suffix(".collapsed")
    svg = out_prefix.with_suffix(".svg")
    spy = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
            "--duration",
            str(max(1, int(seconds))),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = threading.Thread(target=load)
    worker.start()
    worker.join()
    spy.wait(seconds + 30)
    if not raw.exists():
        return None
    text = out_prefix.with_suffix(".txt")
    text.write_text(summarize(raw.read_text()))
    _flamegraph(raw, svg)
    return text


def summarize(collapsed: str, top: int = 25) -> str:
    """Own time and inclusive time per function, from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_function(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"samples: {total}", "", "own time (top):"]
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive time (top):"]
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def _function(frame: str) -> str:
    """`handle (starlette/routing.py:123)` → `handle (starlette/routing.py)`: one line per function."""
    name, sep, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if sep else frame


def _flamegraph(collapsed: Path, svg: Path) -> None:
    """A minimal SVG icicle of the collapsed stacks (no external tool needed)."""
    tree: dict[str, Any] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        node = tree
        for frame in stack.split(";"):
            child = node.setdefault(frame, {"_n": 0})
            child["_n"] += n
            node = child
    width, row = 1600.0, 16
    rects: list[str] = []

    def walk(node: dict[str, Any], x: float, depth: int) -> int:
        deepest = depth
        for frame, child in sorted(
            ((k, v) for k, v in node.items() if k != "_n"), key=lambda kv: -kv[1]["_n"]
        ):
            w = width * child["_n"] / max(total, 1)
            if w >= 0.5:
                label = frame.split(" (")[0][: int(w / 7)]
                title = frame.replace("&", "&amp;").replace("<", "&lt;")
                rects.append(
                    f'<g><title>{title} ({child["_n"]})</title><rect x="{x:.1f}" y="{depth * row}" width="{w:.1f}"'
                    f' height="{row - 1}" fill="hsl({(hash(frame) % 40) + 10},80%,60%)"/>'
                    f'<text x="{x + 2:.1f}" y="{depth * row + 12}" font-size="11">'
                    f"{label.replace('&', '&amp;').replace('<', '&lt;')}</text></g>"
                )
                deepest = max(deepest, walk(child, x, depth + 1))
            x += w
        return deepest

    depth = walk(tree, 0.0, 0)
    svg.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{(depth + 1) * row}"'
        f' font-family="monospace">{"".join(rects)}</svg>\n'
    )
