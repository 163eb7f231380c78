"""Command line: ``mpgan list | train | sample | evaluate | synthesize | audit | experiment | sweep``.

User mistakes (:class:`MpganError`) print one line, ``error: ...``, and exit 2;
nothing is left half-written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2


def _cmd_list(args: argparse.Namespace) -> int:
    import mpgan  # noqa: F401  (registers the built-ins)
    from mpgan.registry import REGISTRIES

    kinds = [args.kind] if args.kind else list(REGISTRIES)
    for kind in kinds:
        reg = REGISTRIES[kind]
        print(f"{kind}:")
        entries = reg.entries()
        width = max((len(e.name) for e in entries), default=0)
        for e in entries:
            src = "" if e.source == "mpgan" else f"  [{e.source}]"
            about = f"  ({reg.info(e.name).describe()})" if hasattr(reg, "info") else ""
            print(f"  {e.name.ljust(width)}  {e.description}{about}{src}")
        print()
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    if args.resume:
        if args.config or args.set:
            raise _usage("--resume continues a run with its saved config; drop --config/--set")
        if args.epochs is not None and args.epochs < 1:
            raise _usage(f"--epochs must be a positive integer, got {args.epochs}")
        trainer = _open_run(args.resume, progress=args.progress)
        done, target = int(trainer.epoch.numpy()), args.epochs or trainer.total_epochs
        if target <= done:
            asked = f"--epochs {target}" if args.epochs else f"its train.epochs ({target})"
            print(f"nothing to train: {args.resume} is already at epoch {done} and {asked} asks for no more; "
                  f"pass --epochs {done + 1} or more to train further")
            return 0
        print(f"resuming {args.resume} at epoch {done}, step {int(trainer.step.numpy())}")
        table = trainer.fit(epochs=args.epochs)
    else:
        from mpgan.training.from_config import train

        # the config and the run folder are checked before TensorFlow loads
        trainer = train(args.config, args.set, run_dir=args.run_dir, epochs=args.epochs, progress=args.progress)
        table = trainer.epochs_table()
    print(f"run directory: {trainer.run_dir}")
    if len(table):
        last = table.iloc[-1]
        cols = [c for c in table.columns if c not in ("epoch", "step")]
        print(f"epoch {int(last['epoch'])}, step {int(last['step'])}: "
              + ", ".join(f"{c}={last[c]:.4g}" if isinstance(last[c], float) else f"{c}={last[c]}" for c in cols))
    return 0


def _open_run(run: str, **kwargs: Any):
    """``Trainer.from_run``, a skipped damaged checkpoint reported as one ``warning:`` line."""
    import warnings

    from mpgan.training import Trainer
    from mpgan.training.state import DamagedCheckpointWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DamagedCheckpointWarning)
        trainer = Trainer.from_run(run, **kwargs)
    for w in caught:
        if issubclass(w.category, DamagedCheckpointWarning):
            print(f"warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return trainer


def _cmd_sample(args: argparse.Namespace) -> int:
    from mpgan.modalities import modality_of, sample_formats

    out = Path(args.out)
    if out.suffix.lower() not in sample_formats():  # before TensorFlow loads
        raise _usage(f"--out must end in .png (image grid), .npy (raw array) or .csv (tables), got {out.name!r}")
    _writable(out, folder=False, what="--out")
    if args.n < 1:
        raise _usage(f"--n must be a positive integer, got {args.n}")
    if args.label is not None and args.labels is not None:
        raise _usage("pass either --label or --labels, not both")
    trainer = _open_run(args.run, progress=False)
    labels, ncols = _sample_labels(trainer, args)
    x = trainer.sample(len(labels) if labels is not None else args.n, seed=args.seed, labels=labels)
    modality_of(trainer.dataset).write_samples(trainer.dataset, x, out, ncols=ncols)
    print(f"wrote {len(x)} samples to {out}")
    return 0


def _sample_labels(trainer, args: argparse.Namespace):
    """The classes asked with --label K or --labels A,B,C|all, checked against the run;
    --labels gives n // len(labels) samples per class, one grid row each."""
    import numpy as np

    if args.label is None and args.labels is None:
        return None, None
    k = trainer.condition_dim
    flag = "--label" if args.label is not None else "--labels"
    if not k:
        raise _usage(f"{flag} needs a conditional run (generator.params.conditional: true); "
                     f"{args.run} was trained unconditionally")
    if args.label is not None:
        wanted = [args.label]
    elif args.labels.strip() == "all":
        wanted = list(range(k))
    else:
        try:
            wanted = [int(v) for v in args.labels.split(",") if v.strip()]
        except ValueError:
            raise _usage(f"--labels takes class indices like 0,1,2 or 'all', got {args.labels!r}") from None
    names = trainer.dataset.class_names or [str(i) for i in range(k)]
    bad = [v for v in wanted if not 0 <= v < k]
    if bad or not wanted:
        raise _usage(f"{flag} {bad[0] if bad else args.labels} is not a class of this run; it has {k} classes, "
                     f"0..{k - 1} ({', '.join(map(str, names[:k]))})")
    if args.label is not None:
        return np.full(args.n, args.label, dtype=np.int64), None
    per = max(1, args.n // len(wanted))
    return np.repeat(np.asarray(wanted, dtype=np.int64), per), per


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from mpgan.metrics.evaluate import evaluate, format_table
    from mpgan.modalities import modality_of

    misplaced = [flag for flag, value, home in (
        ("--data", args.data, args.samples), ("--labels", args.labels, args.samples),
        ("--train", args.train, args.synthetic), ("--holdout", args.holdout, args.synthetic),
        ("--target", args.target, args.synthetic), ("--kind", args.kind, args.synthetic),
        ("--sep", args.sep, args.synthetic)) if value and not home]
    if misplaced:
        raise _usage(f"{misplaced[0]} goes with {'--samples' if misplaced[0] in ('--data', '--labels') else '--synthetic'}")
    if args.n is not None and args.n < 2:
        raise _usage(f"--n must be at least 2 samples, got {args.n}")
    if args.synthetic:
        return _evaluate_table(args)
    if args.samples:
        return _evaluate_samples(args)
    out = _writable(Path(args.out) if args.out else Path(args.run) / "eval", folder=True,
                    what="--out" if args.out else "evaluation folder")
    trainer = _open_run(args.run, progress=False)
    result = evaluate(trainer, n=args.n or 1000, metrics=args.metrics, seed=args.seed, out_dir=out)
    print(format_table(result))
    summary = modality_of(trainer.dataset).summary(result)
    if summary:
        print("\n" + "\n".join(summary))
    print(f"wrote {out / 'metrics.json'} and {out / 'metrics.csv'}")
    return 0


def _default_out(args: argparse.Namespace, path: str) -> Path:
    if args.out:
        return _writable(Path(args.out), folder=True, what="--out")
    p = Path(path)
    return _writable(p.parent / f"{p.stem}_eval", folder=True, what="evaluation folder")


def _evaluate_samples(args: argparse.Namespace) -> int:
    from mpgan.metrics.evaluate import format_table
    from mpgan.metrics.samples import evaluate_samples
    from mpgan.modalities import modality_of

    if not args.data:
        raise _usage("--samples needs --data NAME, the image dataset the samples imitate (e.g. mnist)")
    out = _default_out(args, args.samples)
    result = evaluate_samples(args.samples, args.data, args.labels, n=args.n, metrics=args.metrics,
                              seed=args.seed, out_dir=out)
    print(format_table(result))
    print("\n" + "\n".join(modality_of(result["kind"]).summary(result)))
    print(f"wrote {out / 'metrics.json'} and {out / 'metrics.csv'}")
    return 0


def _evaluate_table(args: argparse.Namespace) -> int:
    from mpgan.metrics.tables import evaluate_tables, summary_lines

    if not args.train or not args.holdout:
        raise _usage("--synthetic needs --train (the rows the synthesizer was fitted on) and --holdout (real rows "
                     "it never saw)")
    out = _default_out(args, args.synthetic)
    result = evaluate_tables(args.synthetic, args.train, args.holdout, args.target, kinds=_column_kinds(args.kind),
                             seed=args.seed, out_dir=out, ladder=args.ladder, sep=args.sep)
    print("\n".join(summary_lines(result)))
    print(f"wrote {out / 'metrics.json'}, {out / 'metrics.csv'} and {out / 'report.md'}")
    return 0


def _write_rows(chunks: Any, out: Path, writers: dict[str, Any], target: str | None) -> tuple[int, dict[Any, int]]:
    """Write synthetic rows given in chunks (a CSV streamed chunk by chunk, atomically);
    return the column count and the rows per target class."""
    import pandas as pd

    from mpgan.io import atomic_save

    counts: dict[Any, int] = {}
    width = 0

    def tally(chunk: Any) -> Any:
        nonlocal width
        width = chunk.shape[1]
        if target is not None:
            for k, v in chunk[target].value_counts(sort=False).items():
                counts[k] = counts.get(k, 0) + int(v)
        return chunk

    if out.suffix.lower() == ".csv":  # streamed: a million rows never sit in memory at once
        def write_csv(p: Path) -> None:
            for i, chunk in enumerate(chunks):
                tally(chunk).to_csv(p, mode="w" if i == 0 else "a", header=i == 0, index=False)

        atomic_save(out, write_csv, suffix=out.suffix)
    else:
        table = pd.concat([tally(c) for c in chunks], ignore_index=True)
        atomic_save(out, lambda p: writers[out.suffix.lower()](table, p), suffix=out.suffix)
    return width, counts


def _cmd_synthesize(args: argparse.Namespace) -> int:
    import warnings

    from mpgan.synthesizers import TabularSynthesizer

    out = Path(args.out)
    writers = {".csv": lambda df, p: df.to_csv(p, index=False),
               ".json": lambda df, p: df.to_json(p, orient="table", index=False),
               ".pkl": lambda df, p: df.to_pickle(p), ".parquet": lambda df, p: df.to_parquet(p, index=False)}
    if out.suffix.lower() not in writers:
        raise _usage(f"--out must end in .csv, .json (exact dtypes), .pkl or .parquet, got {out.name!r}")
    if args.rows is not None and args.rows < 1:
        raise _usage(f"--rows must be a positive integer, got {args.rows}")
    if args.balance and args.condition is not None:
        raise _usage("pass either --balance or --condition, not both")
    _writable(out, folder=False, what="--out")
    if args.run:
        if args.data or args.config or args.set or args.run_dir or args.target or args.epsilon is not None \
                or args.kind or args.categorical or args.numeric or args.scaling or args.sep:
            raise _usage("--run reuses a trained synthesizer as it is; drop --data/--sep/--target/--kind/"
                         "--categorical/--numeric/--scaling/--config/--set/--run-dir/--epsilon")
        syn = TabularSynthesizer.load(args.run, progress=args.progress)
        if syn.shared is not None:
            print(f"loaded the exported synthesizer {args.run} (epsilon {syn.shared['privacy']['epsilon']:.3g})")
        else:
            print(f"loaded {args.run} (epoch {int(syn.trainer.epoch.numpy())})")
    else:
        if not args.data:
            raise _usage("pass --data TABLE to train a synthesizer, or --run RUN_DIR to reuse one")
        data = _checked_table(args)
        overrides = list(args.set) + ([f"train.epochs={args.epochs}"] if args.epochs is not None else [])
        privacy = _privacy_settings(args)
        scaling, categorical, kinds = _synthesize_columns(args)
        syn = TabularSynthesizer(target=args.target, config=args.config, overrides=overrides,
                                 numeric=scaling, holdout=args.holdout, seed=args.seed,
                                 run_dir=args.run_dir, progress=args.progress, privacy=privacy,
                                 categorical=categorical, kinds=kinds, sep=args.sep)
        with warnings.catch_warnings():
            warnings.simplefilter("always", UserWarning)  # the table's warnings, not libraries' deprecations
            warnings.showwarning = lambda m, *a, **k: print(f"warning: {m}", file=sys.stderr)
            syn.fit(data)
        print(f"trained {syn.trainer.total_epochs} epochs in {syn.run_dir}")
        spent = syn.trainer.privacy_spent()
        if spent is not None:
            print(_privacy_line(spent))
    rows = args.rows if args.rows is not None else syn.rows
    chunks = syn.sample_chunks(rows, seed=args.seed, condition=args.condition, balance=args.balance)
    width, counts = _write_rows(chunks, out, writers, syn.target)
    summary = " (" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + ")" if counts else ""
    print(f"wrote {rows} rows x {width} columns to {out}{summary}")
    return 0


def _privacy_line(spent: dict[str, Any]) -> str:
    """The total epsilon and delta, and their split."""
    sgd, stats = spent["split"]["dp_sgd"], spent["split"]["statistics"]
    return (f"differential privacy: epsilon {spent['epsilon']:.3g} at delta {spent['delta']:.2g} "
            f"(DP-SGD {sgd['epsilon']:.3g}, table statistics {stats['epsilon']:.3g})")


def _cmd_export(args: argparse.Namespace) -> int:
    from mpgan.synthesizers import TabularSynthesizer

    out = Path(args.out)
    if out.exists():
        raise _usage(f"{out} already exists; export to a new folder")
    syn = TabularSynthesizer.load(args.run)
    syn.export(out)
    print(f"wrote {out}: the generator and its private encoding, no training row")
    print(_privacy_line(syn.trainer.privacy_spent()))
    print(f"sample from it with: mpgan synthesize --run {out} --out synthetic.csv")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    import json
    import shutil
    import tempfile

    from mpgan.audit import audit_synthesizer, check_settings
    from mpgan.data.tabular import read_table
    from mpgan.io import atomic_write_text
    from mpgan.synthesizers import TabularSynthesizer

    check_settings(args.canaries, args.confidence)  # before the table is read
    out = _writable(Path(args.out), folder=False, what="--out") if args.out else None
    table = read_table(args.data, args.sep)
    privacy = _privacy_settings(args)
    work = Path(tempfile.mkdtemp(prefix="mpgan-audit-"))
    try:
        syn = TabularSynthesizer(target=args.target, config=args.config, overrides=list(args.set), seed=args.seed,
                                 run_dir=work / "run", progress=args.progress, privacy=privacy)
        result = audit_synthesizer(table, syn, target=args.target, canaries=args.canaries,
                                   confidence=args.confidence, seed=args.seed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{result.canaries} canaries, {result.included} included; best guess: {result.correct} of "
          f"{result.guesses} right (membership AUC {result.auc:.3f})")
    print(f"epsilon lower bound: {result.epsilon_lower:.3g} at {result.confidence:.0%} confidence (these canaries "
          f"could show at most {result.best_possible:.3g})")
    print(result.verdict)
    if out is not None:
        atomic_write_text(out, json.dumps(result.to_dict(), indent=2) + "\n")
        print(f"wrote {out}")
    return 0


def _cmd_experiment(args: argparse.Namespace) -> int:
    from mpgan.studies import STUDIES, run_study

    if args.study is None:  # every registered study: mpgan's, and those of plugins and imported modules
        entries = STUDIES.entries()
        width = max((len(e.name) for e in entries), default=0)
        for e in entries:
            print(f"{e.name.ljust(width)}  {e.description}" + ("" if e.source == "mpgan" else f"  [{e.source}]"))
        return 0
    return run_study(args.study, args.args)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from mpgan.sweeps import grid
    from mpgan.sweeps.execution import execution
    from mpgan.sweeps.sweep import SweepSpec, run_sweep

    ranges = dict(grid.parse_range(r) for r in args.range)
    spec = SweepSpec(config=args.config, grid=grid.parse_grid(args.grid), ranges=ranges, samples=args.sample,
                     sample_seed=args.sample_seed, seeds=args.seeds, metric=args.metric, mode=args.mode,
                     base=list(args.set), eval_n=args.eval_n)
    asha = {"every": args.report_every, "grace": args.grace, "reduction": args.reduction}
    out = Path(args.out) if args.out else Path("runs") / "sweeps" / Path(args.config).stem
    folder = run_sweep(spec, out, execution(args), search=args.search, asha=asha)
    print((folder / "summary.md").read_text())
    print(f"wrote {folder}")
    return 0


def _checked_table(args: argparse.Namespace) -> Any:
    """What ``mpgan synthesize`` trains on, checked before training: the class
    --condition/--balance ask for (read from the table, which is then passed on as read)."""
    if (args.condition is not None or args.balance) and not args.target:
        raise _usage(f"{'--condition' if args.condition is not None else '--balance'} needs --target, "
                     "the class column the generator is conditioned on")
    if args.condition is None:
        return args.data
    from mpgan.data.tabular import read_table

    table = read_table(args.data, args.sep)  # as the synthesizer reads it
    if args.target in table.columns:
        classes = list(dict.fromkeys(str(v) for v in table[args.target].dropna()))
        if str(args.condition) not in classes:
            shown = ", ".join(classes[:20]) + (", ..." if len(classes) > 20 else "")
            raise _usage(f"--condition {args.condition!r} is not a class of the target column "
                         f"{args.target!r}; its classes are {shown}")
    return table


def _writable(path: Path, *, folder: bool, what: str) -> Path:
    from mpgan.checks import writable_path

    return writable_path(path, folder=folder, what=what)


def _column_kinds(pairs: list[str]) -> dict[str, str]:
    """``--kind COLUMN=KIND`` pairs as ``{column: kind}``."""
    out = {}
    for pair in pairs:
        column, sep, kind = pair.partition("=")
        if not sep or not column.strip() or not kind.strip():
            raise _usage(f"--kind takes COLUMN=KIND (e.g. --kind age=integer), got {pair!r}")
        out[column.strip()] = kind.strip()
    return out


#: ``mpgan synthesize --scaling`` choices (the numeric encodings).
SCALINGS = ("standard", "minmax", "mode")


def _synthesize_columns(args: argparse.Namespace) -> tuple[str, list[str], dict[str, str]]:
    """``(scaling, categorical columns, {column: kind})`` from --scaling, --categorical,
    --numeric and --kind; a column given two kinds is refused, since only one can hold."""
    numeric = list(args.numeric)
    scaling = args.scaling
    if len(numeric) == 1 and numeric[0] in SCALINGS and scaling is None:  # the older --numeric ENCODING
        scaling, numeric = numeric[0], []
    kinds = _column_kinds(args.kind)
    said: dict[str, list[str]] = {}
    for flag, columns in (("--categorical", args.categorical), ("--numeric", numeric),
                          ("--kind", list(kinds))):
        for c in dict.fromkeys(columns):
            said.setdefault(c, []).append(flag if flag != "--kind" else f"--kind {c}={kinds[c]}")
    clash = next(((c, flags) for c, flags in said.items() if len(flags) > 1), None)
    if clash:
        raise _usage(f"column '{clash[0]}' is given two kinds ({' and '.join(clash[1])}); name each column once")
    kinds.update(dict.fromkeys(numeric, "numeric"))
    return scaling or "standard", list(dict.fromkeys(args.categorical)), kinds


def _usage(message: str) -> Exception:
    from mpgan.errors import MpganError

    return MpganError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mpgan",
        description="MP-GAN: train, sample and evaluate GANs on images, tables and toy distributions.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show TensorFlow's C++ start-up and optimizer log lines (hidden by default)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_list, _add_config, _add_train, _add_sample, _add_evaluate, _add_synthesize, _add_export, _add_audit,
                _add_experiment, _add_sweep, _add_report):
        add(sub)
    return parser


