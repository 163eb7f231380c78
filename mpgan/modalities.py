"""Modalities: what one kind of data (grayscale images, tables, 1-D toys) means to the
rest of mpgan, in one object per kind.

A modality says which metrics apply by default, how samples are written (a PNG grid, a
CSV table, a histogram against the real data), what a run's evaluation prints, and what
goes to TensorBoard. The trainer, the CLI, ``evaluate`` and the studies ask the run's
modality (:func:`modality_of`) instead of branching on the kind. A new kind of data
(e.g. RGB images) is one registered class::

    @MODALITIES.register("rgb")
    class RGBImages(GrayscaleImages):
        \"\"\"Colour images (H, W, 3).\"\"\"
        kind = "rgb"
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MpganError
from .io import atomic_save
from .registry import METRICS, MODALITIES

if TYPE_CHECKING:
    from .data_spec import Dataset, DataSpec


class Modality:
    """Base class: one kind of data. ``preview`` is the suffix of the sample files a run
    writes while training; ``formats`` the suffixes ``mpgan sample --out`` accepts."""

    kind = "data"
    preview = ".npy"
    formats: tuple[str, ...] = (".npy",)
    #: The number a sweep scores this kind's runs by when no ``--metric`` is given: a dotted
    #: metric number (``fid.value``) and whether to minimise or maximise it.
    headline: tuple[str, str] | None = None

    def default_metrics(self) -> list[str]:
        return METRICS.for_kind(self.kind)

    def write_samples(self, dataset: Dataset, x: np.ndarray, path: Path, title: str | None = None,
                      ncols: int | None = None) -> Path:
        """Write samples ``x`` (model space) to ``path``, in the format its suffix names."""
        suffix = path.suffix.lower()
        if suffix not in self.formats:
            raise MpganError(f"a {self.kind} run writes samples as {' or '.join(self.formats)}, not {suffix or path.name!r}")
        if suffix == ".npy":
            atomic_save(path, lambda p: np.save(p, x), suffix=".npy")
            return path
        return self._write(dataset, x, path, title, ncols)

    def _write(self, dataset: Dataset, x: np.ndarray, path: Path, title: str | None, ncols: int | None) -> Path:
        raise NotImplementedError

    def spec_record(self, dataset: Dataset) -> dict[str, Any]:
        """What a run's ``data_spec.json`` holds: the data spec and where the data came from."""
        record = dataset.spec.to_dict()
        if "source" in dataset.info:
            record["source"] = str(dataset.info["source"])
        return record

    def tensorboard_image(self, dataset: Dataset, x: np.ndarray) -> np.ndarray | None:
        """A (1, H, W, C) image of samples for TensorBoard, or None."""
        return None

    def eval_plots(self, ctx: Any, result: dict[str, Any]) -> None:
        """Figures an evaluation writes beside metrics.json (ctx.out_dir is set)."""

    def summary(self, result: dict[str, Any]) -> list[str]:
        """Readable lines ``mpgan evaluate`` prints after its table: each metric's own."""
        return METRICS.summary_lines(result)


@MODALITIES.register("image")
class GrayscaleImages(Modality):
    """Single-channel images (H, W, 1): PNG grids, FID-style metrics on classifier features."""

    kind = "image"
    preview = ".png"
    formats = (".png", ".npy")
    headline = ("fid.value", "min")

    def _write(self, dataset, x, path, title, ncols):
        from . import plots

        return plots.save_image_grid(dataset.inverse_transform(x), path, title=title, ncols=ncols)

    def tensorboard_image(self, dataset, x):
        from .plots import grid_array

        grid = grid_array(dataset.inverse_transform(x[:64]))
        return grid[None, :, :, None]

    def eval_plots(self, ctx, result):
        from . import plots

        trainer = ctx.trainer
        when = f", step {result['step']}" if result.get("step") is not None else ""
        plots.save_image_grid(trainer.dataset.inverse_transform(ctx.fake[:64]), ctx.out_dir / "samples.png",
                              title=f"{ctx.n} samples{when}")
        cov = result.get("mode_coverage")
        if cov and "histogram" in cov:
            plots.plot_class_histogram(cov["histogram"], ctx.out_dir / "mode_coverage.png",
                                       class_names=trainer.dataset.class_names)


@MODALITIES.register("tabular")
class Tables(Modality):
    """Tables of numeric and categorical columns: CSV samples in the original columns."""

    kind = "tabular"
    preview = ".csv"
    formats = (".csv", ".npy")
    headline = ("tabular.columns.mean_ks", "min")  # column fidelity: mean KS statistic over the columns

    def _write(self, dataset, x, path, title, ncols):
        import pandas as pd

        table = pd.DataFrame(dataset.inverse_transform(x))
        atomic_save(path, lambda p: table.to_csv(p, index=False), suffix=".csv")
        return path

    def summary(self, result):
        """Each metric's lines (the privacy readings), then the run's differential privacy."""
        lines = METRICS.summary_lines(result)
        dp = result.get("dp")
        lines.append(f"differential privacy: epsilon {dp['epsilon']:.3g} at delta {dp['delta']:.2g} "
                     f"(DP-SGD on the discriminator, {dp['accountant']} accountant)" if dp else
                     "differential privacy: none (epsilon = infinity); set a privacy block to train with DP-SGD")
        return lines

    def spec_record(self, dataset):
        """The data spec plus the table's schema (column kinds, bounds, categories)."""
        record = super().spec_record(dataset)
        if "schema" in dataset.info:
            record["schema"] = dataset.info["schema"]
        return record


@MODALITIES.register("toy")
class Toys(Modality):
    """1-D toy distributions: histograms of samples against the real data."""

    kind = "toy"
    preview = ".png"
    formats = (".png", ".npy")
    headline = ("distribution.w1_real.w1", "min")  # Wasserstein-1 distance to the real sample
    preview_samples = 2000  # a histogram needs more points than a grid has cells

    def _write(self, dataset, x, path, title, ncols):
        from . import plots

        return plots.plot_toy_samples(dataset.x[:20000], x, path, title=title)


def modality_of(what: Dataset | DataSpec | str) -> Modality:
    """The modality of a dataset, a data spec or a kind name."""
    kind = what if isinstance(what, str) else getattr(what, "spec", what).kind
    return MODALITIES.build(kind)


def sample_formats() -> set[str]:
    """Every suffix some modality writes samples in."""
    return {f for e in MODALITIES.entries() for f in e.factory.formats}


__all__ = ["GrayscaleImages", "Modality", "Tables", "Toys", "modality_of", "sample_formats"]
