"""A study as data: what is particular to it (its cells, its summary, its figures, its
options) declared once in a :class:`Study`, and the skeleton every study shares (the
command line, the resumable output folder, results.csv, results.md and machine.json) here.

A study module ends with::

    STUDY = register(Study(name="my_study", doc=__doc__, title="My study", run_one=run_one,
                           summarize=summarize, settings=("a", "b")))
    run, main = STUDY.run, STUDY.main

and ``mpgan experiment my_study`` runs it, from mpgan or from any package that registers
it through the ``mpgan.plugins`` entry point.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..registry import STUDIES
from ..sweeps.hparams import write_hparams
from .common import (
    DEFAULT_ROOT,
    Execution,
    StudyFolder,
    add_execution_options,
    execution,
    output_dir,
    report,
    unique,
    write_results,
)


@dataclass(frozen=True)
class Option:
    """A study's own command-line option: ``argparse`` arguments. Its ``dest`` names the
    :meth:`Study.run` keyword it sets; without a value on the command line (None) the
    study's default applies."""

    flags: tuple[str, ...]
    kwargs: Mapping[str, Any]


def option(*flags: str, **kwargs: Any) -> Option:
    """An :class:`Option` as ``parser.add_argument(*flags, **kwargs)`` would declare it."""
    return Option(flags, kwargs)


@dataclass
class StudyRun:
    """One run of a study as its hooks see it: what was asked (``quick``, ``seeds``,
    ``settings``, the study's ``options``), where it writes (``path``; ``folder`` runs the
    cells), what the cells returned (``outputs``), the rows of results.csv (``results``)
    and whatever the cells computed for the summary (``extra``)."""

    study: Study
    path: Path
    quick: bool = False
    seeds: int = 1
    settings: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    folder: StudyFolder | None = None
    outputs: Any = None
    results: pd.DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def run_settings(self, **common: Any) -> dict[tuple[str, int], Any]:
        """The study's ``run_one`` for every setting and seed, with the run's ``quick``, the
        study's options and ``common`` as keywords; keyed by (setting, seed)."""
        return self.folder.run_settings(self.study.run_one, self.settings, self.seeds, quick=self.quick,
                                        **self.options, **common)


def rows_of(outputs: Any) -> pd.DataFrame:
    """Every cell's ``rows`` (a list of dicts, or a DataFrame), in order, as one table."""
    parts = [o["rows"] for o in (outputs.values() if isinstance(outputs, Mapping) else outputs)]
    if parts and all(isinstance(p, pd.DataFrame) for p in parts):
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame([r for part in parts for r in part])