def _add_list(sub: Any) -> None:
    p = sub.add_parser("list", help="list registered generators, discriminators, datasets and objectives",
                       description="List every registry entry with a one-line description.")
    from mpgan.registry import REGISTRIES

    p.add_argument("kind", nargs="?", choices=list(REGISTRIES), help="only this registry")
    p.set_defaults(func=_cmd_list)


def _config_options(p: argparse.ArgumentParser, config_help: str, required: bool = False,
                    set_help: str = "override a config value, e.g. --set train.epochs=5 (repeatable; values are YAML)",
                    ) -> None:
    """--config and --set, as every command that builds a run config takes them."""
    p.add_argument("--config", "-c", required=required, help=config_help)
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE", help=set_help)


def _privacy_options(p: argparse.ArgumentParser) -> None:
    """--epsilon, --max-grad-norm, --public and --statistics-epsilon, as the commands that
    train a table synthesizer take them."""
    p.add_argument("--epsilon", type=float, help="train with differential privacy to this total epsilon: the "
                                                  "table's statistics and DP-SGD on the discriminator together "
                                                  "(shortcut for --set privacy.target_epsilon=E)")
    p.add_argument("--max-grad-norm", type=float, default=1.0,
                   help="with --epsilon: the per-row gradient clipping norm (default 1.0)")
    p.add_argument("--public", metavar="YAML",
                   help="with --epsilon: a YAML file of statistics declared public (bounds, categories, "
                        "missing; published as given, not protected); the rest are estimated under DP")
    p.add_argument("--statistics-epsilon", type=float,
                   help="with --epsilon: the part of it for the statistics not declared public (default: a tenth)")


