"""The views a block can use. Each reads committed results files and returns markdown.

- ``table``: rows of a CSV as a markdown table (filter, computed columns, formats, mean ± sd
  or mean [95 % interval] per group, transpose).
- ``text``: a sentence or list whose numbers are values picked from CSV/JSON files.
- ``include``: a committed markdown results file, or one section of it.
- ``figure``: an image from a results folder, linked so it shows on GitHub and in the site.

Computed columns and filters use pandas' ``DataFrame.eval`` / ``query`` (arithmetic and
comparisons, no Python calls); values combine with ``calc`` (arithmetic on named values).
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..intervals import Interval, difference, mean_interval
from .blocks import Context
from .machine import MACHINE_FILE, describe_machine, find_machine_record
from .markdown import format_value, markdown_table


@dataclass(frozen=True)
class View:
    render: Callable[[dict[str, Any], Context], str]
    keys: tuple[str, ...]
    cite: bool = True  # append the source line (file, machine, command)


VIEWS: dict[str, View] = {}


def view(name: str, keys: tuple[str, ...], cite: bool = True):
    def register(fn):
        VIEWS[name] = View(fn, keys, cite)
        return fn

    return register


# ----------------------------------------------------------------------------- sources

def read_csv(ctx: Context, source: Any) -> pd.DataFrame:
    """``source`` parsed once per render call (views only read the frame, never change it)."""
    path = ctx.path(source)
    if path in ctx.cache:
        return ctx.cache[path]
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ctx.error(f"source {source} is not a readable CSV ({exc})") from None
    if df.empty:
        raise ctx.error(f"source {source} has no rows")
    ctx.cache[path] = df
    return df


def read_json(ctx: Context, source: Any) -> Any:
    path = ctx.path(source)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ctx.error(f"source {source} is not valid JSON ({exc})") from None


def select(ctx: Context, df: pd.DataFrame, where: Any, source: str) -> pd.DataFrame:
    if where is None:
        return df
    if not isinstance(where, str):
        raise ctx.error(f"'where' must be a pandas query string, got {where!r}")
    try:
        out = df.query(where)
    except Exception as exc:  # pandas raises many types for a bad query
        raise ctx.error(f"where '{where}' cannot be evaluated on {source} "
                        f"(columns: {', '.join(map(str, df.columns))}): {exc}") from None
    if out.empty:
        raise ctx.error(f"where '{where}' matches no row of {source}")
    return out


def column(ctx: Context, df: pd.DataFrame, name: Any = None, expr: Any = None,
           source: str = "") -> pd.Series:
    if expr is not None:
        try:
            return df.eval(str(expr))
        except Exception as exc:
            raise ctx.error(f"expr '{expr}' cannot be evaluated on {source} "
                            f"(columns: {', '.join(map(str, df.columns))}): {exc}") from None
    if name not in df.columns:
        raise ctx.error(f"{source} has no column '{name}' (columns: {', '.join(map(str, df.columns))})")
    return df[name]


def source_line(ctx: Context) -> str:
    """``*Source: [file](link) · measured DATE on CPU (cores, GFLOP/s), versions · `command`*``,
    one sentence per results folder. A source without a machine record is an error."""
    groups: dict[Path, list[Path]] = {}
    for path in ctx.sources:
        record = find_machine_record(path, ctx.root)
        if record is None:
            rel = path.relative_to(ctx.root.resolve()).as_posix()
            raise ctx.error(f"no {MACHINE_FILE} beside {rel} or in a parent folder: every results "
                            "folder records the machine it ran on (mpgan.report.write_machine_record)")
        groups.setdefault(record, []).append(path)
    parts = []
    for record_path, paths in groups.items():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ctx.error(f"{record_path.relative_to(ctx.root.resolve())} is not valid JSON ({exc})") from None
        files = []
        for p in paths:
            rel = p.relative_to(ctx.root.resolve()).as_posix()
            link = ctx.link(p)
            files.append(f"[`{rel}`]({link})" if link else f"`{rel}`")
        text = f"{', '.join(files)}: {describe_machine(record)}"
        if record.get("command"):
            text += f"; `{record['command']}`"
        parts.append(text)
    return "<small>Source: " + " · ".join(parts) + "</small>"


# ----------------------------------------------------------------------------- table

def _column_specs(ctx: Context, columns: Any, df: pd.DataFrame) -> list[dict[str, Any]]:
    if columns is None:
        return [{"column": c, "label": str(c)} for c in df.columns]
    if not isinstance(columns, list) or not columns:
        raise ctx.error("'columns' must be a non-empty list")
    specs = []
    for item in columns:
        if isinstance(item, str):
            specs.append({"column": item, "label": item})
        elif isinstance(item, dict) and ("column" in item or "expr" in item):
            unknown = set(item) - {"column", "expr", "label", "format", "stat"}
            if unknown:
                raise ctx.error(f"column entry {item} has unknown key(s) {', '.join(sorted(unknown))}")
            if item.get("stat", STATS[0]) not in STATS:
                raise ctx.error(f"column entry {item}: stat '{item['stat']}' is not one of: {', '.join(STATS)}")
            specs.append({"label": item.get("label", item.get("column", item.get("expr"))), **item})
        elif isinstance(item, dict) and len(item) == 1:
            (name, label), = item.items()
            specs.append({"column": name, "label": str(label)})
        else:
            raise ctx.error(f"column entry {item!r} must be a name, {{name: label}} or "
                            "{column|expr, label, format}")
    return specs


STATS = ("mean", "mean ± sd", "mean [95% CI]", "min–max", "sum")


def _aggregate(ctx: Context, frame: pd.DataFrame, specs: list[dict[str, Any]], spec: Any,
               default_fmt: str, na: str) -> pd.DataFrame:
    if not isinstance(spec, dict) or "by" not in spec:
        raise ctx.error("'aggregate' must be {by: column(s), stat: " + " | ".join(STATS) + ", count: label}")
    by = spec["by"] if isinstance(spec["by"], list) else [spec["by"]]
    stat = spec.get("stat", "mean ± sd")
    if stat not in STATS:
        raise ctx.error(f"aggregate stat '{stat}' is not one of: {', '.join(STATS)}")
    labels = [s["label"] for s in specs]
    missing = [b for b in by if b not in labels]
    if missing:
        raise ctx.error(f"aggregate by {', '.join(missing)}: not among the table's columns ({', '.join(labels)})")
    rows = []
    for key, group in frame.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True))
        if spec.get("count"):
            row[spec["count"]] = len(group)
        for s in specs:
            if s["label"] in by:
                continue
            row[s["label"]] = _statistic(group[s["label"]], s.get("stat", stat), s.get("format", default_fmt), na)
        rows.append(row)
    return pd.DataFrame(rows)


def _statistic(values: pd.Series, stat: str, fmt: str, na: str) -> str:
    """One aggregated cell: ``stat`` of the finite ``values``."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return na
    if stat == "sum":
        return format_value(v.sum(), fmt)
    if stat == "mean":
        return format_value(v.mean(), fmt)
    if stat == "mean ± sd":
        return format_value(v.mean(), fmt) + (f" ± {format_value(v.std(ddof=1), fmt)}" if len(v) > 1 else "")
    if stat == "min–max":
        return f"{format_value(v.min(), fmt)}–{format_value(v.max(), fmt)}"
    iv = mean_interval(v)
    return f"{format_value(iv.mean, fmt)} [{format_value(iv.low, fmt)}, {format_value(iv.high, fmt)}]"


