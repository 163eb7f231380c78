"""Evaluate a trained run: pick the metrics that fit its data, write metrics.json,
metrics.csv and plots, and return the numbers. Used by ``mpgan evaluate`` and by the
training-time :class:`MetricsCallback`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import MpganError
from ..io import atomic_save, atomic_write_text

if TYPE_CHECKING:
    from .context import Run


def available_metrics(kind: str) -> tuple[str, ...]:
    """The registered metrics that apply to ``kind`` data (its modality's defaults), in
    registration order."""
    from ..modalities import modality_of

    return tuple(modality_of(kind).default_metrics())


def choose_metrics(trainer: Run, metrics: Sequence[str] | None) -> list[str]:
    """The metrics to compute: those asked for (each must apply to the run), or every one
    that applies; a metric that cannot score this run is an error if asked, else skipped."""
    from ..registry import METRICS

    kind = trainer.dataset.spec.kind
    known = available_metrics(kind)
    if metrics:
        bad = [m for m in metrics if m not in known]
        if bad:
            raise MpganError(f"unknown metric(s) {', '.join(bad)} for {kind} data; available: {', '.join(known)}")
        for m in metrics:
            why = METRICS.info(m).requires(trainer) if METRICS.info(m).requires else None
            if why:
                raise MpganError(f"{m} {why}")
        return list(dict.fromkeys(metrics))
    return [m for m in known if not (METRICS.info(m).requires and METRICS.info(m).requires(trainer))]


def evaluate(trainer: Run, n: int = 1000, metrics: list[str] | None = None, seed: int = 0,
             out_dir: str | Path | None = None, plots: bool = True, ladder: bool = True,
             header: dict[str, Any] | None = None) -> dict[str, Any]:
    """Score ``n`` generated samples of ``trainer`` against its real data.

    Returns a dict of metric dicts (each with its sample sizes); with ``out_dir``
    writes ``metrics.json``, ``metrics.csv`` (flattened) and the plots. For images,
    ``ladder`` adds the FID calibration ladder (:mod:`mpgan.metrics.calibration`).
    Metrics come from the registry (``mpgan list metrics``). ``header``: what the samples are
    when they are not a trained run's (:func:`~mpgan.metrics.samples.evaluate_samples`).
    """
    from ..registry import METRICS
    from .context import EvalContext

    if n < 2:
        raise MpganError(f"--n must be at least 2 samples, got {n}")
    names = choose_metrics(trainer, metrics)
    out = Path(out_dir) if out_dir is not None else None
    ctx = EvalContext(trainer, n, seed, out, plots, ladder)
    if header is None:
        header = {"run": str(trainer.run_dir) if trainer.run_dir else None,
                  "step": int(trainer.step.numpy()), "epoch": int(trainer.epoch.numpy())}
    result: dict[str, Any] = {**header, "kind": ctx.kind, "n_fake": int(n), "seed": seed}
    spent = getattr(trainer, "privacy_spent", lambda: None)()
    if spent is not None:  # differentially private training: the budget it spent
        result["dp"] = spent
    for name in names:
        result[name] = METRICS.get(name)(ctx)
    result.update(ctx.extras)
    if ctx.out_dir is not None:
        from ..modalities import modality_of

        modality_of(trainer.dataset).eval_plots(ctx, result)
    if out is not None:
        write_results(result, out)
    return result


def flatten(result: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metric dicts → ``{"fid.value": ..., "fid.n_real": ...}`` scalars only."""
    flat: dict[str, Any] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, (int, float, np.integer, np.floating, str, bool)) or value is None:
            flat[name] = value.item() if isinstance(value, np.generic) else value
    return flat


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, pd.DataFrame):
        return obj.to_dict(orient="records")
    return obj


def write_results(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "metrics.json", json.dumps(_jsonable(result), indent=1))
    flat = flatten(result)
    atomic_save(out / "metrics.csv", lambda p: pd.DataFrame([flat]).to_csv(p, index=False), suffix=".csv")


def format_table(result: dict[str, Any]) -> str:
    """A readable two-column table of the scalar results."""
    flat = flatten(result)
    width = max(len(k) for k in flat) if flat else 0
    lines = []
    for key, value in flat.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"{key.ljust(width)}  {shown}")
    return "\n".join(lines)