def _privacy_settings(args: argparse.Namespace) -> dict[str, Any] | None:
    """The ``privacy`` block the privacy options ask for (None without --epsilon)."""
    if args.epsilon is None:
        if args.public or args.statistics_epsilon is not None:
            raise _usage("--public and --statistics-epsilon need --epsilon")
        return None
    out: dict[str, Any] = {"target_epsilon": args.epsilon, "max_grad_norm": args.max_grad_norm}
    if args.statistics_epsilon is not None:
        out["statistics_epsilon"] = args.statistics_epsilon
    if args.public:
        import yaml

        path = Path(args.public)
        if not path.is_file():
            raise _usage(f"--public {args.public}: no such file")
        public = yaml.safe_load(path.read_text()) or {}
        if not isinstance(public, dict):
            raise _usage(f"--public {args.public} must hold a mapping with bounds:, categories: and missing:")
        out["public"] = public
    return out


def _progress_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only on a terminal)")


def _samples_options(p: argparse.ArgumentParser, n: int, what: str) -> None:
    """--run, --n and --seed: which trained run, how many of its samples and their latent seed."""
    p.add_argument("--run", required=True, help="run directory written by `mpgan train`")
    p.add_argument("--n", type=int, default=n, help=f"number of {what} (default {n})")
    p.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")