@view("table", ("source", "where", "columns", "sort", "descending", "format", "aggregate",
                "transpose", "na", "bold"))
def table(spec: dict[str, Any], ctx: Context) -> str:
    """Rows of ``source`` (a CSV) as a markdown table."""
    source = spec.get("source")
    df = select(ctx, read_csv(ctx, source), spec.get("where"), source)
    specs = _column_specs(ctx, spec.get("columns"), df)
    default_fmt = spec.get("format", ".4g")
    na = spec.get("na", "–")
    frame = pd.DataFrame({s["label"]: column(ctx, df, s.get("column"), s.get("expr"), source).to_numpy()
                          for s in specs})
    if spec.get("sort") is not None:
        keys = spec["sort"] if isinstance(spec["sort"], list) else [spec["sort"]]
        bad = [k for k in keys if k not in frame.columns]
        if bad:
            raise ctx.error(f"sort by {', '.join(bad)}: not among the table's columns")
        frame = frame.sort_values(keys, ascending=not spec.get("descending", False), kind="stable")
    if spec.get("aggregate") is not None:
        out = _aggregate(ctx, frame, specs, spec["aggregate"], default_fmt, na)
    else:
        out = pd.DataFrame({s["label"]: [format_value(v, s.get("format", default_fmt), na) for v in frame[s["label"]]]
                            for s in specs})
    bold = spec.get("bold")
    if bold is not None:
        if bold not in out.columns:
            raise ctx.error(f"bold column '{bold}' is not among the table's columns")
        out[bold] = [f"**{v}**" if v != na else v for v in out[bold]]
    if spec.get("transpose"):
        out = out.set_index(out.columns[0]).T.reset_index()
        out.columns = [str(specs[0]["label"]) if i == 0 else str(c) for i, c in enumerate(out.columns)]
        out.columns = ["", *out.columns[1:]]
    return markdown_table(out)


