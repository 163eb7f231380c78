"""Markdown tables and number formatting for rendered blocks."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def format_value(v: Any, fmt: str | None = None, na: str = "–") -> str:
    """``v`` formatted by ``fmt``: a format spec (``.2f``) or a template (``{:.1%}``, ``{} min``).

    Without ``fmt``, whole numbers print as integers and other floats to 4 significant digits.
    Missing values (None, NaN, pd.NA) print as ``na``.
    """
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v)):
        return na
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if fmt is None or fmt == ".4g":
        if isinstance(v, int) or (math.isfinite(v) and float(v).is_integer() and abs(v) < 1e15):
            return str(int(v))
        fmt = ".4g"
    return fmt.format(v) if "{" in fmt else format(v, fmt)


def _cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown_table(df: pd.DataFrame, align: list[str] | None = None, digits: int | None = None,
                   na: str = "–") -> str:
    """A GitHub/MkDocs markdown table of ``df``: every table mpgan writes goes through here.

    Cells print with :func:`format_value` (floats to ``digits`` decimals when given, else 4
    significant digits; missing values as ``na``); strings as they are. ``align`` per
    column: ``l`` or ``r``; default: right for columns whose cells all read as numbers.
    """
    fmt = None if digits is None else f".{digits}f"
    df = df.map(lambda v: v if isinstance(v, str) else  # ``digits`` is for floats: counts stay whole
                format_value(v, fmt if isinstance(v, (float, np.floating)) else None, na))
    cols = [_cell(c) for c in df.columns]
    if align is None:
        align = []
        for c in df.columns:
            cells = [str(x).strip("*") for x in df[c]]
            numeric = all(_looks_numeric(x) for x in cells)
            align.append("r" if numeric else "l")
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join(rule) + " |"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    text = text.replace("±", " ").replace("[", " ").replace("]", " ").replace(",", " ").replace("%", " ")
    parts = text.split()
    if not parts:
        return True
    for p in parts:
        try:
            float(p.replace("–", "-").replace("−", "-"))
        except ValueError:
            if p not in {"–", "-"}:
                return False
    return True