def _add_config(sub: Any) -> None:
    p = sub.add_parser("config", help="print a run's resolved config, or the config's JSON Schema",
                       description="Load a config as `mpgan train` would (the defaults, the file, then each "
                                   "--set), validate it and print the resolved YAML: every key a run will "
                                   "use. --schema prints the JSON Schema instead, for editors.")
    _config_options(p, "YAML config file or the name of one that ships with mpgan")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema of a run config")
    p.set_defaults(func=_cmd_config)


def _cmd_config(args: argparse.Namespace) -> int:
    if args.schema:
        if args.config or args.set:
            raise _usage("--schema describes every config; drop --config/--set")
        from mpgan.config_reference import config_json_schema_text

        print(config_json_schema_text(), end="")
        return 0
    from mpgan.config import load_config

    print(load_config(args.config, args.set).to_yaml(), end="")
    return 0


def _add_train(sub: Any) -> None:
    p = sub.add_parser("train", help="train a GAN from a YAML config",
                       description="Train from a YAML config (defaults: the MP-GAN pair on digits), "
                                   "writing a run directory, or continue one with --resume.")
    _config_options(p, "YAML config file or the name of one that ships with mpgan (see experiments/configs/)")
    p.add_argument("--run-dir", help="run directory (default: <output_dir>/<name>, numbered if taken)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    p.add_argument("--epochs", type=int, help="train until this many epochs in total (extends a resumed run)")
    _progress_option(p)
    p.set_defaults(func=_cmd_train)


def _add_sample(sub: Any) -> None:
    p = sub.add_parser("sample", help="draw samples from a trained run",
                       description="Draw samples from a run's latest checkpoint: a PNG grid, a raw .npy "
                                   "array, or (tables) a CSV in the original columns. The same --seed and "
                                   "checkpoint give the same samples.")
    _samples_options(p, 64, "samples")
    p.add_argument("--out", required=True, help="output file: .png, .npy or .csv")
    p.add_argument("--label", type=int, help="conditional runs: samples of this class only")
    p.add_argument("--labels", help="conditional runs: classes like 0,1,2 or 'all'; a grid with one row "
                                    "per class, n // len(labels) samples each")
    p.set_defaults(func=_cmd_sample)


def _add_evaluate(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="score a run's samples, any images, or any synthetic table",
                       description="Score generated data against real data the generator never saw. --run: "
                                   "N samples of a trained run, with every registered metric that applies to "
                                   "its kind of data (`mpgan list metrics`). --samples: images from any "
                                   "framework (.npy/.npz array or a folder of PNGs; 0..255, [0, 1] or [-1, 1], "
                                   "detected) against --data's held-out split, with the same extractor, FID "
                                   "ladder, class shares and (with --labels) label agreement. --synthetic: a "
                                   "table from any synthesizer against --train and --holdout: fidelity, "
                                   "utility, privacy, read against a ladder of known tables. Writes "
                                   "metrics.json, metrics.csv and plots.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", help="run directory written by `mpgan train`")
    which.add_argument("--samples", metavar="PATH", help="generated images: .npy/.npz array (n, H, W[, 1]) or a "
                                                         "folder of PNG files")
    which.add_argument("--synthetic", metavar="CSV", help="a synthetic table (CSV, JSON or Parquet)")
    p.add_argument("--n", type=int, help="number of samples scored (default: 1000 of a run; all given ones)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples, subsets and ladder (default 0)")
    p.add_argument("--metrics", nargs="+", metavar="NAME", help="only these metrics (--run, --samples)")
    p.add_argument("--out", help="output folder (default RUN/eval, or <samples or synthetic name>_eval beside it)")
    images = p.add_argument_group("--samples")
    images.add_argument("--data", help="the image dataset the samples imitate (e.g. mnist, fashion_mnist)")
    images.add_argument("--labels", metavar="PATH", help="the class each sample was generated for (.npy, or a "
                                                         "text file with one class per line): adds label agreement")
    tables = p.add_argument_group("--synthetic")
    tables.add_argument("--train", metavar="CSV", help="the real rows the synthesizer was fitted on")
    tables.add_argument("--holdout", metavar="CSV", help="real rows it never saw (the privacy and utility baseline)")
    tables.add_argument("--target", help="class column for utility (TSTR beside TRTR)")
    tables.add_argument("--kind", action="append", default=[], metavar="COLUMN=KIND",
                        help="force a column's kind (repeatable), e.g. --kind age=integer")
    tables.add_argument("--sep", help="the table files' separator (default: sniffed)")
    tables.add_argument("--no-ladder", dest="ladder", action="store_false",
                        help="skip the ladder of known tables (faster)")
    p.set_defaults(func=_cmd_evaluate)


def _add_synthesize(sub: Any) -> None:
    p = sub.add_parser("synthesize", help="train a GAN on a table and write synthetic rows",
                       description="Train a conditional table GAN on a CSV (or JSON/Parquet) file, or reuse "
                                   "a trained one with --run, and write N synthetic rows with the same columns "
                                   "and dtypes. The run folder also works with `mpgan evaluate --run` and "
                                   "`mpgan sample --run`.")
    p.add_argument("--data", help="table file to learn from (.csv, .tsv, .json, .parquet; pickles are refused)")
    p.add_argument("--sep", help="the table file's separator, e.g. ';' (default: sniffed from its first lines)")
    p.add_argument("--target", help="class column: the generator is conditioned on it (needed for "
                                    "--balance/--condition)")
    p.add_argument("--rows", type=int, help="rows to write (default: as many as the training table)")
    p.add_argument("--out", required=True, help="output table: .csv, .json (pandas table schema: exact dtypes), .pkl or .parquet")
    p.add_argument("--balance", action="store_true", help="equal rows per target class")
    p.add_argument("--condition", metavar="CLASS", help="only rows of this target class")
    _config_options(p, "YAML config layered over the shipped tabular config",
                    set_help="override a config value, e.g. --set train.epochs=50 (repeatable)")
    p.add_argument("--epochs", type=int, help="training epochs (shortcut for --set train.epochs=N)")
    p.add_argument("--kind", action="append", default=[], metavar="COLUMN=KIND",
                   help="force a column's kind, e.g. --kind age=integer (repeatable; the kinds: "
                        "mpgan list column_kinds)")
    p.add_argument("--categorical", nargs="+", action="extend", default=[], metavar="COLUMN",
                   help="model these columns as categories, e.g. a 24-code income column (repeatable)")
    p.add_argument("--numeric", nargs="+", action="extend", default=[], metavar="COLUMN",
                   help="model these columns as numbers, e.g. a 0-7 count the rule makes categorical "
                        "(repeatable; the older `--numeric standard|minmax|mode` still picks the scaling)")
    p.add_argument("--scaling", choices=list(SCALINGS),
                   help="numeric encoding: z-score (standard, the default), min-max or CTGAN's mode-specific "
                        "normalisation (mode)")
    p.add_argument("--holdout", type=float, default=0.0,
                   help="fraction of rows kept out of training for `mpgan evaluate` (default 0)")
    p.add_argument("--seed", type=int, default=0, help="training and sampling seed (default 0)")
    p.add_argument("--run-dir", help="run directory to create (default: runs/tabular, numbered)")
    p.add_argument("--run", help="reuse this trained run instead of training")
    _privacy_options(p)
    _progress_option(p)
    p.set_defaults(func=_cmd_synthesize)


def _add_export(sub: Any) -> None:
    p = sub.add_parser("export", help="write a private table synthesizer's shareable folder",
                       description="Write the generator's weights and its private encoding (bounds and "
                                   "categories that are public or estimated under DP, the class frequencies, the "
                                   "privacy record) to a new folder, with no training row: everything in it is "
                                   "covered by the run's total epsilon. `mpgan synthesize --run OUT` and "
                                   "TabularSynthesizer.load sample from it. Only private runs export.")
    p.add_argument("run", help="a private synthesizer's run folder (`mpgan synthesize --epsilon`)")
    p.add_argument("out", help="the new folder to write")
    p.set_defaults(func=_cmd_export)


def _add_audit(sub: Any) -> None:
    p = sub.add_parser("audit", help="audit a table synthesizer's privacy with canaries in one training run",
                       description="Train the table synthesizer once on --data plus canary rows (each included "
                                   "with probability 1/2), guess from its synthetic rows which canaries it saw, "
                                   "and turn the right guesses into a lower bound on epsilon (Steinke, Nasr & "
                                   "Jagielski 2023), printed beside the accountant's epsilon. A bound above it "
                                   "means a leak; one far below is expected (one run is a weak attacker).")
    p.add_argument("--data", required=True, help="table file to train on (.csv, .tsv, .json, .parquet)")
    p.add_argument("--sep", help="the table file's separator (default: sniffed)")
    p.add_argument("--target", help="class column the generator is conditioned on")
    p.add_argument("--canaries", type=int, default=200, help="canary rows (default 200)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence of the lower bound (default 0.95)")
    _config_options(p, "YAML config layered over the shipped tabular config",
                    set_help="override a config value, e.g. --set train.epochs=50 (repeatable)")
    _privacy_options(p)
    p.add_argument("--seed", type=int, default=0, help="canaries, training and sampling seed (default 0)")
    p.add_argument("--out", help="write the result as JSON here")
    _progress_option(p)
    p.set_defaults(func=_cmd_audit)


def _add_experiment(sub: Any) -> None:
    p = sub.add_parser("experiment", help="run one of the seed articles' studies",
                       description="Run a study: trains its runs, then writes results.csv, results.md and "
                                   "figures. `mpgan experiment` alone lists the studies; "
                                   "`mpgan experiment NAME --help` shows a study's options (--quick, "
                                   "--seeds, --jobs, --out).",
                       add_help=True)
    p.add_argument("study", nargs="?", metavar="STUDY",  # checked by run_study: one error line
                   help="a registered study (`mpgan experiment` alone lists them)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the study's own options")
    p.set_defaults(func=_cmd_experiment)


def _add_sweep(sub: Any) -> None:
    from mpgan.sweeps.execution import add_execution_options

    p = sub.add_parser("sweep", help="train a config over a grid or random samples of key values, several seeds each",
                       description="Sweep config keys: one cell per setting and seed, scored by a registry "
                                   "metric; writes results.csv, summary.csv/.md (mean and 95 % interval per "
                                   "setting) and figures/sweep.png. Running the same command again resumes.",
                       epilog="example: mpgan sweep --config mnist_default --grid "
                              "train.g_optimizer.learning_rate=[1e-4,2e-4,4e-4] --grid objective=[hinge,"
                              "non_saturating] --seeds 3 --metric fid")
    _config_options(p, "YAML config (a file or a shipped name)", required=True,
                    set_help="override for every cell")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=[V1,V2]",
                   help="a config key and its values (repeat for a product grid)")
    p.add_argument("--sample", type=int, default=0, metavar="N",
                   help="random search: N settings drawn from --range (and --grid keys)")
    p.add_argument("--range", action="append", default=[], metavar="KEY=DIST",
                   help="loguniform(lo,hi), uniform(lo,hi), int(lo,hi) or choice(a,b,...), with --sample")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the random settings (default 0)")
    p.add_argument("--seeds", type=int, default=3, help="training seeds per setting (default 3)")
    p.add_argument("--metric",
                   help="registry metric that scores a run (fid, ...), or one of its numbers (fid.value, "
                        "distribution.w1_dist.w1, with --mode); default: the data's headline number (images "
                        "fid.value, toys distribution.w1_real.w1, tables tabular.columns.mean_ks)")
    p.add_argument("--mode", choices=["min", "max"], help="minimise or maximise (default: the metric's goal)")
    p.add_argument("--eval-n", type=int, default=1000, help="samples the metric is computed on (default 1000)")
    p.add_argument("--out", help="output folder (default runs/sweeps/CONFIG); the same command resumes it")
    p.add_argument("--jobs", type=int, default=1, help="cells in parallel on this machine (local backend)")
    p.add_argument("--search", choices=["grid", "asha"], default="grid",
                   help="grid: every cell to the end; asha: Ray Tune's ASHA stops poor cells early (needs Ray)")
    p.add_argument("--report-every", type=int, default=1, help="asha: epochs between metric reports (default 1)")
    p.add_argument("--grace", type=int, default=1, help="asha: epochs every cell trains before it can stop")
    p.add_argument("--reduction", type=float, default=3, help="asha: reduction factor (default 3)")
    add_execution_options(p)
    p.set_defaults(func=_cmd_sweep)


