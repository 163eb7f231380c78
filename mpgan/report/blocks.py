"""Rendered blocks in markdown pages: find them, render them from their results files, check them.

A block is an HTML comment naming a view and its YAML spec, the rendered markdown, and an end
marker (invisible on GitHub and in the docs site)::

    <!-- render table
    source: benchmarks/results/mnist_default/results.csv
    columns: [seed, {fid: FID}]
    -->
    ...what the view renders from the file...
    <!-- end render -->

``render_pages`` rewrites every block from its files; ``check_pages`` re-renders in memory and
lists the blocks whose committed text differs (the ``cog --check`` pattern), so a results file
edited without re-rendering, or a rendered number edited by hand, fails the test suite.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import MpganError

BLOCK = re.compile(
    r"<!-- render (?P<view>[\w-]+)(?P<spec>.*?)-->(?P<body>.*?)<!-- end render -->", re.DOTALL)
OPEN = re.compile(r"<!-- render\b")
FENCE = re.compile(r"^[ \t]*(```|~~~)", re.MULTILINE)

#: Results folders whose files the docs site serves under ``results/<top>/`` (see docs/hooks.py).
SERVED = {"experiments/results": "results/experiments", "benchmarks/results": "results/benchmarks"}


class RenderError(MpganError):
    """A block cannot be rendered: its page and line, the view, and what is wrong."""


@dataclass
class Block:
    page: Path  # absolute: links are computed from it
    name: str  # the page as messages show it (relative to the repository root)
    line: int
    view: str
    spec: dict[str, Any]
    start: int  # offsets of the body in the page's text
    end: int
    body: str

    def where(self) -> str:
        return f"{self.name}:{self.line} ({self.view} block)"


@dataclass
class Context:
    """What a view needs: the repository root, the page it renders into, the sources it read,
    and the files already parsed in this render (``cache``, shared by the blocks of a call)."""

    root: Path
    page: Path
    block: Block
    sources: list[Path] = field(default_factory=list)
    cache: dict[Path, Any] = field(default_factory=dict)

    def error(self, message: str) -> RenderError:
        return RenderError(f"{self.block.where()}: {message}")

    def path(self, value: Any, key: str = "source") -> Path:
        """A repository-relative path from the spec, which must exist; recorded as a source."""
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"'{key}' must be a repository-relative file path, got {value!r}")
        path = (self.root / value).resolve()
        if self.root.resolve() not in path.parents:
            raise self.error(f"'{key}' {value} is outside the repository")
        if not path.is_file():
            raise self.error(f"{key} {value} does not exist")
        if path not in self.sources:
            self.sources.append(path)
        return path

    def link(self, target: Path) -> str | None:
        """A relative link from this page to ``target`` that works where the page is read:
        on GitHub for pages outside ``docs/``, in the built site for pages inside it (results
        files are served under ``results/``). None when the site does not serve ``target``."""
        return relative_link(self.root, self.page, target)


def relative_link(root: Path, page: Path, target: Path) -> str | None:
    root = root.resolve()
    rel = target.resolve().relative_to(root).as_posix()
    docs = root / "docs"
    page = page.resolve()
    if docs in page.parents:
        for prefix, served in SERVED.items():
            if rel == prefix or rel.startswith(prefix + "/"):
                rel = served + rel[len(prefix):]
                break
        else:
            if not rel.startswith("docs/"):
                return None
            rel = rel[len("docs/"):]
        base = page.parent.relative_to(docs)
    else:
        base = page.parent.relative_to(root)
    return posixpath.relpath(rel, base.as_posix() or ".")


def fenced_spans(text: str) -> list[tuple[int, int]]:
    spans, opened = [], None
    for m in FENCE.finditer(text):
        if opened is None:
            opened = m
        elif m.group(1) == opened.group(1):
            spans.append((opened.start(), m.end()))
            opened = None
    if opened is not None:
        spans.append((opened.start(), len(text)))
    return spans


def find_blocks(page: Path, text: str, name: str | None = None) -> list[Block]:
    """Every block of ``text`` outside fenced code; a malformed marker is an error."""
    name = name or str(page)
    fences = fenced_spans(text)

    def fenced(pos: int) -> bool:
        return any(a <= pos < b for a, b in fences)

    blocks, covered = [], []
    for m in BLOCK.finditer(text):
        if fenced(m.start()):
            continue
        line = text.count("\n", 0, m.start()) + 1
        where = f"{name}:{line} ({m.group('view')} block)"
        if OPEN.search(m.group("body")):
            raise RenderError(f"{where}: the block has no '<!-- end render -->' before the next block")
        try:
            spec = yaml.safe_load(m.group("spec")) or {}
        except yaml.YAMLError as exc:
            raise RenderError(f"{where}: its spec is not valid YAML ({exc})") from None
        if not isinstance(spec, dict):
            raise RenderError(f"{where}: its spec must be a YAML mapping of keys to values")
        blocks.append(Block(page, name, line, m.group("view"), spec, m.start("body"), m.end("body"),
                            m.group("body")))
        covered.append((m.start(), m.end()))
    for m in OPEN.finditer(text):
        if not fenced(m.start()) and not any(a <= m.start() < b for a, b in covered):
            line = text.count("\n", 0, m.start()) + 1
            raise RenderError(f"{name}:{line}: a '<!-- render' marker without a view name or "
                              "without its '<!-- end render -->'")
    return blocks
