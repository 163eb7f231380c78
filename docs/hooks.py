"""MkDocs hooks of the docs site (``hooks:`` in mkdocs.yml; not part of the mpgan package).

``on_files`` adds, for this build only (nothing is written into docs/):

* the committed result artifacts, ``experiments/results/**`` and ``benchmarks/results/**``
  (figures, tables, JSON, and the studies' ``results.md``, copied verbatim, not rendered),
  as ``results/experiments/...`` and ``results/benchmarks/...``, so a page links a figure
  as ``../results/experiments/rayleigh/figures/NAME.png`` from ``docs/studies/``;
* ``reference/config.md``, from the config dataclasses (:mod:`mpgan.config_reference`);
* ``reference/cli.md``, from the argument parser (``mpgan.cli.build_parser``).

``on_page_content`` drops the Sphinx roles of the docstrings the API page shows
(``:class:`Config``` reads as ``Config`` in code). None of it imports TensorFlow.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
RESULT_SUFFIXES = (".png", ".csv", ".json", ".md")

if str(ROOT) not in sys.path:  # the checkout's mpgan, also when mpgan is not installed
    sys.path.insert(0, str(ROOT))

from mpgan.report.blocks import SERVED  # noqa: E402  (one home for where results are served)


class VerbatimFile(File):
    """A file copied as it is, even a ``.md`` one: never rendered as a page, so it needs no
    place in the nav and its own links are not checked."""

    def is_documentation_page(self) -> bool:
        return False


def result_files(config: MkDocsConfig) -> list[File]:
    """The committed result artifacts, as static files under ``results/``."""
    out = []
    for repo_folder, served in SERVED.items():
        folder = ROOT / repo_folder
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in RESULT_SUFFIXES:
                uri = f"{served}/{path.relative_to(folder).as_posix()}"
                out.append(VerbatimFile.generated(config, uri, abs_src_path=str(path)))
    return out


# -- the CLI reference ---------------------------------------------------------------

def _text(text: str | None) -> str:
    """Help text as Markdown: HTML-escaped outside `code spans`, on one line."""
    parts = " ".join((text or "").split()).split("`")
    return "`".join(p if i % 2 else html.escape(p, quote=False) for i, p in enumerate(parts))


def _cell(text: str) -> str:
    """Text for a table cell: pipes escaped, except in code spans (where they cannot be)."""
    parts = text.split("`")
    return "`".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(parts))


def _invocation(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    if not action.option_strings:
        return formatter._metavar_formatter(action, action.dest)(1)[0]
    return formatter._format_action_invocation(action)


def _default(action: argparse.Action) -> str:
    value = action.default
    if value is None or value is argparse.SUPPRESS or value == [] or action.nargs == 0:
        return ""  # flags, and options that are unset unless given
    return f"`{value}`"


def _required(action: argparse.Action) -> bool:
    """Whether the command fails without it (argparse marks a ``*`` or ``...`` positional
    required although it may be empty)."""
    if action.option_strings:
        return action.required
    return action.nargs not in ("?", "*", argparse.REMAINDER)


def _arguments_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        about = _text(parser._get_formatter()._expand_help(action) if action.help else "")
        if action.choices is not None and not isinstance(action.choices, dict):
            choices = ", ".join(f"`{c}`" for c in action.choices)
            about = f"{about} (one of {choices})" if about else f"one of {choices}"
        if _required(action):
            about = f"**required**; {about}" if about else "**required**"
        rows.append(f"| `{_invocation(parser, action)}` | {_default(action)} | {_cell(about)} |")
    if not rows:
        return []
    return ["| argument | default | description |", "|---|---|---|", *rows, ""]


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            return [(name, helps.get(name) or "", sub) for name, sub in action.choices.items()]
    return []


def _usage(parser: argparse.ArgumentParser) -> list[str]:
    usage = re.sub(r"^usage:\s*", "", parser.format_usage().strip())
    return ["```text", usage, "```", ""]


def cli_reference_markdown() -> str:
    """The CLI reference page: ``mpgan``'s options, then every subcommand with its help and
    arguments, read from ``mpgan.cli.build_parser()``."""
    from mpgan.cli import build_parser

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # the usage lines wrap the same on every machine
    try:
        parser = build_parser()
        subcommands = _subcommands(parser)
        lines = [
            "# CLI reference",
            "",
            "Generated from the argument parser (`mpgan.cli.build_parser()`) when the site is built;",
            "`mpgan COMMAND --help` prints the same.",
            "",
            *_usage(parser),
            _text(parser.description),
            "",
            *_arguments_table(parser),
            "| command | what it does |",
            "|---|---|",
            *(f"| [`{name}`](#mpgan-{name}) | {_cell(_text(about))} |" for name, about, _ in subcommands),
            "",
        ]
        for name, about, sub in subcommands:
            lines += [f"## `mpgan {name}` {{ #mpgan-{name} }}", "", _text(sub.description or about), ""]
            lines += _usage(sub)
            lines += _arguments_table(sub)
            if sub.epilog:
                lines += [_text(sub.epilog), ""]
    finally:
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns
    return "\n".join(lines).rstrip() + "\n"


def config_reference_markdown() -> str:
    from mpgan.config_reference import config_reference_markdown as generate

    return generate()


def config_schema_json() -> str:
    from mpgan.config_reference import config_json_schema_text

    return config_json_schema_text()


GENERATED = {"reference/config.md": config_reference_markdown, "reference/cli.md": cli_reference_markdown,
             "reference/config.schema.json": config_schema_json}


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    for uri, generate in GENERATED.items():
        existing = files.get_file_from_path(uri)
        if existing is not None:  # a stale hand-written copy must not shadow the generated page
            files.remove(existing)
        files.append(File.generated(config, uri, content=generate()))
    for file in result_files(config):
        files.append(file)
    return files


_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):(?=<code>)")


def on_page_content(html: str, **kwargs) -> str:
    return _ROLE.sub("", html)