def _add_report(sub: Any) -> None:
    p = sub.add_parser("report", help="render the docs' result blocks from their committed results files",
                       description="Re-render every result block (<!-- render VIEW ... --> ... <!-- end render "
                                   "-->) in the docs from the results files it names. --check changes nothing "
                                   "and exits 1 when a page differs from what its files give. A missing or "
                                   "malformed file is an error naming it and its block (exit 2); nothing is "
                                   "written unless every block renders.")
    p.add_argument("pages", nargs="*", metavar="PAGE",
                   help="markdown pages (default: README.md, docs/**/*.md and each top folder's README.md)")
    p.add_argument("--check", action="store_true", help="only compare; exit 1 when a page is out of date")
    p.add_argument("--lint", action="store_true",
                   help="list numbers typed outside rendered blocks and code (decimals, %%, ×, durations); "
                        "exit 1 when there are any")
    p.add_argument("--root", default=".", help="repository root that block sources are relative to (default .)")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from mpgan.report import check_pages, render_pages

    if args.lint:
        from pathlib import Path

        from mpgan.report.lint import lint_pages
        from mpgan.report.render import pages_of

        root = Path(args.root)
        found = lint_pages(root, pages_of(root, args.pages))
        for line in found:
            print(line)
        print(f"{len(found)} number(s) outside rendered blocks", file=sys.stderr)
        return 1 if found else 0
    if _pages_without_blocks(args):
        return 0
    if args.check:
        problems = check_pages(args.root, args.pages)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} block(s) out of date: run `mpgan report` and commit the pages",
                  file=sys.stderr)
            return 1
        print("every block matches its results files")
        return 0
    changed = render_pages(args.root, args.pages)
    for page in changed:
        print(f"rendered {page}")
    if not changed:
        print("every block was already up to date")
    return 0


