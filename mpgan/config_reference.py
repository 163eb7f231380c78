"""The config reference as Markdown, generated from the dataclasses in :mod:`mpgan.config`.

Every section and key of a run config with its type, default and one-line doc. The docs
are the dataclasses' own: a field's trailing ``# comment`` and a class's docstring, read
from the source with :mod:`ast` and :mod:`tokenize`, so the reference has one home (the
docs site's ``reference/config.md`` is built from :func:`config_reference_markdown`).
Only this module knows how the config is declared: if the config moves to another
schema library, :func:`config_fields` is the function to change.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import io
import json
import tokenize
import typing
from dataclasses import dataclass
from typing import Any

import yaml

from . import config as _config


@dataclass(frozen=True)
class FieldDoc:
    """One config key: its name, type (as written in the source), default and doc."""

    name: str
    type: str
    default: Any
    doc: str
    section: type | None  # the dataclass of a nested section (or of a list's items), else None
    is_list: bool = False  # a list of ``section`` items


def _comments_by_line(source: str) -> dict[int, str]:
    """Trailing comments (code, then ``# ...`` on the same line), by 1-based line number."""
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and tok.line[: tok.start[1]].strip():
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


@functools.cache
def _class_nodes() -> tuple[dict[str, ast.ClassDef], dict[int, str]]:
    source = inspect.getsource(_config)
    tree = ast.parse(source)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    return classes, _comments_by_line(source)


def class_doc(cls: type) -> str:
    """A config class's docstring as written in the source (empty if it has none: a
    dataclass's generated signature does not count)."""
    node = _class_nodes()[0].get(cls.__name__)
    return (ast.get_docstring(node) or "") if node is not None else ""


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _nested(tp: Any) -> tuple[type | None, bool]:
    """The config dataclass a field holds (directly, optionally, or as list items)."""
    origin = typing.get_origin(tp)
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        cls, _ = _nested(item)
        return cls, True
    if origin is not None:  # X | None
        for arg in typing.get_args(tp):
            cls, is_list = _nested(arg)
            if cls is not None:
                return cls, is_list
        return None, False
    return (tp, False) if dataclasses.is_dataclass(tp) else (None, False)


def config_fields(cls: type) -> list[FieldDoc]:
    """The keys of one config section, in declaration order, inherited keys first."""
    classes, comments = _class_nodes()
    hints = typing.get_type_hints(cls, vars(_config))
    annotations: dict[str, tuple[str, str]] = {}  # name -> (type as written, trailing comment)
    for klass in reversed(cls.__mro__):
        node = classes.get(klass.__name__)
        if node is None:
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                lines = range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
                doc = next((comments[n] for n in reversed(lines) if n in comments), "")
                annotations[stmt.target.id] = (ast.unparse(stmt.annotation), doc)
    out = []
    for f in dataclasses.fields(cls):
        type_text, doc = annotations.get(f.name, (str(f.type), ""))
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = dataclasses.MISSING
        section, is_list = _nested(hints[f.name])
        out.append(FieldDoc(f.name, type_text, default, doc, section, is_list))
    return out


def config_sections() -> list[tuple[str, type, Any]]:
    """Every section of a run config as ``(dotted path, dataclass, default instance or None)``,
    the top level (path ``""``) first, then depth first in declaration order. Items of a
    list are written ``key[]``."""
    out: list[tuple[str, type, Any]] = []

    def walk(path: str, cls: type, default: Any) -> None:
        out.append((path, cls, default))
        for f in config_fields(cls):
            if f.section is None:
                continue
            value = getattr(default, f.name, None) if default is not None else None
            if f.is_list or not dataclasses.is_dataclass(value):
                value = None
            sub = f"{path}.{f.name}" if path else f.name
            walk(sub + ("[]" if f.is_list else ""), f.section, value)

    walk("", _config.Config, _config.Config())
    return out


def _anchor(path: str) -> str:
    return "config-" + (path.replace("[]", "").replace(".", "-") or "top-level")


def _yaml_value(value: Any) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _cell(text: str) -> str:
    """Text for a table cell: one line, its pipes escaped (a code span's need not be)."""
    parts = " ".join(text.split()).split("`")
    return "`".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(parts))


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _defaults_key(cls: type, default: Any) -> tuple[type, str]:
    values = dataclasses.asdict(default) if default is not None else None
    return cls, json.dumps(values, sort_keys=True, default=str)