# ----------------------------------------------------------------------------- text

AGGS: dict[str, Callable[[pd.Series], Any]] = {
    "min": lambda s: s.min(), "max": lambda s: s.max(), "mean": lambda s: s.mean(),
    "median": lambda s: s.median(), "sum": lambda s: s.sum(), "count": lambda s: int(s.count()),
    "std": lambda s: s.std(ddof=1), "first": lambda s: s.iloc[0], "last": lambda s: s.iloc[-1],
}

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCS = {"abs": abs, "min": min, "max": max, "round": round}


def calc(expression: str, names: dict[str, Any]) -> Any:
    """Arithmetic on named values (+ - * / **, abs, min, max, round); nothing else is evaluated."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise KeyError(f"calc '{expression}' names '{node.id}', which is not defined before it")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
                and not node.keywords):
            return _FUNCS[node.func.id](*(ev(a) for a in node.args))
        raise ValueError(f"calc '{expression}' may use numbers, names, + - * / ** and abs/min/max/round only")

    return ev(ast.parse(str(expression), mode="eval"))


def _json_key(ctx: Context, data: Any, key: str, source: str) -> Any:
    node = data
    for part in str(key).split("."):
        if isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise ctx.error(f"{source} has no key '{key}' (stopped at '{part}')")
    return node


class Values(list):
    """Several numbers that format as one comma-separated field: ``{d.each:+.1f}``."""

    def __format__(self, spec: str) -> str:
        return ", ".join(format(v, spec) for v in self)


@dataclass(frozen=True)
class Sample:
    """Numbers over training seeds (or their paired differences) and their 95 % Student-t
    interval. ``{d:.2f}`` renders ``mean [low, high]``; ``{d.mean:.2f}``, ``{d.low}``,
    ``{d.high}``, ``{d.sd}``, ``{d.n}`` and ``{d.each:.1f}`` (every value) are its parts."""

    each: Values

    @property
    def interval(self) -> Interval:
        return mean_interval(self.each)

    @property
    def n(self) -> int:
        return len(self.each)

    @property
    def mean(self) -> float:
        return self.interval.mean

    @property
    def sd(self) -> float:
        return float(np.std(self.each, ddof=1)) if self.n > 1 else float("nan")

    @property
    def low(self) -> float:
        return self.interval.low

    @property
    def high(self) -> float:
        return self.interval.high

    def __format__(self, spec: str) -> str:
        return format(self.interval, spec)


def sample(ctx: Context, name: str, df: pd.DataFrame, spec: dict[str, Any], source: str) -> Sample | Interval:
    """The ``interval`` value: a column over the rows selected, or the paired differences
    ``a - b`` matched on ``by`` (default ``seed``)."""
    how = spec["interval"]
    if how is True:
        series = column(ctx, df, spec.get("column"), spec.get("expr"), source)
        values = pd.to_numeric(series, errors="coerce").dropna()
        return Sample(Values(float(v) for v in values))
    if not isinstance(how, dict) or "a" not in how or "b" not in how:
        raise ctx.error(f"value '{name}': interval must be true or {{a: WHERE, b: WHERE, by: COLUMN}}")
    by = how.get("by", "seed")
    if by is None:  # two independent groups
        a, b = (pd.to_numeric(column(ctx, select(ctx, df, how[k], source), spec.get("column"),
                                     spec.get("expr"), source), errors="coerce").dropna().to_numpy(float)
                for k in ("a", "b"))
        if len(a) < 2 or len(b) < 2:
            raise ctx.error(f"value '{name}': an unpaired interval needs at least 2 values on each side")
        return difference(a, b, paired=False)
    sides = []
    for side in ("a", "b"):
        rows = select(ctx, df, how[side], source)
        if by not in rows.columns:
            raise ctx.error(f"value '{name}': {source} has no column '{by}' to pair by")
        keys = rows[by]
        if keys.duplicated().any():
            raise ctx.error(f"value '{name}': {how[side]} selects several rows per {by}; narrow it")
        sides.append(pd.Series(column(ctx, rows, spec.get("column"), spec.get("expr"), source).to_numpy(),
                               index=keys.to_numpy()))
    a, b = sides
    if set(a.index) != set(b.index):
        raise ctx.error(f"value '{name}': a and b cover different {by} values "
                        f"({sorted(a.index)} against {sorted(b.index)})")
    keys = sorted(a.index)
    return Sample(Values(float(a[k] - b[k]) for k in keys))


def value(ctx: Context, name: str, spec: Any, known: dict[str, Any], defaults: dict[str, Any]) -> Any:
    if not isinstance(spec, dict):
        raise ctx.error(f"value '{name}' must be a mapping (source, where, column|expr, agg) or {{calc: ...}}")
    spec = {**defaults, **spec}
    if "calc" in spec:
        return calc(spec["calc"], known)
    source = spec.get("source")
    if str(source).endswith(".json"):
        if "key" not in spec:
            raise ctx.error(f"value '{name}' reads JSON {source}: give its 'key' (dotted path)")
        return _json_key(ctx, read_json(ctx, source), spec["key"], source)
    where = spec.get("where")
    if isinstance(where, str) and "{" in where:
        # A filter may use values defined above it: where: "fid < {noise_rung}".
        try:
            where = where.format(**{k: repr(v) if isinstance(v, str) else v for k, v in known.items()})
        except (KeyError, IndexError) as exc:
            raise ctx.error(f"value '{name}': where '{where}' names {exc}, which is not defined above it") from None
    df = select(ctx, read_csv(ctx, source), where, source)
    if "column" not in spec and "expr" not in spec:
        raise ctx.error(f"value '{name}' needs 'column' or 'expr'")
    if "interval" in spec:
        return sample(ctx, name, df, spec, source)
    series = column(ctx, df, spec.get("column"), spec.get("expr"), source)
    agg = spec.get("agg")
    if agg is None:
        if len(series) != 1:
            raise ctx.error(f"value '{name}': {len(series)} rows of {source} match; narrow 'where' or "
                            f"give 'agg' ({', '.join(AGGS)})")
        out = series.iloc[0]
    elif agg in AGGS:
        out = AGGS[agg](series)
    else:
        raise ctx.error(f"value '{name}': agg '{agg}' is not one of {', '.join(AGGS)}")
    return out.item() if isinstance(out, np.generic) else out


@view("text", ("template", "values", "defaults"))
def text(spec: dict[str, Any], ctx: Context) -> str:
    """``template`` (Python format fields such as ``{fid:.2f}``) filled with ``values``."""
    template = spec.get("template")
    if not isinstance(template, str) or not template.strip():
        raise ctx.error("'template' must be the text to render, with {name} fields")
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise ctx.error("'values' must map names to value specs")
    defaults = spec.get("defaults") or {}
    known: dict[str, Any] = {}
    for name, vspec in values.items():
        known[name] = value(ctx, name, vspec, known, defaults)
    try:
        return template.strip().format(**known)
    except KeyError as exc:
        raise ctx.error(f"template field {exc} has no value; values are {', '.join(known) or 'none'}") from None
    except (ValueError, TypeError) as exc:
        raise ctx.error(f"template cannot be filled: {exc}") from None


# ----------------------------------------------------------------------------- include

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")


@view("include", ("source", "section", "title", "shift"))
def include(spec: dict[str, Any], ctx: Context) -> str:
    """A committed markdown file (or the section under heading ``section``), its first-level
    title dropped unless ``title: true``, headings moved down ``shift`` levels, links kept working."""
    source = spec.get("source")
    path = ctx.path(source)
    lines = path.read_text(encoding="utf-8").splitlines()
    section = spec.get("section")
    if section is not None:
        start = next((i for i, ln in enumerate(lines)
                      if (m := HEADING.match(ln)) and m.group(2).strip() == str(section).strip()), None)
        if start is None:
            heads = [m.group(2) for ln in lines if (m := HEADING.match(ln))]
            raise ctx.error(f"{source} has no heading '{section}' (headings: {'; '.join(heads) or 'none'})")
        level = len(HEADING.match(lines[start]).group(1))
        end = next((j for j in range(start + 1, len(lines))
                    if (m := HEADING.match(lines[j])) and len(m.group(1)) <= level), len(lines))
        lines = lines[start + 1:end]
    elif not spec.get("title") and lines and lines[0].startswith("# "):
        lines = lines[1:]
    shift = int(spec.get("shift", 0))
    out, fence = [], False
    for ln in lines:
        if ln.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if not fence and shift and (m := HEADING.match(ln)):
            ln = "#" * min(6, len(m.group(1)) + shift) + " " + m.group(2)
        if not fence:
            ln = LINK.sub(lambda m: m.group(1) + _relink(ctx, path, m.group(2)) + m.group(3), ln)
        out.append(ln)
    return "\n".join(out).strip("\n")


def _relink(ctx: Context, source: Path, target: str) -> str:
    if re.match(r"^[a-z]+:|^#|^/", target):
        return target
    resolved = (source.parent / target.split("#")[0]).resolve()
    if not resolved.exists():
        raise ctx.error(f"{source.relative_to(ctx.root.resolve())} links {target}, which does not exist")
    link = ctx.link(resolved)
    if link is None:
        raise ctx.error(f"{source.relative_to(ctx.root.resolve())} links {target}, which the docs site does not serve")
    return link + ("#" + target.split("#", 1)[1] if "#" in target else "")


# ----------------------------------------------------------------------------- figure

@view("figure", ("source", "alt", "width"), cite=False)
def figure(spec: dict[str, Any], ctx: Context) -> str:
    """An image from a results folder (or docs/images), linked for GitHub and the site."""
    path = ctx.path(spec.get("source"))
    link = ctx.link(path)
    if link is None:
        raise ctx.error(f"{spec.get('source')} is not served by the docs site; keep figures in "
                        "a results folder or docs/images")
    alt = str(spec.get("alt", path.stem.replace("_", " ")))
    width = spec.get("width")
    if width is None:
        return f"![{alt}]({link})"
    docs = ctx.root.resolve() / "docs"
    if docs in ctx.page.resolve().parents:
        return f'![{alt}]({link}){{ width="{width}" }}'
    return f'<img src="{link}" alt="{alt}" width="{width}">'

