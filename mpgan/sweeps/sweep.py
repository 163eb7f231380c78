"""``mpgan sweep``: train one config over a grid (or random samples) of key values and
several seeds, score each run with a registry metric, and tabulate mean ± interval per
setting. Every run is a cell (:mod:`.cells`): the same command again resumes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..report.machine import write_machine_record
from . import grid as sweep_grid
from .cells import safe_name

STUDY = "sweep"


@dataclass
class SweepSpec:
    """What a sweep runs: ``config`` plus ``base`` overrides, the settings (``grid``, or
    ``samples`` draws over ``ranges`` and grid keys), ``seeds`` per setting, and the
    ``metric`` that scores a run (a registry metric, or one of its dotted numbers), to be
    minimised or maximised (``mode``; default from the metric's declared goal)."""

    config: str
    grid: dict[str, list[Any]] = field(default_factory=dict)
    ranges: dict[str, sweep_grid.Range] = field(default_factory=dict)
    samples: int = 0
    sample_seed: int = 0
    seeds: int = 3
    metric: str | None = None  # None: the data kind's headline number (the modality's)
    mode: str | None = None
    base: list[str] = field(default_factory=list)
    eval_n: int = 1000

    def settings(self) -> list[dict[str, Any]]:
        if self.seeds < 1:
            raise ConfigError(f"--seeds must be a positive integer, got {self.seeds}")
        if self.eval_n < 2:
            raise ConfigError(f"--eval-n must be at least 2 (samples the metric is computed on), got {self.eval_n}")
        return sweep_grid.settings(self.grid, self.ranges, self.samples, self.sample_seed)


def metric_target(metric: str, kind: str) -> tuple[str, str, str]:
    """``fid`` → (registry name, the number to read: ``fid.value``, ``min``/``max``)."""
    from ..metrics.evaluate import available_metrics
    from ..registry import METRICS

    name = metric.split(".")[0]
    known = available_metrics(kind)
    if name not in known:
        raise ConfigError(f"--metric {metric!r}: {name!r} is not a metric for {kind} data; available: "
                          f"{', '.join(known)}")
    goal = METRICS.info(name).goal
    key = metric if "." in metric else f"{name}.value"
    mode = {"lower": "min", "higher": "max"}.get(goal, "")
    return name, key, mode


def plan(spec: SweepSpec) -> tuple[list[dict[str, Any]], list[Any], tuple[str, str, str]]:
    """The settings, each one's resolved config (every value checked now, before any
    training), and the metric to read."""
    settings = list({sweep_grid.setting_name(s) + repr(sweep_grid.overrides(s)): s for s in spec.settings()}.values())  # no repeats
    configs = []
    for s in settings:
        try:
            configs.append(sweep_grid.resolve(spec.config, spec.base, s))
        except ConfigError as exc:
            raise ConfigError(f"sweep setting {sweep_grid.setting_name(s)}: {str(exc).removeprefix('config error: ')}") from None
    kind = _kind(configs[0])
    metric, default_mode = _metric_of(spec, kind)
    name, key, mode = metric_target(metric, kind)
    mode = spec.mode or mode or default_mode
    if mode not in ("min", "max"):
        raise ConfigError(f"--metric {spec.metric} has no declared goal; pass --mode min or --mode max")
    return settings, configs, (name, key, mode)


def _metric_of(spec: SweepSpec, kind: str) -> tuple[str, str]:
    """The metric asked for, or the kind's headline number and its direction, so a sweep of
    any config runs without ``--metric``."""
    from ..modalities import modality_of

    if spec.metric:
        return spec.metric, ""
    headline = modality_of(kind).headline
    if headline is None:
        raise ConfigError(f"{kind} data has no headline metric; pass --metric (mpgan list metrics)")
    return headline


def _kind(cfg: Any) -> str:
    from ..data import load_dataset

    return load_dataset(cfg.data.name, **cfg.data.params).spec.kind


def sweep_cell(setting: str, config: str, overrides: list[str], seed: int, run_dir: str, metric: str, key: str,
               eval_n: int) -> dict[str, Any]:
    """Train one cell (``setting`` names it) and score it: ``{"value": the metric, "metrics":
    every number it gave, "step": steps trained}``. A run that diverges is recorded with
    value NaN, step -1 and the trainer's message under ``diverged``."""
    from ..errors import DivergenceError
    from ..metrics.evaluate import evaluate, flatten
    from ..training.from_config import train_run

    t0 = time.perf_counter()
    try:
        trainer = train_run(config, [*overrides, f"seed={seed}"], Path(run_dir))
    except DivergenceError as exc:  # a result, not a failure: re-running would diverge again
        return {"value": float("nan"), "metrics": {}, "step": -1, "diverged": str(exc),
                "train_seconds": time.perf_counter() - t0}
    train_seconds = time.perf_counter() - t0
    result = evaluate(trainer, n=eval_n, metrics=[metric], seed=0, plots=False, ladder=False)
    flat = {k: v for k, v in flatten(result).items() if k.startswith(f"{metric}.") and isinstance(v, (int, float))
            and not isinstance(v, bool)}
    if key not in flat:
        raise ConfigError(f"--metric {key} is not a number {metric} gives; it gives {', '.join(sorted(flat))}")
    return {"value": float(flat[key]), "metrics": flat, "step": int(trainer.step.numpy()),
            "train_seconds": train_seconds}


def cell_tasks(spec: SweepSpec, settings: list[dict[str, Any]], runs: Path,
               target: tuple[str, str, str]) -> list[dict[str, Any]]:
    """One task per setting and seed (``runs/<setting>_seedK``)."""
    config = Path(spec.config).resolve() if Path(spec.config).is_file() else spec.config  # Tune trials chdir
    return [{"setting": sweep_grid.setting_name(s), "seed": k, "config": str(config),
             "overrides": [*spec.base, *sweep_grid.overrides(s)], "run_dir": str(runs / f"{safe_name(sweep_grid.setting_name(s))}_seed{k}"),
             "metric": target[0], "key": target[1], "eval_n": spec.eval_n}
            for s in settings for k in range(spec.seeds)]


def identities(tasks: list[dict[str, Any]], configs: list[Any], seeds: int,
               search: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """What makes each cell what it is: its resolved config, seed, scoring and search
    (an ASHA cell may have stopped early: never the same cell as a grid one), not the
    config file's path or the order of the grid."""
    return [{"config": configs[i // seeds].to_dict(), "seed": t["seed"], "metric": t["key"], "eval_n": t["eval_n"],
             **({"search": search} if search else {})} for i, t in enumerate(tasks)]



def results_table(settings: list[dict[str, Any]], tasks: list[dict[str, Any]], outs: list[dict[str, Any]],
                  seeds: int) -> pd.DataFrame:
    """One row per cell: the setting's keys, seed, the metric and every number beside it."""
    rows = []
    for t, o in zip(tasks, outs, strict=True):
        s = settings[len(rows) // seeds]
        epochs = {"epochs": o["epochs"]} if "epochs" in o else {}  # asha: where the cell stopped
        rows.append({"setting": t["setting"], **s, "seed": t["seed"], "value": o["value"], "step": o["step"],
                     "diverged": bool(o.get("diverged")), **epochs,
                     **{f"metric.{k}": v for k, v in o["metrics"].items()}})
    return pd.DataFrame(rows)


def summary_table(results: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Per setting: mean and 95 % t-interval of the metric over the seeds that did not
    diverge, and how many did. Best first; settings with a diverged seed rank after all
    those without (a mean over the survivors would flatter them)."""
    from ..intervals import mean_interval

    rows = []
    diverged = results["diverged"] if "diverged" in results else pd.Series(False, index=results.index)
    for name, g in results.groupby("setting", sort=False):
        iv = mean_interval(g["value"])
        rows.append({"setting": name, "seeds": iv.n, "diverged": int(diverged[g.index].sum()), "mean": iv.mean,
                     "low": iv.low, "high": iv.high})
    table = pd.DataFrame(rows)
    key = table["mean"] if mode == "min" else -table["mean"]
    order = table.assign(_bad=table["diverged"] > 0, _key=key).sort_values(["_bad", "_key"], kind="stable",
                                                                           na_position="last").index
    return table.loc[order].reset_index(drop=True)


def summary_text(spec: SweepSpec, table: pd.DataFrame, target: tuple[str, str, str], extra: str = "") -> str:
    from ..report.markdown import markdown_table

    best = table.iloc[0]
    overlaps = ((table["low"] <= best["high"]) & (table["high"] >= best["low"])).sum() - 1 if len(table) > 1 else 0
    n_div = int(table["diverged"].sum()) if "diverged" in table else 0
    lines = [f"# Sweep of {spec.config}", "",
             f"Metric: `{target[1]}` ({'lower' if target[2] == 'min' else 'higher'} is better); mean and 95 % "
             f"Student-t interval over {spec.seeds} training seeds per setting; best first.", "",
             markdown_table(table, digits=4, na="—") + "\n",
             f"Best: {best['setting']}. " + (f"{overlaps} other setting(s) have intervals overlapping it: not "
                                            "decided between them." if overlaps else
                                            "No other setting's interval overlaps it." if len(table) > 1 else "")]
    if n_div:
        lines += ["", f"{n_div} run(s) diverged (the `diverged` column; each message is in its cell's `cells/*.json`). "
                      "Means are over the seeds that did not; settings with a diverged seed are listed last."]
    if extra:
        lines += ["", extra]
    return "\n".join(lines) + "\n"


def _keys(settings: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for s in settings for k in s))


def run_sweep(spec: SweepSpec, out: str | Path, execution: Any, search: str = "grid",
              asha: dict[str, Any] | None = None) -> Path:
    """Run the sweep into ``out`` (resuming what an earlier run of it finished) and write
    ``results.csv``, ``summary.csv``, ``summary.md``, ``figures/sweep.png`` and the
    TensorBoard HParams view of the cells (``tensorboard/``)."""
    from .. import plots
    from ..io import atomic_save, atomic_write_text
    from .execution import output_dir
    from .hparams import write_hparams

    if search not in ("grid", "asha"):
        raise ConfigError(f"--search must be grid or asha, got {search!r}")
    if search == "asha":
        from .asha import check_asha

        check_asha(**(asha or {}))
    settings, configs, target = plan(spec)
    with output_dir(STUDY, out, execution) as st:
        tasks = cell_tasks(spec, settings, st.runs, target)
        ids = identities(tasks, configs, spec.seeds, {"asha": asha or {}} if search == "asha" else None)
        extra = ""
        if search == "asha":
            from .asha import run_asha

            outs, extra = run_asha(st, sweep_cell, tasks, ids, target, **(asha or {}))
        else:
            outs = st.run(sweep_cell, tasks, ids)
        results = results_table(settings, tasks, outs, spec.seeds)
        table = summary_table(results, target[2])
        atomic_save(st.path / "results.csv", lambda p: results.to_csv(p, index=False))
        atomic_save(st.path / "summary.csv", lambda p: table.to_csv(p, index=False))
        atomic_write_text(st.path / "summary.md", summary_text(spec, table, target, extra))
        write_machine_record(st.path)
        write_hparams(st.path, results, _keys(settings), exclude=["setting"])
        plots.plot_sweep(results, table, st.path / "figures" / "sweep.png", ylabel=target[1])
    return st.path