def config_reference_markdown() -> str:
    """The config reference page: one table per section, every key with its type, default
    and doc."""
    lines = [
        "# Config reference",
        "",
        "Every key of a run config, generated from the dataclasses in `mpgan/config.py` when the",
        "site is built: the types are as declared, the defaults are those of `mpgan train` without",
        "a config, and each description is the field's own comment. A YAML config sets any of",
        "them; `--set train.epochs=5` overrides one from the command line (values are YAML). A",
        "component section (`data`, `generator`, `discriminator`, `objective`) may be given as a",
        "bare registry name; `mpgan list` shows the names.",
        "",
        "`mpgan config -c FILE --set KEY=VALUE` prints the resolved config a run would use. The same",
        "keys as a [JSON Schema](config.schema.json) (`mpgan config --schema`): an editor with the YAML",
        "language server checks and completes a config that starts with",
        "`# yaml-language-server: $schema=<path or URL of config.schema.json>`.",
        "",
    ]
    first_of: dict[tuple[type, str], str] = {}
    for path, cls, default in config_sections():
        title = f"`{path}`" if path else "Top level"
        lines += [f"## {title} {{ #{_anchor(path)} }}", ""]
        first = first_of.setdefault(_defaults_key(cls, default), path)
        if first != path:
            lines += [f"Same keys and defaults as [`{first}`](#{_anchor(first)}) (`{cls.__name__}`).", ""]
            continue
        if class_doc(cls):
            lines += [class_doc(cls), ""]
        if path.endswith("[]"):
            lines += ["Each item of the list has these keys (the defaults are an item's own).", ""]
        elif default is None and path:
            lines += ["Unset by default (`null`); when given, these keys apply.", ""]
        lines += ["| key | type | default | description |", "|---|---|---|---|"]
        for f in config_fields(cls):
            full = f"{path}.{f.name}" if path else f.name
            value = getattr(default, f.name) if default is not None else f.default
            doc = f.doc
            if f.section is not None:
                target = full + ("[]" if f.is_list else "")
                see = f"see [`{target}`](#{_anchor(target)})"
                lead = doc or _first_sentence(class_doc(f.section))
                doc = f"{lead}; {see}" if lead else see
                shown = "section" if dataclasses.is_dataclass(value) else _code(_yaml_value(value))
            else:
                shown = "required" if value is dataclasses.MISSING else _code(_yaml_value(value))
            lines.append(f"| `{full}` | {_code(f.type)} | {shown} | {_cell(doc)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of a run config, each section and key described by its doc: what
    ``mpgan config --schema`` prints and the site serves for editors (a YAML file that starts
    with ``# yaml-language-server: $schema=URL`` gets completion and checks)."""
    schema = _config.config_schema()
    sections = {cls.__name__: cls for _, cls, _ in config_sections()}
    for name, node in [("Config", schema), *schema.get("$defs", {}).items()]:
        cls = sections.get(name)
        if cls is None:
            continue
        if class_doc(cls):
            node["description"] = class_doc(cls)
        for f in config_fields(cls):
            prop = node.get("properties", {}).get(f.name)
            if prop is not None and f.doc:
                prop["description"] = f.doc
    for name, node in list(schema.get("$defs", {}).items()):
        if issubclass(sections.get(name, object), _config._Named):  # `generator: dcgan_generator`
            schema["$defs"][name] = {"anyOf": [node, {"type": "string", "description": "the registry name alone"}]}
    schema["title"] = "mpgan run config"
    return schema


def config_json_schema_text() -> str:
    """:func:`config_json_schema` as the JSON text ``mpgan config --schema`` prints and the site serves."""
    return json.dumps(config_json_schema(), indent=1) + "\n"
