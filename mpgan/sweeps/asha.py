"""``mpgan sweep --search asha``: the sweep's cells as Ray Tune trials under the ASHA
scheduler (Li et al. 2020). Each trial reports the sweep's metric every ``every`` epochs
(the trainer's ``eval`` callback computes it); ASHA stops trials that rank in the bottom
of their rung. Cells finished by an earlier run are skipped, as in a grid sweep."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..training.callbacks import Callback
from .backends import connect_ray
from .codec import load_result


class TuneReport(Callback):
    """After each epoch whose logs hold the metric, report it to Ray Tune."""

    def __init__(self, key: str):
        self.key = key

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, Any]) -> None:
        from ray import tune

        value = logs.get(f"metric.{self.key}")
        if value is not None:
            tune.report({"value": float(value), "epoch": int(epoch), "step": int(logs.get("step", 0))})


def asha_trial(config: dict[str, Any], tasks: list[dict[str, Any]], every: int) -> None:
    """One trial: train ``tasks[config["i"]]`` with the metric computed every ``every`` epochs."""
    from ..training.from_config import train_run

    task = tasks[config["i"]]
    sets = [*task["overrides"], f"seed={task['seed']}", f"eval.every={every}", f"eval.metrics=[{task['metric']}]",
            f"eval.n={task['eval_n']}", "eval.seed=0"]
    train_run(task["config"], sets, Path(task["run_dir"]), callbacks=[TuneReport(task["key"])])


def check_asha(every: int = 1, grace: int = 1, reduction: float = 3) -> None:
    """ASHA's options, checked before anything trains."""
    from ..errors import ConfigError

    if every < 1:
        raise ConfigError(f"--report-every must be a positive number of epochs, got {every}")
    if grace < 1:
        raise ConfigError(f"--grace must be a positive number of epochs, got {grace}")
    if not reduction > 1:
        raise ConfigError(f"--reduction must be greater than 1 (the share of cells a rung keeps is 1/reduction), "
                          f"got {reduction}")


def max_epochs(task: dict[str, Any]) -> int:
    from ..config import load_config

    return load_config(task["config"], [*task["overrides"], f"seed={task['seed']}"]).train.epochs


def run_asha(st: Any, cell_fn: Any, tasks: list[dict[str, Any]], ids: list[dict[str, Any]],
             target: tuple[str, str, str], every: int = 1, grace: int = 1,
             reduction: float = 3) -> tuple[list[Any], str]:
    """Run the not-yet-done cells of ``cell_fn`` (whose cells a grid sweep would run to the
    end) as ASHA trials; record each, stopped early or not, as done; return every cell's
    result and a paragraph on the CPU time ASHA saved."""
    from .backends import import_ray

    import_ray()  # one line on how to install Ray, before anything trains
    cells = st.cells(cell_fn, tasks, ids)
    manifest = st.runner.manifest
    todo = st.runner.todo(cells)
    if todo:
        _fit(st, todo, target, every, grace, reduction)
    return st.runner.run(cell_fn, cells), saving_text(manifest, cells, st.execution.cpus)


def _fit(st: Any, todo: list[Any], target: tuple[str, str, str], every: int, grace: int, reduction: float) -> None:
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    ex = st.execution
    connect_ray(ex.address, ex.jobs if ex.jobs > 1 else None)
    tasks = [c.task for c in todo]
    horizon = max(max_epochs(t) for t in tasks)
    scheduler = ASHAScheduler(time_attr="epoch", metric="value", mode=target[2], max_t=horizon,
                              grace_period=min(grace, horizon), reduction_factor=reduction)
    trainable = tune.with_resources(tune.with_parameters(asha_trial, tasks=tasks, every=every),
                                    {"cpu": ex.cpus, "gpu": ex.gpus})
    storage = (Path(ex.storage) / st.path.resolve().name if ex.storage else st.path).resolve() / "tune"
    record = _Recorder(st, todo, target, horizon)
    tuner = tune.Tuner(trainable, param_space={"i": tune.grid_search(list(range(len(tasks))))},
                       tune_config=tune.TuneConfig(scheduler=scheduler, reuse_actors=True),  # TF imported once
                       run_config=tune.RunConfig(name="asha", storage_path=str(storage), verbose=0,
                                                 callbacks=[trial_callback(record)]))
    tuner.fit()
    unfinished = len(todo) - len(record.seen)
    if unfinished:  # Tune returns, rather than raises, when Ctrl-C stops it
        print(f"Ray Tune stopped with {unfinished} of {len(todo)} trials unfinished; the trials that ended are "
              f"recorded in {st.path / 'cells.json'}, and the same command trains the rest", file=sys.stderr)
        raise KeyboardInterrupt


