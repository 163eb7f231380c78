"""Every published number rendered from its results file.

Docs pages hold *blocks*: a marker naming a view and the committed results file it reads, then
the markdown the view renders. ``mpgan report`` re-renders them; ``mpgan report --check`` (and
the test suite) fails when a page and its files disagree. Results folders record where they ran
(``machine.json``, written by :func:`write_machine_record`), and every block prints that
record under its numbers.
"""

from __future__ import annotations

from .blocks import RenderError, find_blocks
from .machine import describe_machine, machine_record, write_machine_record
from .markdown import format_value, markdown_table
from .render import check_pages, default_pages, render_pages

__all__ = [
    "RenderError", "check_pages", "default_pages", "find_blocks", "render_pages",
    "describe_machine", "machine_record", "write_machine_record", "format_value", "markdown_table",
]