def _pages_without_blocks(args: argparse.Namespace) -> bool:
    """Say which pages named on the command line hold no block (they would otherwise be
    reported "up to date" with nothing rendered); True when none of them holds one."""
    from mpgan.report.blocks import OPEN
    from mpgan.report.render import pages_of

    empty = [page for page in (pages_of(Path(args.root), args.pages) if args.pages else ())
             if not OPEN.search(page.read_text())]
    for page in empty:
        print(f"{page} holds no render blocks (<!-- render VIEW ... -->); nothing to render in it")
    return bool(args.pages) and len(empty) == len(args.pages)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from mpgan import __version__

        print(f"mpgan {__version__}")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    import contextlib
    import os

    import mpgan
    from mpgan.console import filtered_stderr
    from mpgan.errors import MpganError

    if args.verbose and mpgan.TF_LOG_LEVEL_DEFAULTED:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    if getattr(args, "progress", False) is None:  # decided on the real stderr, before filtering
        args.progress = sys.stderr.isatty()
    with filtered_stderr(enabled=not args.verbose):
        try:
            return args.func(args)
        except MpganError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:  # `mpgan list | head`: the reader left, nothing is wrong
            with contextlib.suppress(OSError, ValueError):  # no flush error at exit either
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except OSError as exc:  # a last resort: the commands check their paths before any work
            where = f": {exc.filename}" if exc.filename else ""
            print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