class _Recorder:
    """Records each ASHA trial's cell in the manifest as the trial ends, on the driver, so
    a sweep killed mid-way keeps the trials that finished (stopped early or not)."""

    def __init__(self, st: Any, todo: list[Any], target: tuple[str, str, str], horizon: int):
        self.st, self.todo, self.target, self.horizon = st, todo, target, horizon
        self.seen: set[int] = set()

    def __call__(self, i: int, m: dict[str, Any], history: list[tuple[float, int]], error: str | None) -> None:
        import pandas as pd

        self.seen.add(i)
        cell = self.todo[i]
        if error is not None or "value" not in m:
            self.st.runner.manifest.record(cell, status="failed", error=error or "no metric reported")
            return
        progress = pd.DataFrame(history, columns=["time_this_iter_s", "epoch"])
        out = {"value": float(m["value"]), "metrics": {self.target[1]: float(m["value"])}, "step": int(m["step"]),
               "epochs": int(m["epoch"]), "max_epochs": self.horizon, "stopped_early": int(m["epoch"]) < self.horizon,
               "full_seconds": full_seconds(progress, self.horizon)}
        self.st.runner.save(cell, out, float(m.get("time_total_s", 0.0)))


def trial_callback(record: Any) -> Any:
    """A Ray Tune callback that calls ``record(i, last_result, history, error)`` as each
    trial ends; ``history`` is its (seconds, epoch) per report. Tune runs callbacks in the
    driver, whatever node the trial ran on."""
    from ray import tune

    class RecordEachTrial(tune.Callback):
        def __init__(self) -> None:
            self.history: dict[str, list[tuple[float, int]]] = {}

        def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
            if "epoch" in result:
                self.history.setdefault(trial.trial_id, []).append((float(result.get("time_this_iter_s", 0.0)),
                                                                    int(result["epoch"])))

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            record(int(trial.config["i"]), trial.last_result or {}, self.history.pop(trial.trial_id, []), None)

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            error = trial.get_error()
            record(int(trial.config["i"]), {}, self.history.pop(trial.trial_id, []), str(error or "trial failed"))

    return RecordEachTrial()


def full_seconds(progress: Any, horizon: int) -> float:
    """What a trial would have cost to the last epoch: its first report (start-up, tracing,
    first epoch) plus its mean time per later report for every epoch left."""
    times = progress["time_this_iter_s"].to_numpy(dtype=float)
    epochs = progress["epoch"].to_numpy(dtype=float)
    if len(times) < 2:
        return float(times.sum()) * horizon / max(epochs[-1], 1.0) if len(times) else 0.0
    per_epoch = times[1:].sum() / (epochs[-1] - epochs[0])
    return float(times[0] + per_epoch * (horizon - epochs[0]))


def saving_text(manifest: Any, cells: list[Any], cpus: float) -> str:
    """CPU time ASHA spent, against the same cells trained to the last epoch."""
    spent = full = 0.0
    stopped = 0
    for c in cells:
        rec = manifest.done(c)
        out = load_result(manifest.folder / rec["result"])
        sec = float(rec.get("seconds", 0.0))
        spent += sec
        full += float(out.get("full_seconds", sec))
        stopped += bool(out.get("stopped_early"))
    saved = 1 - spent / full if full else 0.0
    return (f"ASHA stopped {stopped} of {len(cells)} cells early. CPU time: {spent * cpus / 3600:.3f} CPU-hours spent "
            f"against an estimated {full * cpus / 3600:.3f} for the full grid ({saved:.0%} saved). The estimate "
            "takes each cell's first report (start-up, tracing, first epoch) plus its mean time per later epoch "
            "for every epoch it did not train. Stopped cells' values are from the epoch they stopped at.")


__all__ = ["TuneReport", "asha_trial", "run_asha"]
