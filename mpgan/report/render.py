"""Render and check the blocks of pages (see :mod:`mpgan.report.blocks` for the syntax)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..io import atomic_write_text
from .blocks import Block, Context, RenderError, find_blocks
from .views import VIEWS, source_line


def render_block(block: Block, root: Path, cache: dict[Path, Any] | None = None) -> str:
    """The block's body as its view renders it now, with the source line. ``cache`` holds
    the results files parsed so far in this call (pages read the same CSVs many times)."""
    view = VIEWS.get(block.view)
    if view is None:
        raise RenderError(f"{block.where()}: unknown view '{block.view}'; views are "
                          + ", ".join(sorted(VIEWS)))
    ctx = Context(root=root, page=block.page, block=block, cache={} if cache is None else cache)
    unknown = sorted(set(block.spec) - set(view.keys))
    if unknown:
        raise ctx.error(f"unknown key(s) {', '.join(unknown)}; the {block.view} view takes "
                        + ", ".join(view.keys))
    try:
        content = view.render(block.spec, ctx).strip("\n")
    except RenderError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, SyntaxError) as exc:
        raise ctx.error(f"{type(exc).__name__}: {exc}") from None
    if view.cite and ctx.sources:
        content += "\n\n" + source_line(ctx)
    return "\n\n" + content + "\n\n"


def render_text(page: Path, text: str, root: Path,
                cache: dict[Path, Any] | None = None) -> tuple[str, list[tuple[Block, str]]]:
    """``text`` with every block re-rendered, and the blocks whose body changed (with the new body)."""
    out, pos, changed = [], 0, []
    cache = {} if cache is None else cache
    for block in find_blocks(page.resolve(), text, str(_rel(root, page))):
        body = render_block(block, root, cache)
        out += [text[pos:block.start], body]
        pos = block.end
        if body != block.body:
            changed.append((block, body))
    out.append(text[pos:])
    return "".join(out), changed


def default_pages(root: Path) -> list[Path]:
    """The pages that hold blocks: README.md, every page under docs/, each top folder's README.md."""
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md")),
             *sorted(root.glob("*/README.md"))]
    return [p for p in pages if p.is_file() and "results" not in p.relative_to(root).parts[:2]]


def pages_of(root: Path, pages: Iterable[str | Path] | None) -> list[Path]:
    """``pages`` as paths under ``root`` (default: :func:`default_pages`); a missing page is an error."""
    if not pages:
        return default_pages(root)
    out = []
    for p in pages:
        path = Path(p)
        path = path if path.is_absolute() else root / path
        if not path.is_file():
            raise RenderError(f"page {p} does not exist")
        out.append(path)
    return out


def _rel(root: Path, page: Path) -> Path:
    try:
        return page.resolve().relative_to(root.resolve())
    except ValueError:
        return page


def render_pages(root: str | Path = ".", pages: Iterable[str | Path] | None = None) -> list[Path]:
    """Re-render every block of ``pages`` (default: :func:`default_pages`) and write the pages
    that changed; nothing is written unless every block renders. Returns the changed pages."""
    root = Path(root).resolve()
    new, cache = {}, {}
    for page in pages_of(root, pages):
        text = page.read_text(encoding="utf-8")
        rendered, _ = render_text(page, text, root, cache)
        if rendered != text:
            new[page] = rendered
    for page, text in new.items():
        atomic_write_text(page, text)
    return list(new)


def check_pages(root: str | Path = ".", pages: Iterable[str | Path] | None = None) -> list[str]:
    """One message per block whose committed body differs from what its files give (with a diff)."""
    root = Path(root).resolve()
    problems, cache = [], {}
    for page in pages_of(root, pages):
        text = page.read_text(encoding="utf-8")
        _, changed = render_text(page, text, root, cache)
        for block, body in changed:
            diff = difflib.unified_diff(block.body.strip("\n").splitlines(), body.strip("\n").splitlines(),
                                        "committed", "rendered", lineterm="", n=0)
            problems.append(f"{block.where()} differs from its files:\n" + "\n".join(list(diff)[2:]))
    return problems
