"""Table synthesizers with one interface: ``fit(df)`` then ``sample(n)`` -> DataFrame.

- :class:`TabularSynthesizer`: a GAN (by default a conditional MLP pair on
  z-scored numeric and one-hot categorical columns) trained by mpgan's :class:`~mpgan.training.Trainer`,
  saved as an ordinary run directory, reloadable with :meth:`TabularSynthesizer.load`.
- :class:`GaussianCopula`, :class:`IndependentMarginals` and :class:`CopyRows` live in
  :mod:`mpgan.baselines` and are importable from here too.

Sampled tables have the fitted table's columns, order and dtypes. Columns that look
like unique row IDs (see :func:`mpgan.data.tabular.id_columns`) are not modelled; the
synthetic rows get fresh IDs (integers after the largest real one, or ``"synthetic-<i>"``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .baselines import CopyRows, GaussianCopula, IndependentMarginals
from .data.schema import check_table
from .data.tabular import read_table, table_dataset
from .errors import DataError, MpganError

__all__ = ["TabularSynthesizer", "GaussianCopula", "IndependentMarginals", "CopyRows", "BASE_CONFIG"]

#: The shipped config the GAN starts from (``mpgan config -c tabular`` prints it resolved).
BASE_CONFIG = "tabular"
#: Rows decoded at a time when sampling (bounded memory for millions of rows).
CHUNK_ROWS = 100_000
GENERATE_BATCH = 4096  # rows per generator call when sampling (rows are independent at inference)
#: Fewest rows a table may have: below this no batch gives the discriminator a signal.
MIN_ROWS = 8
#: The training budget of a table smaller than the shipped config's budget covers: this many
#: passes over its rows, at least MIN_UPDATES updates. More passes over a small table make the
#: generator reproduce its rows (benchmarks/table_budget.py, rendered in docs/tables.md).
PASSES = 200
MIN_UPDATES = 800
TABLE_FILE = "table.json"  # pandas table-schema JSON: exact dtypes, no pickle
OLD_TABLE_FILE = "table.pkl"
#: What ``export`` writes beside ``generator.weights.h5``: the private encoding, latent prior and ε.
SHARED_FILE = "synthesizer.json"
SHARED_FORMAT = "mpgan-shareable-synthesizer/1"
#: The note a synthesizer's run folder gets: it holds the training rows.
NOT_SHAREABLE = "NOT_SHAREABLE.txt"
NOT_SHAREABLE_TEXT = (
    "This run folder is not for sharing: it holds the training table ({table}), the discriminator, and a\n"
    "history of losses on real rows, none of which a privacy budget covers.\n"
    "Share synthetic rows, or the folder `mpgan export {run} OUT` writes (a private run's generator and\n"
    "its private encoding, under the run's total epsilon).\n")


def training_epochs(n_rows: int, batch_size: int, steps_per_epoch: int, epochs: int) -> int:
    """The synthesizer's default epochs for a table of ``n_rows``: enough for :data:`PASSES`
    passes over it and at least :data:`MIN_UPDATES` updates, never more than ``epochs`` (the
    config's budget, which large tables get). A DP run keeps the config's budget, since its
    noise is calibrated to the number of steps."""
    updates = max(MIN_UPDATES, PASSES * n_rows / batch_size)
    return int(min(epochs, max(1, np.ceil(updates / steps_per_epoch))))


def _id_layout(table: pd.DataFrame, ids: Mapping[str, str], private: bool) -> dict[str, dict[str, Any]]:
    """How to give synthetic rows fresh IDs: per ID column its kind, dtype and first number
    (after the largest real one; 0 in a private run, whose samples must not show it)."""
    out = {}
    for name, kind in ids.items():
        col = next(c for c in table.columns if str(c) == name)
        start = int(table[col].max()) + 1 if kind == "integer" and not private else 0
        out[name] = {"kind": kind, "dtype": str(table[col].dtype), "start": start}
    return out


def _restore_ids(out: pd.DataFrame, ids: Mapping[str, Mapping[str, Any]], columns: Sequence[Any],
                 offset: int = 0) -> pd.DataFrame:
    """Put fresh ID columns back (numbered from ``offset``), in the original order and dtypes."""
    n = len(out)
    for name, layout in ids.items():
        col = next(c for c in columns if str(c) == name)
        if layout["kind"] == "integer":
            start = layout["start"] + offset
            out[col] = pd.Series(np.arange(start, start + n), dtype=layout["dtype"], index=out.index)
        else:
            out[col] = pd.Series([f"synthetic-{i}" for i in range(offset, offset + n)], dtype=layout["dtype"],
                                 index=out.index)
    return out[list(columns)]


class SharedGenerator:
    """An exported synthesizer's generator and latent prior: samples as the run's trainer does."""

    def __init__(self, model: Any, prior: Any):
        self.model, self.prior = model, prior

    @property
    def condition_dim(self) -> int:
        return int(self.prior.num_classes)

    def sample(self, n: int, seed: int = 0, labels: Any = None, batch_size: int = 256) -> np.ndarray:
        z = self.prior.sample(n, seed, labels)
        return np.concatenate([np.asarray(self.model(z[i:i + batch_size], training=False), dtype=np.float32)
                               for i in range(0, len(z), batch_size)])


#: What to use instead of a ``data.params.<key>`` override, which the synthesizer cannot
#: honour (it reads the table itself): the command-line option, then the Python argument.
DATA_KEYS = {"sep": "--sep (sep= in Python)", "target": "--target (target=)", "numeric": "--scaling (numeric=)",
             "categorical": "--categorical (categorical=)", "kinds": "--kind (kinds=)",
             "holdout": "--holdout (holdout=)", "seed": "--seed (seed=)", "path": "--data (fit(table))",
             "name": "--data (fit(table))"}


def _refuse_data_keys(overrides: Sequence[str]) -> None:
    """Refuse ``--set data.*`` overrides: the synthesizer builds the dataset from its own
    arguments, so they would be silently dropped (a config file's ``data`` section is
    replaced by the table, as the shipped config says)."""
    for o in overrides:
        key = o.partition("=")[0].strip()
        if key == "data" or key.startswith("data."):
            instead = DATA_KEYS.get(key.rsplit(".", 1)[-1], "--data with a table changed beforehand "
                                    "(drop, filter or convert its columns)")
            raise MpganError(f"--set {o} cannot take effect: the synthesizer reads the table itself; "
                             f"use {instead} instead")


def _counts(n: int, classes: Sequence[Any], condition: Any, balance: bool) -> dict[Any, int] | None:
    """Rows per class asked for by ``condition``/``balance`` (None: sample the learned mix)."""
    if balance and condition is not None:
        raise MpganError("pass either condition= or balance=True, not both")
    if balance:
        k = len(classes)
        return {c: n // k + (i < n % k) for i, c in enumerate(classes)}
    if condition is None:
        return None
    asked = dict(condition) if isinstance(condition, Mapping) else {condition: n}
    lookup = {str(c): c for c in classes}
    out = {}
    for value, count in asked.items():
        key = value if value in classes else lookup.get(str(value))
        if key is None:
            raise DataError(f"condition {value!r} is not a class of the target; the classes are {list(classes)}")
        if int(count) < 0:
            raise DataError(f"the row count for class {value!r} must be >= 0, got {count}")
        out[key] = int(count)
    return out


class TabularSynthesizer:
    """Train a GAN on a table and sample synthetic rows (optionally of chosen classes).

    >>> syn = TabularSynthesizer(target="species").fit(df)          # doctest: +SKIP
    >>> syn.sample(500, balance=True)                                # doctest: +SKIP

    ``config`` is a YAML path or a dict layered over the shipped ``tabular`` config (:data:`BASE_CONFIG`);
    ``overrides`` are ``"key=value"`` strings as for ``mpgan train --set``. ``numeric``
    picks the numeric encoding: ``"standard"`` (z-scores, the default), ``"minmax"``, or
    ``"mode"`` (CTGAN's mode-specific normalisation, for multi-modal columns; beside the
    default on six tables it was worse where the difference was decided, see docs/tables.md).
    ``holdout`` keeps a stratified fraction of the rows out
    of training so ``mpgan evaluate`` can score train-on-synthetic/test-on-real honestly.
    Without ``run_dir`` the run goes to a numbered folder under ``runs/``. ``privacy``
    trains privately, e.g. ``{"target_epsilon": 3, "max_grad_norm": 1, "public": {...}}``
    (the config's ``privacy:`` block): the table's bounds, labels and class counts are
    declared public or estimated under DP (:mod:`mpgan.data.private`), the discriminator
    trains with DP-SGD, and ε (the total, with its split) is in :meth:`report` and the run's
    manifest. :meth:`export` writes a private run's shareable folder.
    ``kinds={"age": "integer"}`` forces columns' kinds (:mod:`mpgan.column_kinds`), as
    ``categorical=`` does for categorical. ``sep`` is a table file's separator (default:
    sniffed from its first lines). The synthesizer reads the table itself, so config
    overrides of ``data.*`` are refused (each names the argument to use instead).
    """

    def __init__(self, target: str | None = None, *, config: str | Path | Mapping[str, Any] | None = None,
                 overrides: Sequence[str] = (), numeric: str = "standard", holdout: float = 0.0,
                 categorical: Sequence[str] = (), seed: int = 0, run_dir: str | Path | None = None,
                 progress: bool | None = False, privacy: Mapping[str, Any] | None = None,
                 kinds: Mapping[str, str] | None = None, sep: str | None = None):
        self.target = target
        self.sep = sep
        self.privacy = dict(privacy) if privacy is not None else None
        self.config_source = config
        self.overrides = list(overrides)
        self.numeric = numeric
        self.holdout = float(holdout)
        self.categorical = [categorical] if isinstance(categorical, str) else list(categorical)
        self.kinds = dict(kinds or {})
        self.seed = int(seed)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.progress = progress
        self.trainer = None
        self.dataset = None
        self.shared: dict[str, Any] | None = None  # an exported synthesizer's record (load of an export)
        self._table: pd.DataFrame | None = None
        self._columns: list[Any] = []
        self._ids: dict[str, dict[str, Any]] = {}
        self._classes: list[Any] = []
        self._inverse: Any = None
        self.rows = 0  # training rows

    # ------------------------------------------------------------------ config
    def _config(self, n_rows: int, table_path: Path):
        """The run's config: the shipped ``tabular`` config, the user's config, ``privacy``,
        then the overrides (layered by :func:`mpgan.load_config`, the one place that does),
        fitted to the table: its rows and columns, a batch no larger than the table."""
        from .config import config_layers, load_config

        user = [] if self.config_source is None else [self.config_source]
        if self.privacy is not None:
            user.append({"privacy": self.privacy})
        table = {"seed": self.seed, "data": {"name": "csv", "params": {
            "path": str(table_path.resolve()), "target": self.target, "numeric": self.numeric,
            "holdout": self.holdout, "categorical": self.categorical, "seed": self.seed,
            **({"kinds": self.kinds} if self.kinds else {}), **({"sep": self.sep} if self.sep else {})}}}
        cfg = load_config([BASE_CONFIG, *user, table], self.overrides)
        chosen = config_layers(user, self.overrides).get("train", {})
        if cfg.train.batch_size > n_rows and "batch_size" not in chosen:
            cfg.train.batch_size = n_rows - n_rows % 2  # a small table: one batch is the whole table
        if cfg.privacy is None and not {"epochs", "steps_per_epoch"} & set(chosen):
            cfg.train.epochs = training_epochs(n_rows, cfg.train.batch_size, cfg.train.steps_per_epoch,
                                               cfg.train.epochs)
        if not self.target and cfg.generator.params.get("conditional"):
            cfg.generator.params["conditional"] = False  # no target column to condition on
        return cfg

    # ------------------------------------------------------------------ fitting
    def _dataset(self, df: pd.DataFrame, quiet: bool = False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = table_dataset(df, "table", target=self.target, numeric=self.numeric, holdout=self.holdout,
                               categorical=self.categorical, seed=self.seed, kinds=self.kinds)
        for w in caught if not quiet else ():  # re-raised here so the user's call is blamed
            warnings.warn(str(w.message), w.category, stacklevel=3)
        return ds

    def fit(self, data: pd.DataFrame | str | Path) -> TabularSynthesizer:
        """Train on ``data`` (a DataFrame or a table file: CSV, table-schema JSON or Parquet)."""
        from .console import quiet_tensorflow
        from .io import atomic_save
        from .training.from_config import check_new_run_dir, train
        from .training.run_dir import next_run_dir

        _refuse_data_keys(self.overrides)
        check_new_run_dir(self.run_dir, None if self.run_dir else "runs")  # before the table is read
        df = read_table(data, self.sep) if isinstance(data, str | Path) else data
        check_table(df)
        if self.target is not None and self.target not in df.columns:
            raise DataError(f"target column '{self.target}' does not exist; the columns are {list(df.columns)}")
        if len(df) < MIN_ROWS:
            raise DataError(f"the table has {len(df)} rows, fewer than one batch of {MIN_ROWS}; "
                            f"a GAN needs at least {MIN_ROWS} rows (and many more to learn anything)")
        ds = self._dataset(df)
        quiet_tensorflow()
        run_dir = self.run_dir or next_run_dir(Path("runs") / "tabular")
        fresh = not run_dir.exists()
        table_path = run_dir / TABLE_FILE
        try:
            self.trainer = train(self._config(len(ds), table_path), run_dir=run_dir, dataset=ds,
                                 progress=self.progress)
            atomic_save(table_path, lambda p: df.to_json(p, orient="table", index=False), suffix=".json")
        except BaseException:
            if fresh:
                import shutil

                shutil.rmtree(run_dir, ignore_errors=True)  # nothing half-written left behind
            raise
        atomic_save(run_dir / NOT_SHAREABLE, lambda p: p.write_text(NOT_SHAREABLE_TEXT.format(
            table=TABLE_FILE, run=run_dir)), suffix=".txt")
        self.run_dir, self._table = run_dir, df
        self._attach(self.trainer.dataset)  # a private run's is re-encoded from its private statistics
        return self

    def _attach(self, dataset: Any) -> None:
        """Take the trained dataset's decoding, classes and ID layout (the table is ``_table``)."""
        self.dataset, self._inverse = dataset, dataset.inverse_transform
        self._classes, self.rows = list(dataset.info.get("classes") or []), int(dataset.info["rows"])
        self._columns = list(self._table.columns)
        self._ids = _id_layout(self._table, dataset.info.get("ids", {}),
                               dataset.info.get("private_statistics") is not None)

    @classmethod
    def load(cls, run_dir: str | Path, progress: bool | None = False) -> TabularSynthesizer:
        """A synthesizer from a run directory written by :meth:`fit` or ``mpgan synthesize``,
        or from a folder :meth:`export` wrote (it samples; it cannot train or :meth:`report`)."""
        from .config import load_config
        from .console import quiet_tensorflow

        quiet_tensorflow()
        from .training import Trainer

        run_dir = Path(run_dir)
        if (run_dir / SHARED_FILE).is_file():
            return _load_shared(cls, run_dir)
        table_path = run_dir / TABLE_FILE
        if (run_dir / OLD_TABLE_FILE).is_file() and not table_path.is_file():
            old = run_dir / OLD_TABLE_FILE
            raise MpganError(
                f"{run_dir} was written by an older mpgan that kept its table as a pickle ({OLD_TABLE_FILE}), which "
                "mpgan no longer loads (unpickling runs the file's code); if you trust it, re-save it with "
                f"python -c \"import pandas as pd; pd.read_pickle('{old}').to_json('{table_path}', orient='table', "
                "index=False)\"")
        if not (run_dir / "config.yaml").is_file() or not table_path.is_file():
            raise MpganError(f"{run_dir} is not a tabular synthesizer run (it needs config.yaml and {TABLE_FILE}); "
                             "pass a folder written by `mpgan synthesize` or TabularSynthesizer.fit")
        cfg = load_config(run_dir / "config.yaml")
        p = cfg.data.params
        syn = cls(target=p.get("target"), numeric=p.get("numeric", "standard"), holdout=p.get("holdout", 0.0),
                  categorical=p.get("categorical", ()), seed=cfg.seed, run_dir=run_dir, progress=progress,
                  kinds=p.get("kinds"), sep=p.get("sep"))
        df = pd.read_json(table_path, orient="table")
        syn._table = df
        ds = syn._dataset(df, quiet=True)  # warned at fit time
        syn.trainer = Trainer.from_run(run_dir, dataset=ds, progress=progress)
        _check_same_layout(run_dir, syn.trainer.dataset)
        syn._attach(syn.trainer.dataset)
        return syn

    def export(self, path: str | Path) -> Path:
        """Write a shareable synthesizer to the new folder ``path``: the generator's weights and
        ``synthesizer.json`` (the private encoding, latent prior, classes and the privacy
        record: total ε and δ with their split). It holds no row and no statistic outside the
        run's ε, and :meth:`load` samples from it without the run folder. Only private runs
        export: without privacy nothing bounds what the generator gives away."""
        import json
        import shutil

        from .io import atomic_save
        from .version import __version__

        self._check_fitted()
        if self.shared is not None:
            raise MpganError("this synthesizer was loaded from an export; share that folder as it is")
        record = self.trainer.privacy_spent()
        if record is None:
            raise MpganError(f"{self.run_dir} was trained without privacy, so nothing bounds what its generator "
                             "gives away; train with privacy (--epsilon E, or privacy= in Python) to export")
        out = Path(path)
        if out.exists():
            raise MpganError(f"{out} already exists; export to a new folder")
        from .data.schema import TableSchema
        from .data.tabular import TabularTransformer

        schema = TableSchema.from_dict(self.dataset.info["schema"])
        transformer = TabularTransformer(numeric="minmax").fit(self.dataset.frame, schema=schema)
        prior, cfg = self.trainer.plan.prior, self.trainer.config
        doc = {"format": SHARED_FORMAT, "mpgan_version": __version__,
               "generator": {"name": cfg.generator.name, "params": cfg.generator.params},
               "latent": {"latent_dim": prior.latent_dim, "std": prior.std, "num_classes": prior.num_classes,
                          "class_prior": list(prior.class_prior)},
               "transformer": transformer.to_dict(), "target": self.target, "rows": self.rows,
               "classes": [c.item() if isinstance(c, np.generic) else c for c in self._classes],
               "columns": [c.item() if isinstance(c, np.generic) else c if isinstance(c, int | str) else str(c)
                           for c in self._columns], "ids": self._ids, "privacy": record}
        tmp = out.with_name(f".{out.name}.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir(parents=True)
            self.trainer.sampling_generator.save_weights(str(tmp / "generator.weights.h5"))
            atomic_save(tmp / SHARED_FILE, lambda p: p.write_text(json.dumps(doc, indent=1)), suffix=".json")
            tmp.rename(out)  # nothing half-written is left at ``path``
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out

    # ------------------------------------------------------------------ sampling
    def _check_fitted(self) -> None:
        if self.trainer is None:
            raise MpganError("the synthesizer is not fitted; call fit(df) or TabularSynthesizer.load(run_dir)")

    @property
    def classes(self) -> list[Any]:
        """The target's classes, in the order of the model's class indices."""
        self._check_fitted()
        return list(self._classes)

    def _decode(self, x: np.ndarray) -> pd.DataFrame:
        return self._inverse(x)

    def report(self, n: int | None = None, seed: int = 0, out_dir: str | Path | None = None,
               metrics: Sequence[str] | None = None) -> dict[str, Any]:
        """Fidelity, utility and (with held-out rows) privacy of ``n`` synthetic rows (default:
        as many as the training table), as ``mpgan evaluate`` reports them; ``out_dir`` also
        writes metrics.json, metrics.csv and the report figures."""
        from .metrics.evaluate import evaluate

        self._check_fitted()
        if self.shared is not None:
            raise MpganError("an exported synthesizer holds no real rows to compare with; score its samples "
                             "against your table with `mpgan evaluate --real TABLE --synthetic SAMPLES`")
        n = int(n) if n is not None else len(self.dataset.x)
        return evaluate(self.trainer, n=n, metrics=list(metrics) if metrics else None, seed=seed, out_dir=out_dir)

    def sample(self, n: int, seed: int = 0, *, condition: Any = None, balance: bool = False) -> pd.DataFrame:
        """``n`` synthetic rows with the fitted table's columns and dtypes.

        ``condition``: one class of the target (all rows of that class) or ``{class: rows}``;
        ``balance=True``: equal rows per class. A conditional generator is asked for the
        classes directly; an unconditional one is sampled until each class has its rows.
        The rows are made in chunks (:meth:`sample_chunks`), so the encoded matrix of all
        ``n`` rows is never in memory at once.
        """
        parts = list(self.sample_chunks(n, seed, condition=condition, balance=balance))
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def sample_chunks(self, n: int, seed: int = 0, *, condition: Any = None, balance: bool = False,
                      chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`sample` as DataFrames of at most ``chunk_rows`` rows each, for
        writing millions of rows with bounded memory; together they equal ``sample(n, seed)``."""
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise MpganError(f"the number of rows must be a positive integer, got {n!r}")
        if (condition is not None or balance) and self.target is None:
            raise MpganError("condition=/balance= need a synthesizer fitted with a target column")
        counts = _counts(int(n), self.classes, condition, balance) if self.target is not None else None
        t, ids, columns = self.trainer, self._ids, self._columns
        if counts is not None and not t.condition_dim:  # rejection sampling: one piece
            yield _restore_ids(self._rejection(counts, seed).reset_index(drop=True), ids, columns)
            return
        labels = None
        if counts is not None:
            index = {c: i for i, c in enumerate(self.classes)}
            labels = np.concatenate([np.full(k, index[c], dtype=np.int64) for c, k in counts.items()])
        total = int(n) if labels is None else len(labels)
        done = 0
        for i, start in enumerate(range(0, total, chunk_rows)):
            size = min(chunk_rows, total - start)
            chunk_seed = seed if i == 0 else int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
            z_labels = None if labels is None else labels[start:start + size]
            x = t.sample(size, seed=chunk_seed, labels=z_labels, batch_size=GENERATE_BATCH)
            out = self._decode(x).reset_index(drop=True)
            out = _restore_ids(out, ids, columns, offset=done)
            out.index = pd.RangeIndex(done, done + size)
            done += size
            yield out

    def _rejection(self, counts: dict[Any, int], seed: int, max_draws: int = 50) -> pd.DataFrame:
        """Rows of the asked classes from an unconditional generator, by drawing until enough."""
        need = sum(counts.values())
        parts: dict[Any, list[pd.DataFrame]] = {c: [] for c in counts}
        have = dict.fromkeys(counts, 0)
        for i in range(max_draws):
            batch = self._decode(self.trainer.sample(max(256, 2 * need), seed=seed + i))
            for c in counts:
                if have[c] < counts[c]:
                    rows = batch[batch[self.target] == c].iloc[:counts[c] - have[c]]
                    parts[c].append(rows)
                    have[c] += len(rows)
            if all(have[c] >= counts[c] for c in counts):
                return pd.concat([p for c in counts for p in parts[c]])
        short = {c: counts[c] - have[c] for c in counts if have[c] < counts[c]}
        raise MpganError(f"the generator rarely produces the classes {list(short)} (still {short} rows short "
                         f"after {max_draws} draws); train a conditional generator "
                         "(generator.params.conditional: true)")


def _load_shared(cls: type[TabularSynthesizer], folder: Path) -> TabularSynthesizer:
    """A sampling-only synthesizer from a folder :meth:`TabularSynthesizer.export` wrote."""
    import json

    from . import models  # noqa: F401  (registers the generators)
    from .data.tabular import TabularTransformer
    from .data_spec import DataSpec
    from .registry import GENERATORS
    from .training.priors import LatentPrior

    doc = json.loads((folder / SHARED_FILE).read_text())
    if doc.get("format") != SHARED_FORMAT:
        raise MpganError(f"{folder / SHARED_FILE} is not an mpgan export (format {doc.get('format')!r}, expected "
                         f"{SHARED_FORMAT!r})")
    tr = TabularTransformer.from_dict(doc["transformer"])
    classes = list(doc["classes"])
    spec = DataSpec(kind="tabular", shape=(tr.output_dim,), value_range=None, columns=tr.columns,
                    num_classes=len(classes) or None, name="table", target=doc["target"])
    model = GENERATORS.build(doc["generator"]["name"], spec, **doc["generator"]["params"])
    model.load_weights(str(folder / "generator.weights.h5"))
    latent = doc["latent"]
    prior = LatentPrior(int(latent["latent_dim"]), float(latent["std"]), int(latent["num_classes"]),
                        tuple(float(c) for c in latent["class_prior"]))
    syn = cls(target=doc["target"])
    syn.trainer, syn.shared, syn._inverse = SharedGenerator(model, prior), doc, tr.inverse_transform
    syn._classes, syn._columns, syn._ids, syn.rows = classes, list(doc["columns"]), doc["ids"], int(doc["rows"])
    return syn


def _check_same_layout(run_dir: Path, dataset: Any) -> None:
    """The table encodes to the column layout the run was trained on, or a clear error (runs
    saved before the one-schema rule may encode whole-number float columns differently)."""
    import json

    spec_path = run_dir / "data_spec.json"
    if not spec_path.is_file():
        return
    saved = [(c["name"], c["kind"], c["width"]) for c in json.loads(spec_path.read_text()).get("columns", [])]
    now = [(c.name, c.kind, c.width) for c in dataset.spec.columns]
    if saved and saved != now:
        diff = next((a, b) for a, b in zip(saved + [None] * len(now), now + [None] * len(saved), strict=False)
                    if a != b)
        raise MpganError(f"{run_dir} was trained on a different column layout than this mpgan gives its table "
                         f"(saved {diff[0]}, now {diff[1]}); it was probably written before mpgan's one "
                         "column-kind rule (mpgan.data.schema); train it again")
