"""Find numbers typed into a page outside rendered blocks: the candidates for a block.

A heuristic: decimals, percentages, ratios (``3.1×``) and durations in prose, outside blocks,
code, HTML comments and link targets. Versions (``Python 3.11``), sizes (``28×28``),
thresholds (``≤ 0.01``, ``σ 0.1``) and the 95 % level of an interval are not flagged; write
other settings as code (```lr: 2e-4```).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .blocks import BLOCK, fenced_spans

NUMBER = re.compile(
    r"(?<![\w.\-/])(?:"
    r"\d+(?:[.,]\d+)*\s?%"  # 12 %, 98.5%
    r"|\d+(?:\.\d+)?\s?×(?!\s?\d)"  # 3.1× (not 28×28)
    r"|\d+(?:\.\d+)?\s?(?:s|ms|min|minutes?|seconds?|hours?|h)\b"  # durations
    r"|\d+\.\d+(?!\.\d)"  # decimals (not 1.2.3 versions)
    r")")
VERSION = re.compile(r"(?:Python|TensorFlow|Keras|tensorflow|keras|numpy|pandas|Ray|ray|mkdocs|MkDocs|"
                     r"version|v|CUDA|format|>=|<=|==|~=|<|>)\s*$")
CODE = re.compile(r"`[^`\n]*`")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
LINK_TARGET = re.compile(r"\]\([^)]*\)|<[^>\n]+>|\{[:#.][^}\n]*\}|\{ [^}\n]*\}")
# Thresholds and settings: "≤ 0.01", "± 10 %", "σ 0.1", "a 95 % interval".
SETTING = re.compile(r"(?:[≤≥<>±=~σ]|\bp|\blr|\bat|\bunder|\bbelow|\babove|\bup to|\bwithin)\s*$")
LEVEL = re.compile(r"95\s?%")


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def lint_text(text: str) -> list[tuple[int, str, str]]:
    """``(line, number, line text)`` for every number in prose outside blocks and code."""
    masked = _blank(text, BLOCK)
    fences = fenced_spans(masked)
    chars = list(masked)
    for a, b in fences:
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "
    masked = "".join(chars)
    for pattern in (COMMENT, CODE, LINK_TARGET):
        masked = _blank(masked, pattern)
    lines, found = text.splitlines(), []
    for i, line in enumerate(masked.splitlines()):
        for m in NUMBER.finditer(line):
            if VERSION.search(line[:m.start()]) or SETTING.search(line[:m.start()]) or LEVEL.fullmatch(m.group(0)):
                continue
            found.append((i + 1, m.group(0).strip(), lines[i].strip()))
    return found


def lint_pages(root: Path, pages: Iterable[Path]) -> list[str]:
    out = []
    for page in pages:
        rel = page.resolve().relative_to(root.resolve()) if root.resolve() in page.resolve().parents else page
        for line, number, context in lint_text(page.read_text(encoding="utf-8")):
            out.append(f"{rel}:{line}: {number!r} outside a rendered block: {context[:120]}")
    return out