@dataclass(frozen=True, eq=False)
class Study:
    """Everything particular to one study; :meth:`run` and :meth:`main` are the rest.

    ``run_one(setting, seed, run_dir, quick, **options)`` is one cell (a module-level
    function, so worker processes can run it). ``summarize(run)`` returns the results.md
    table and the notes under it; ``figures(run)`` draws into ``run.path / "figures"``.
    ``cells(run)`` replaces the default (every setting x seed through ``run_one``) and
    ``rows(outputs)`` the default results.csv rows (each output's ``rows``). ``defaults``
    are the study's own options (keywords of :meth:`run`), ``quick_defaults`` what
    ``--quick`` changes of them, ``options`` their command-line form, and ``prepare(options,
    quick)`` checks and completes them before the output folder opens. ``quick`` lists the
    config overrides a quick run adds (for ``--help``); ``configs`` the study configs whose
    text is part of each cell's identity. In the TensorBoard HParams view (``tensorboard/``)
    a session is the rows sharing ``setting``, ``seed`` and the ``hparams`` columns, logged
    along ``progress`` (default: a ``step`` or ``iteration`` column), and grouped over seeds;
    every other number in results.csv is a metric.
    """

    name: str
    doc: str
    title: str
    run_one: Callable[..., Any]
    summarize: Callable[[StudyRun], tuple[pd.DataFrame, str]]
    figures: Callable[[StudyRun], None] | None = None
    settings: Sequence[str] = ()
    default_settings: Sequence[str] | None = None
    seeds: int = 3
    quick: Sequence[str] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    quick_defaults: Mapping[str, Any] = field(default_factory=dict)
    options: Sequence[Option] = ()
    prepare: Callable[[dict[str, Any], bool], dict[str, Any]] | None = None
    cells: Callable[[StudyRun], Any] | None = None
    rows: Callable[[Any], pd.DataFrame] = rows_of
    configs: Sequence[str] = ()
    digits: int = 4
    hparams: Sequence[str] = ()
    progress: str | None = None

    def __post_init__(self) -> None:
        # what the registry reads: the listing line, and the package that registered it
        doc = inspect.cleandoc(self.doc or "")
        object.__setattr__(self, "doc", doc)
        object.__setattr__(self, "__doc__", doc)
        object.__setattr__(self, "__module__", self.run_one.__module__)
        object.__setattr__(self, "__qualname__", f"Study[{self.name}]")

    @property
    def description(self) -> str:
        """The docstring's first line: what ``mpgan experiment`` lists."""
        return self.doc.split("\n", 1)[0].strip()

    def __call__(self, argv: Sequence[str] | None = None) -> int:
        return self.main(argv)

    def run(self, out: str | Path | None = None, quick: bool = False, seeds: int | None = None,
            jobs: int | Execution = 1, settings: Sequence[str] | None = None, **options: Any) -> Path:
        """Run the study into ``out`` (default ``runs/studies/NAME``; the same command again
        resumes it) and return the folder. ``seeds`` defaults to 1 with ``quick``, else the
        study's; ``options`` are the study's own (None keeps a default)."""
        seeds = (1 if quick else self.seeds) if seeds is None else seeds
        if seeds < 1:
            raise ConfigError(f"--seeds must be a positive integer, got {seeds}")
        settings = [settings] if isinstance(settings, str) else settings
        chosen = tuple(unique(settings or self.default_settings or self.settings))
        unknown = [s for s in chosen if s not in self.settings]
        if unknown:
            raise ConfigError(f"study {self.name} has no setting {unknown[0]!r}; its settings are: "
                              f"{', '.join(self.settings) or 'none'}")
        opts = self._options(quick, options)
        with output_dir(self.name, out, jobs, configs=list(self.configs)) as folder:
            run = StudyRun(self, folder.path, quick, seeds, chosen, opts, folder)
            run.outputs = self.cells(run) if self.cells is not None else run.run_settings()
            self.finish(run)
        return folder.path

    def _options(self, quick: bool, given: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            raise ConfigError(f"study {self.name} has no option {unknown[0]!r}; its options are: "
                              f"{', '.join(self.defaults) or 'none'}")
        opts = {**self.defaults, **(self.quick_defaults if quick else {}),
                **{k: v for k, v in given.items() if v is not None}}
        return self.prepare(opts, quick) if self.prepare is not None else opts

    def finish(self, run: StudyRun) -> Path:
        """results.csv, results.md (the summary table and notes), machine.json, figures and
        the TensorBoard HParams view from the cells' ``run.outputs``."""
        run.results = self.rows(run.outputs)
        table, notes = self.summarize(run)
        if self.figures is not None:
            self.figures(run)
        write_results(run.path, run.results, table, title=self.title, notes=notes, digits=self.digits)
        write_hparams(run.path, run.results, ["setting", *self.hparams],
                      self.progress or next((c for c in ("step", "iteration") if c in run.results), None))
        return run.path

    def parser(self) -> argparse.ArgumentParser:
        """The command line every study takes (--quick, --seeds, --out, --jobs, where cells
        run, --settings when it has some) and its own options."""
        p = argparse.ArgumentParser(prog=f"mpgan experiment {self.name}", description=self.doc,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        changes = [*self.quick, *(f"{k}={v}" for k, v in self.quick_defaults.items())]
        p.add_argument("--quick", action="store_true",
                       help="a small, fast version (what the tests run) to check that everything runs"
                       + (f": {' '.join(map(str, changes))}" if changes else ""))
        p.add_argument("--seeds", type=int, default=None,
                       help=f"number of seeds per setting (default {self.seeds}; 1 with --quick)")
        p.add_argument("--out", help=f"output folder (default {DEFAULT_ROOT}/{self.name}); running the "
                       "same command again resumes it")
        p.add_argument("--jobs", type=int, default=1,
                       help="independent runs trained in parallel worker processes (default 1)")
        add_execution_options(p)
        if self.settings:
            default = list(self.default_settings or self.settings)
            p.add_argument("--settings", nargs="+", choices=list(self.settings), default=default,
                           help=f"only these settings (default {' '.join(default)})")
        return p

    def main(self, argv: Sequence[str] | None = None) -> int:
        """``mpgan experiment NAME [argv]``: run the study and print its results.md."""
        p = self.parser()
        dests = [p.add_argument(*o.flags, **o.kwargs).dest for o in self.options]
        args = p.parse_args(argv)
        ex = execution(args)  # bad --jobs / --cpus-per-cell before anything else
        folder = self.run(args.out, args.quick, args.seeds, ex, getattr(args, "settings", None),
                          **{d: getattr(args, d) for d in dests})
        return report(folder)


def register(study: Study, override: bool = False) -> Study:
    """Add ``study`` to ``mpgan.registry.STUDIES`` (what ``mpgan experiment`` lists and runs)."""
    STUDIES.register(study.name, description=study.description, override=override)(study)
    return study


__all__ = ["Option", "Study", "StudyRun", "option", "register", "rows_of"]
